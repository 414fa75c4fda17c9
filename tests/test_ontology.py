"""The ontology (ontology/smp.ttl), the SHACL shapes (ontology/shapes/) and the data-quality
checks (ontology/checks/): well-formed, documented, and doing what they promise.

The reasoning tests run owlrl once on the ontology plus a tiny synthetic instance graph and
assert every inference the ontology promises; the validation tests run pySHACL and the checks
on a small synthetic graph that must pass cleanly, and on one that must fail in known places.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyshacl
import pytest
import yaml
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, XSD
from rdflib.plugins.sparql import prepareQuery

from smpkg.reason import owlrl_closure

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_FILE = ROOT / "ontology" / "smp.ttl"
SHAPES_DIR = ROOT / "ontology" / "shapes"
CHECKS_DIR = ROOT / "ontology" / "checks"

SMP = Namespace("https://w3id.org/smpkg/ontology#")
ONTOLOGY_IRI = URIRef("https://w3id.org/smpkg/ontology")
VANN = Namespace("http://purl.org/vocab/vann/")
ID = "https://w3id.org/smpkg/id/"
PROG = Namespace(ID + "programme/")
AGENT = Namespace(ID + "organisation/")
COUNTRY = Namespace(ID + "country/")
INSTR = Namespace(ID + "instrument/")
FW = Namespace(ID + "framework/")
SECTOR = Namespace(ID + "sector/")
COMPONENT = Namespace(ID + "component/")
MOBILITY = Namespace(ID + "mobility-type/")
SRC = Namespace(ID + "source/")
FIG = Namespace(ID + "figure/")
ID_GROUP = URIRef(ID + "group/smps")

TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)

PREFIXES = f"""
@prefix smp: <{SMP}> .
@prefix prog: <{PROG}> .
@prefix agent: <{AGENT}> .
@prefix country: <{COUNTRY}> .
@prefix instr: <{INSTR}> .
@prefix fw: <{FW}> .
@prefix sector: <{SECTOR}> .
@prefix component: <{COMPONENT}> .
@prefix mobility: <{MOBILITY}> .
@prefix src: <{SRC}> .
@prefix fig: <{FIG}> .
@prefix scheme: <{ID}scheme/> .
@prefix unit: <{ID}unit/> .
@prefix eucountry: <http://publications.europa.eu/resource/authority/country/> .
@prefix rdfs: <{RDFS}> .
@prefix rdf: <{RDF}> .
@prefix xsd: <{XSD}> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix skos: <{SKOS}> .
@prefix prov: <{PROV}> .
@prefix dcterms: <{DCTERMS}> .
"""


# ---------------------------------------------------------------------------------------------
# Fixtures (module-scoped: everything is parsed and reasoned once)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@pytest.fixture(scope="module")
def terms(ontology: Graph) -> dict[URIRef, set[URIRef]]:
    """Every term in the smp: namespace that the ontology declares, with its declared types."""
    found: dict[URIRef, set[URIRef]] = {}
    for term_type in TERM_TYPES:
        for term in ontology.subjects(RDF.type, term_type):
            if isinstance(term, URIRef) and term.startswith(str(SMP)):
                found.setdefault(term, set()).add(term_type)
    return found


@pytest.fixture(scope="module")
def shapes() -> Graph:
    graph = Graph()
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def _check_files() -> list[Path]:
    return sorted(CHECKS_DIR.glob("*.rq"))


def _header(path: Path) -> tuple[dict, str]:
    """The `#+` header of a check (YAML once the markers are stripped) and the query after it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines) and lines[index].startswith("#+"):
        index += 1
    header = yaml.safe_load("\n".join(line[2:].removeprefix(" ") for line in lines[:index]))
    return header or {}, "\n".join(lines[index:])


# ---------------------------------------------------------------------------------------------
# The ontology document
# ---------------------------------------------------------------------------------------------


def test_header(ontology: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    expected = {
        OWL.versionIRI: URIRef("https://w3id.org/smpkg/ontology/0.2.0"),
        OWL.versionInfo: Literal("0.2.0"),
        DCTERMS.license: URIRef("https://creativecommons.org/licenses/by/4.0/"),
        DCTERMS.creator: Literal("smpkg project"),
        DCTERMS.publisher: Literal("smpkg project"),
        VANN.preferredNamespacePrefix: Literal("smp"),
        VANN.preferredNamespaceUri: Literal(str(SMP)),
    }
    for predicate, value in expected.items():
        assert list(ontology.objects(ONTOLOGY_IRI, predicate)) == [value], predicate
    for predicate in (DCTERMS.title, DCTERMS.description):
        values = list(ontology.objects(ONTOLOGY_IRI, predicate))
        assert len(values) == 1 and values[0].language == "en", predicate
    issued = list(ontology.objects(ONTOLOGY_IRI, DCTERMS.issued))
    assert len(issued) == 1 and issued[0].datatype == XSD.date


def test_every_term_has_one_type_label_definition(ontology: Graph, terms) -> None:
    assert len(terms) > 100
    problems = []
    for term, types in sorted(terms.items()):
        if len(types) != 1:
            problems.append(f"{term}: declared as {sorted(types)}")
        labels = list(ontology.objects(term, RDFS.label))
        if len(labels) != 1 or getattr(labels[0], "language", None) != "en":
            problems.append(f"{term}: needs exactly one rdfs:label@en, has {labels}")
        definitions = list(ontology.objects(term, SKOS.definition))
        if len(definitions) != 1 or getattr(definitions[0], "language", None) != "en":
            problems.append(f"{term}: needs exactly one skos:definition@en, has {definitions}")
        if (term, RDFS.isDefinedBy, ONTOLOGY_IRI) not in ontology:
            problems.append(f"{term}: no rdfs:isDefinedBy the ontology")
    assert not problems, "\n".join(problems)


def test_labels_are_unique(ontology: Graph, terms) -> None:
    seen: dict[str, URIRef] = {}
    clashes = []
    for term in sorted(terms):
        for label in ontology.objects(term, RDFS.label):
            key = str(label).lower()
            if key in seen:
                clashes.append(f"{seen[key]} and {term} share the label {label!r}")
            seen[key] = term
    assert not clashes, "\n".join(clashes)


def test_every_smp_iri_in_the_ontology_is_declared(ontology: Graph, terms) -> None:
    used = {
        node
        for triple in ontology
        for node in triple
        if isinstance(node, URIRef) and node.startswith(str(SMP))
    }
    assert used - set(terms) == set()


def test_definitions_are_one_sentence(ontology: Graph, terms) -> None:
    problems = []
    for term in sorted(terms):
        for definition in ontology.objects(term, SKOS.definition):
            text = str(definition)
            if not text.endswith(".") or re.search(r"\.\s+[A-Z]", text) or not text[0].isupper():
                problems.append(f"{term}: {text!r}")
    assert not problems, "\n".join(problems)


def test_properties_have_domain_and_range(ontology: Graph, terms) -> None:
    problems = []
    for term, types in sorted(terms.items()):
        if types & {OWL.ObjectProperty, OWL.DatatypeProperty}:
            for predicate in (RDFS.domain, RDFS.range):
                if len(list(ontology.objects(term, predicate))) != 1:
                    problems.append(f"{term}: needs one {predicate}")
    assert not problems, "\n".join(problems)


def _class_expression_nodes(graph: Graph, node) -> set:
    """A class expression and every node nested in it (intersection members, restrictions)."""
    seen = set()
    todo = [node]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if isinstance(current, BNode):
            for list_predicate in (OWL.intersectionOf, OWL.unionOf):
                for head in graph.objects(current, list_predicate):
                    todo.extend(Collection(graph, head))
            for predicate in (OWL.someValuesFrom, OWL.allValuesFrom, OWL.complementOf):
                todo.extend(graph.objects(current, predicate))
    return seen


def test_stays_in_owl2_rl(ontology: Graph) -> None:
    """No construct OWL 2 RL forbids on the superclass side (which includes both sides of an
    equivalence), no cardinality above 1, no union in a domain or range."""
    problems = []
    superclass_positions = list(ontology.subject_objects(RDFS.subClassOf))
    superclass_positions += list(ontology.subject_objects(OWL.equivalentClass))
    superclass_positions += [(o, s) for s, o in ontology.subject_objects(OWL.equivalentClass)]
    for _, superclass in superclass_positions:
        for node in _class_expression_nodes(ontology, superclass):
            for predicate in (OWL.someValuesFrom, OWL.unionOf):
                if (node, predicate, None) in ontology:
                    problems.append(f"{predicate} in a superclass position: {node}")
    for predicate in (
        OWL.cardinality,
        OWL.minCardinality,
        OWL.maxCardinality,
        OWL.qualifiedCardinality,
        OWL.minQualifiedCardinality,
        OWL.maxQualifiedCardinality,
    ):
        for value in ontology.objects(None, predicate):
            if int(value) > 1:
                problems.append(f"{predicate} {value}")
    for predicate in (RDFS.domain, RDFS.range):
        for value in ontology.objects(None, predicate):
            if isinstance(value, BNode):
                problems.append(f"anonymous class expression as {predicate}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "sub, sup",
    [
        (SMP.Country, SMP.State),
        (SMP.Country, SMP.Place),
        (SMP.Actor, PROV.Agent),
        (SMP.Organisation, URIRef("http://www.w3.org/ns/org#Organization")),
        (SMP.PublicAgency, URIRef("http://data.europa.eu/m8g/PublicOrganisation")),
        (
            SMP.OrganisationalCollaboration,
            URIRef("http://www.w3.org/ns/org#OrganizationalCollaboration"),
        ),
        (SMP.Place, DCTERMS.Location),
        (SMP.SourceDocument, PROV.Entity),
        (SMP.SourceDocument, DCTERMS.BibliographicResource),
        (SMP.Inventory, URIRef("http://www.w3.org/ns/dcat#Dataset")),
        (SMP.Sector, SKOS.Concept),
        (SMP.Component, SKOS.Concept),
        (SMP.PilotProject, SMP.Project),
        (SMP.MobilityPartnershipDeclaration, SMP.Agreement),
        (SMP.EUMobilityPartnership, SMP.Partnership),
    ],
)
def test_class_alignment(ontology: Graph, sub, sup) -> None:
    assert (sub, RDFS.subClassOf, sup) in ontology


@pytest.mark.parametrize(
    "sub, sup",
    [
        (SMP.partOf, DCTERMS.isPartOf),
        (SMP.sectionOf, DCTERMS.isPartOf),
        (SMP.describedIn, PROV.wasDerivedFrom),
        (SMP.acronym, SKOS.altLabel),
        (SMP.startDate, URIRef("https://schema.org/startDate")),
        (SMP.endDate, URIRef("https://schema.org/endDate")),
    ],
)
def test_property_alignment(ontology: Graph, sub, sup) -> None:
    assert (sub, RDFS.subPropertyOf, sup) in ontology


# ---------------------------------------------------------------------------------------------
# Reasoning: every promised inference, on a tiny synthetic instance graph
# ---------------------------------------------------------------------------------------------

ACTOR_ROLES = (
    "fundedBy",
    "implementedBy",
    "leadImplementer",
    "implementingPartner",
    "managedBy",
    "commissionedBy",
    "cooperatesWith",
    "trainingProvider",
    "employerPartner",
    "originCountryAuthority",
    "participant",
    "promotedBy",
    "signatory",
)

INSTANCES = (
    PREFIXES
    + """
agent:european-union a smp:SupranationalBody .
agent:iom a smp:InternationalOrganisation .
agent:giz a smp:DevelopmentAgency .
instr:fund a smp:FundingInstrument ; smp:fundedBy agent:european-union .
fw:gcm a smp:PolicyFramework .

prog:alpha a smp:Programme ;
    smp:fundedBy agent:european-union ;
    smp:leadImplementer agent:iom ;
    smp:implementingPartner agent:giz ;
    smp:relatesToFramework fw:gcm ;
    smp:hasPredecessor prog:beta ;
    smp:originCountry country:MAR ;
    smp:destinationCountry country:DEU ;
    smp:partnerCountry country:TUN ;
    smp:describedIn <https://w3id.org/smpkg/id/source/doc/box-1> ;
    smp:coversSector sector:healthcare, sector:ict, sector:agriculture ;
    smp:mobilityType mobility:circular ;
    smp:hasComponent component:formalised-state-cooperation, component:multi-stakeholder-involvement,
        component:training, component:skills-recognition, component:migration-mobility .
prog:alpha-strand a smp:Project ; smp:partOf prog:alpha .
prog:alpha-pilot a smp:PilotProject ; smp:partOf prog:alpha-strand .
prog:beta a smp:Programme ; smp:relatedTo prog:gamma .
prog:gamma a smp:Scheme ; smp:implementedBy agent:giz ;
    smp:hasComponent component:formalised-state-cooperation, component:multi-stakeholder-involvement,
        component:training, component:skills-recognition .
prog:delta a smp:Project ; smp:financedThrough instr:fund .
prog:emp a smp:EUMobilityPartnership ; smp:signedDate "2008-01-01"^^xsd:date .
prog:declaration a smp:Partnership ; smp:signatory country:MAR .
<https://w3id.org/smpkg/id/group/smps> a smp:InitiativeGroup ; smp:groupingMember prog:gamma ;
    smp:hasComponent component:formalised-state-cooperation, component:multi-stakeholder-involvement,
        component:training, component:skills-recognition, component:migration-mobility .
"""
)


@pytest.fixture(scope="module")
def closure(ontology: Graph) -> Graph:
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    graph.parse(data=INSTANCES, format="turtle")
    roles = PROG["roles"]
    graph.add((roles, RDF.type, SMP.Agreement))
    for role in ACTOR_ROLES:
        graph.add((roles, SMP[role], AGENT[f"actor-{role}"]))
    return owlrl_closure(graph)


INFERRED = {
    # inverses and symmetry
    "funds inverse of fundedBy": (AGENT["european-union"], SMP.funds, PROG.alpha),
    "implements inverse of implementedBy": (AGENT.iom, SMP.implements, PROG.alpha),
    "hasPart inverse of partOf": (PROG.alpha, SMP.hasPart, PROG["alpha-strand"]),
    "hasSuccessor inverse of hasPredecessor": (PROG.beta, SMP.hasSuccessor, PROG.alpha),
    "relatedTo symmetric": (PROG.gamma, SMP.relatedTo, PROG.beta),
    # transitivity
    "partOf transitive": (PROG["alpha-pilot"], SMP.partOf, PROG.alpha),
    "hasPart transitive": (PROG.alpha, SMP.hasPart, PROG["alpha-pilot"]),
    # sub-properties
    "originCountry sub involvesPlace": (PROG.alpha, SMP.involvesPlace, COUNTRY.MAR),
    "destinationCountry sub involvesPlace": (PROG.alpha, SMP.involvesPlace, COUNTRY.DEU),
    "partnerCountry sub involvesPlace": (PROG.alpha, SMP.involvesPlace, COUNTRY.TUN),
    "leadImplementer sub implementedBy": (PROG.alpha, SMP.implementedBy, AGENT.iom),
    "implementingPartner sub implementedBy": (PROG.alpha, SMP.implementedBy, AGENT.giz),
    "describedIn sub wasDerivedFrom": (PROG.alpha, PROV.wasDerivedFrom, URIRef(SRC + "doc/box-1")),
    "partOf sub dcterms:isPartOf": (PROG["alpha-strand"], DCTERMS.isPartOf, PROG.alpha),
    "signedDate sub beginDate": (
        PROG.emp,
        SMP.beginDate,
        Literal("2008-01-01", datatype=XSD.date),
    ),
    "an initiative group is a grouping": (ID_GROUP, RDF.type, SMP.Grouping),
    # property chains
    "financedThrough o fundedBy": (PROG.delta, SMP.fundedBy, AGENT["european-union"]),
    "partOf o relatesToFramework": (PROG["alpha-pilot"], SMP.relatesToFramework, FW.gcm),
    # domains and ranges
    "signatory domain Agreement": (PROG.declaration, RDF.type, SMP.Agreement),
    "originCountry range Place": (COUNTRY.MAR, RDF.type, SMP.Place),
    "hasComponent range Component": (COMPONENT.training, RDF.type, SMP.Component),
    # defined classes
    "full SMP": (PROG.alpha, RDF.type, SMP.FullSkillsMobilityPartnership),
    "healthcare": (PROG.alpha, RDF.type, SMP.HealthcareInitiative),
    "ICT": (PROG.alpha, RDF.type, SMP.ICTInitiative),
    "agriculture": (PROG.alpha, RDF.type, SMP.AgricultureInitiative),
    "circular": (PROG.alpha, RDF.type, SMP.CircularMobilityInitiative),
    "EU-funded directly": (PROG.alpha, RDF.type, SMP.EUFundedInitiative),
    "EU-funded through an instrument": (PROG.delta, RDF.type, SMP.EUFundedInitiative),
    "internationally implemented": (PROG.alpha, RDF.type, SMP.InternationallyImplementedInitiative),
}

NOT_INFERRED = {
    "four components are not a full SMP": (PROG.gamma, RDF.type, SMP.FullSkillsMobilityPartnership),
    "a development agency is not an international organisation": (
        PROG.gamma,
        RDF.type,
        SMP.InternationallyImplementedInitiative,
    ),
    "a funding instrument funded by the EU is not an initiative": (
        INSTR.fund,
        RDF.type,
        SMP.Initiative,
    ),
    "a funding instrument funded by the EU is not an EU-funded initiative": (
        INSTR.fund,
        RDF.type,
        SMP.EUFundedInitiative,
    ),
    "a framework is not an initiative": (FW.gcm, RDF.type, SMP.Initiative),
    "a group with components is not an initiative": (ID_GROUP, RDF.type, SMP.Initiative),
    "a group with all five components is not a full SMP": (
        ID_GROUP,
        RDF.type,
        SMP.FullSkillsMobilityPartnership,
    ),
    "a group's components are not copied onto its members": (
        PROG.gamma,
        SMP.hasComponent,
        COMPONENT["migration-mobility"],
    ),
}


@pytest.mark.parametrize("triple", INFERRED.values(), ids=INFERRED.keys())
def test_inferred(closure: Graph, triple) -> None:
    assert triple in closure


@pytest.mark.parametrize("triple", NOT_INFERRED.values(), ids=NOT_INFERRED.keys())
def test_not_inferred(closure: Graph, triple) -> None:
    assert triple not in closure


@pytest.mark.parametrize("role", ACTOR_ROLES)
def test_actor_role_is_an_involved_actor(closure: Graph, role: str) -> None:
    actor = AGENT[f"actor-{role}"]
    assert (PROG["roles"], SMP.involvesActor, actor) in closure
    assert (actor, RDF.type, SMP.Actor) in closure


# ---------------------------------------------------------------------------------------------
# SHACL shapes
# ---------------------------------------------------------------------------------------------


def _all_shapes(shapes: Graph) -> set:
    found = set(shapes.subjects(RDF.type, SH.NodeShape))
    found |= set(shapes.subjects(RDF.type, SH.PropertyShape))
    found |= set(shapes.subjects(SH.path, None))
    for predicate in (SH.property, SH.node, SH.qualifiedValueShape, SH["not"]):
        found |= set(shapes.objects(None, predicate))
    for predicate in (SH["or"], SH["and"], SH.xone):
        for head in shapes.objects(None, predicate):
            found |= set(Collection(shapes, head))
    return found


def test_shapes_parse_and_are_split_by_concern(shapes: Graph) -> None:
    names = {path.stem for path in SHAPES_DIR.glob("*.ttl")}
    assert {"initiatives", "actors", "places", "sources", "concepts", "figures"} <= names
    assert len(list(shapes.subjects(RDF.type, SH.NodeShape))) >= 10


def test_every_shape_has_label_and_message(shapes: Graph) -> None:
    problems = []
    for shape in _all_shapes(shapes):
        name = shapes.value(shape, RDFS.label) or shape
        if shapes.value(shape, RDFS.label) is None:
            problems.append(f"{shape}: no rdfs:label")
        if shapes.value(shape, SH.message) is None:
            problems.append(f"{name}: no sh:message")
    assert not problems, "\n".join(problems)


def test_shapes_use_only_ontology_terms(shapes: Graph, terms) -> None:
    used = {
        node
        for triple in shapes
        for node in triple
        if isinstance(node, URIRef) and node.startswith(str(SMP))
    }
    assert used, "the shapes use no smp: term at all"
    assert used - set(terms) == set()


GOOD_DATA = (
    PREFIXES
    + """
src:doc a smp:SourceDocument ;
    rdfs:label "Synthetic report"@en ;
    dcterms:title "A synthetic report on skills mobility"@en ;
    dcterms:issued "2022-03-01"^^xsd:date ; smp:issuedPrecision time:unitMonth .
<https://w3id.org/smpkg/id/source/doc/box-1> a smp:SourceSection ;
    rdfs:label "Box 1"@en ;
    smp:sectionOf src:doc .

scheme:sector a skos:ConceptScheme ; rdfs:label "Sectors"@en .
scheme:component a skos:ConceptScheme ; rdfs:label "SMP components"@en .
scheme:mobility-type a skos:ConceptScheme ; rdfs:label "Mobility types"@en .
scheme:unit a skos:ConceptScheme ; rdfs:label "Units"@en .

sector:healthcare a smp:Sector ; rdfs:label "healthcare"@en ; skos:inScheme scheme:sector ;
    skos:definition "Health and care work."@en ; prov:wasDerivedFrom src:doc .
sector:ict a smp:Sector ; rdfs:label "ICT"@en ; skos:inScheme scheme:sector ;
    skos:definition "Information and communication technology."@en ; prov:wasDerivedFrom src:doc .
sector:agriculture a smp:Sector ; rdfs:label "agriculture"@en ; skos:inScheme scheme:sector ;
    skos:definition "Farming."@en ; prov:wasDerivedFrom src:doc .
mobility:circular a smp:MobilityType ; rdfs:label "circular mobility"@en ;
    skos:inScheme scheme:mobility-type ; skos:definition "Mobility with return."@en ;
    prov:wasDerivedFrom src:doc .
unit:percent a smp:Unit ; rdfs:label "percent"@en ; skos:inScheme scheme:unit ;
    skos:definition "Hundredths."@en ; prov:wasDerivedFrom src:doc .
component:formalised-state-cooperation a smp:Component ; rdfs:label "formalised state cooperation"@en ;
    skos:inScheme scheme:component ; skos:definition "Cooperation."@en ; prov:wasDerivedFrom src:doc .
component:multi-stakeholder-involvement a smp:Component ; rdfs:label "multi-stakeholder involvement"@en ;
    skos:inScheme scheme:component ; skos:definition "Stakeholders."@en ; prov:wasDerivedFrom src:doc .
component:training a smp:Component ; rdfs:label "training"@en ;
    skos:inScheme scheme:component ; skos:definition "Training."@en ; prov:wasDerivedFrom src:doc .
component:skills-recognition a smp:Component ; rdfs:label "skills recognition"@en ;
    skos:inScheme scheme:component ; skos:definition "Recognition."@en ; prov:wasDerivedFrom src:doc .
component:migration-mobility a smp:Component ; rdfs:label "migration/mobility"@en ;
    skos:inScheme scheme:component ; skos:definition "Mobility."@en ; prov:wasDerivedFrom src:doc .

agent:european-union a smp:SupranationalBody ; rdfs:label "European Union"@en ;
    prov:wasDerivedFrom src:doc .
<https://w3id.org/smpkg/id/passage/doc-l1-2> a smp:Passage ;
    smp:quote "Alpha programme trains nurses"@en ;
    smp:inSection <https://w3id.org/smpkg/id/source/doc/box-1> ;
    prov:wasQuotedFrom src:doc ;
    smp:supports [ a rdf:Statement ; rdf:subject prog:alpha ; rdf:predicate smp:coversSector ;
                   rdf:object sector:healthcare ] .
scheme:model a skos:ConceptScheme ; rdfs:label "Partnership models"@en .
<https://w3id.org/smpkg/id/model/global-skill-partnership> a smp:PartnershipModel ; rdfs:label "global skill partnership"@en ;
    skos:inScheme scheme:model ; skos:definition "A model."@en ; prov:wasDerivedFrom src:doc .
<https://w3id.org/smpkg/id/model/talent-partnership> a smp:PartnershipModel ; rdfs:label "talent partnership"@en ;
    skos:inScheme scheme:model ; skos:definition "A model."@en ; prov:wasDerivedFrom src:doc .
<https://w3id.org/smpkg/id/model/skills-mobility-partnership> a smp:PartnershipModel ; rdfs:label "skills mobility partnership"@en ;
    skos:inScheme scheme:model ; skos:definition "A model."@en ; prov:wasDerivedFrom src:doc .
<https://w3id.org/smpkg/id/model/mobility-partnership> a smp:PartnershipModel ; rdfs:label "mobility partnership"@en ;
    skos:inScheme scheme:model ; skos:definition "A model."@en ; prov:wasDerivedFrom src:doc .
agent:iom a smp:InternationalOrganisation ; rdfs:label "International Organization for Migration"@en ;
    smp:acronym "IOM"@en ; prov:wasDerivedFrom src:doc .
instr:fund a smp:FundingInstrument ; rdfs:label "Synthetic Fund"@en ;
    smp:fundedBy agent:european-union ; prov:wasDerivedFrom src:doc .
fw:gcm a smp:PolicyFramework ; rdfs:label "Global Compact for Migration"@en ;
    smp:acronym "GCM"@en ; prov:wasDerivedFrom src:doc .

country:MAR a smp:Country ; rdfs:label "Morocco"@en ; smp:iso3166Alpha3 "MAR" ;
    smp:iso3166Alpha2 "MA" ; skos:exactMatch eucountry:MAR .
country:DEU a smp:Country ; rdfs:label "Germany"@en ; smp:iso3166Alpha3 "DEU" ;
    smp:iso3166Alpha2 "DE" ; skos:exactMatch eucountry:DEU .
country:XKX a smp:Country ; rdfs:label "Kosovo"@en ;
    skos:note "No ISO 3166-1 code is assigned; XKX is a user-assigned code."@en .

prog:alpha a smp:Programme, smp:SkillsMobilityPartnership ;
    rdfs:label "Alpha programme"@en ;
    smp:acronym "ALPHA"@en ;
    dcterms:description "A synthetic programme that trains nurses in Morocco for work in Germany."@en ;
    smp:coversSector sector:healthcare ;
    smp:originCountry country:MAR ;
    smp:destinationCountry country:DEU ;
    smp:fundedBy agent:european-union ;
    smp:leadImplementer agent:iom ;
    smp:financedThrough instr:fund ;
    smp:relatesToFramework fw:gcm ;
    smp:mobilityType mobility:circular ;
    smp:hasComponent component:formalised-state-cooperation, component:multi-stakeholder-involvement,
        component:training, component:skills-recognition, component:migration-mobility ;
    smp:startDate "2019-01-01"^^xsd:date ; smp:startDatePrecision time:unitYear ;
    smp:endDate "2023-05-01"^^xsd:date ; smp:endDatePrecision time:unitMonth ;
    smp:plannedParticipants 250 ;
    smp:minimumAge 18 ;
    smp:maximumAge 35 ;
    prov:wasDerivedFrom src:doc ;
    smp:describedIn <https://w3id.org/smpkg/id/source/doc/box-1> .
prog:alpha-strand a smp:Project ;
    rdfs:label "Alpha strand"@en ;
    dcterms:description "The ICT strand of the synthetic programme."@en ;
    smp:coversSector sector:ict ;
    smp:partnerCountry country:MAR ;
    smp:directlyPartOf prog:alpha ;
    smp:startDate "2019-05-01"^^xsd:date ; smp:startDatePrecision time:unitMonth ;
    smp:endDate "2019-01-01"^^xsd:date ; smp:endDatePrecision time:unitYear ;
    prov:wasDerivedFrom src:doc .
prog:emp a smp:EUMobilityPartnership ;
    rdfs:label "Mobility partnership with Morocco"@en ;
    dcterms:description "A synthetic EU mobility partnership declaration."@en ;
    skos:note "The source names no sector."@en ;
    smp:partnerCountry country:MAR ;
    smp:signedDate "2013-01-01"^^xsd:date ; smp:signedDatePrecision time:unitYear ;
    smp:signatory agent:european-union, country:MAR ;
    smp:hasPredecessor prog:alpha ;
    prov:wasDerivedFrom src:doc .

fig:alpha-share a smp:Figure ;
    smp:figureValue 2.5 ;
    smp:comparator "less than" ;
    smp:unit unit:percent ;
    smp:statedAs "less than 2.5%"@en ;
    smp:figureAbout prog:alpha ;
    prov:wasDerivedFrom src:doc ;
    smp:describedIn <https://w3id.org/smpkg/id/source/doc/box-1> .
fig:alpha-range a smp:Figure ;
    smp:figureValue 40000 ;
    smp:figureMaxValue 50000 ;
    smp:comparator "between" ;
    smp:unit unit:percent ;
    smp:statedAs "40 000 - 50 000"@en ;
    smp:figureAbout prog:alpha ;
    prov:wasDerivedFrom src:doc ;
    smp:describedIn <https://w3id.org/smpkg/id/source/doc/box-1> .
"""
)

# Each broken resource, and the (path, severity) results SHACL must report for it; a path of
# None stands for a node-level constraint.
BAD_DATA = (
    GOOD_DATA
    + """
prog:bad-plain-label a smp:Programme ; rdfs:label "Plain label" ; prov:wasDerivedFrom src:doc .
prog:bad-two-labels a smp:Project ; rdfs:label "One"@en, "Two"@en ; prov:wasDerivedFrom src:doc .
prog:bad-root-only a smp:Initiative ; rdfs:label "Root only"@en ; prov:wasDerivedFrom src:doc .
prog:bad-source a smp:Scheme ; rdfs:label "Bad source"@en ; prov:wasDerivedFrom agent:iom .
prog:bad-section a smp:Scheme ; rdfs:label "Bad section"@en ; prov:wasDerivedFrom src:doc ;
    smp:describedIn src:doc .
prog:bad-values a smp:Project ; rdfs:label "Bad values"@en ; prov:wasDerivedFrom src:doc ;
    smp:startDate "2019" ;
    smp:endDate "2020-05-01"^^xsd:date ; smp:endDatePrecision time:unitYear ;
    smp:plannedParticipants -5 ;
    smp:durationInMonths "12" ;
    smp:originCountry agent:iom ;
    smp:fundedBy instr:fund ;
    smp:coversSector component:training ;
    smp:acronym "BV" .
prog:bad-warnings a smp:Project ; rdfs:label "Only required"@en ; prov:wasDerivedFrom src:doc .
country:XYZ a smp:Country ; rdfs:label "Nowhere"@en ; smp:iso3166Alpha3 "xyz" ;
    smp:iso3166Alpha2 "XYZ" ; skos:exactMatch eucountry:XYZ .
country:NOC a smp:Country ; rdfs:label "No code"@en ; skos:exactMatch eucountry:NOC .
agent:no-source a smp:Employer ; rdfs:label "Employer without source"@en ;
    dcterms:description "Plain description" .
fig:bad a smp:Figure ; smp:comparator "roughly" ; smp:figureAbout prog:alpha ;
    prov:wasDerivedFrom src:doc ; smp:describedIn <https://w3id.org/smpkg/id/source/doc/box-1> .
"""
)

V, W = "Violation", "Warning"
EXPECTED_RESULTS = {
    (PROG["bad-plain-label"], RDFS.label, V),
    (PROG["bad-two-labels"], RDFS.label, V),
    (PROG["bad-root-only"], RDF.type, V),
    (PROG["bad-source"], PROV.wasDerivedFrom, V),
    (PROG["bad-section"], SMP.describedIn, V),
    (PROG["bad-values"], SMP.startDate, V),
    (PROG["bad-values"], SMP.startDatePrecision, V),  # no precision
    (PROG["bad-values"], None, V),  # a date that does not fit its precision
    (PROG["bad-values"], SMP.plannedParticipants, V),
    (PROG["bad-values"], SMP.durationInMonths, V),
    (PROG["bad-values"], SMP.originCountry, V),
    (PROG["bad-values"], SMP.fundedBy, V),
    (PROG["bad-values"], SMP.coversSector, V),
    (PROG["bad-values"], SMP.acronym, V),
    (PROG["bad-warnings"], DCTERMS.description, W),
    (PROG["bad-warnings"], None, W),  # neither a sector nor a note; no country role
    (COUNTRY.XYZ, SMP.iso3166Alpha3, V),
    (COUNTRY.XYZ, SMP.iso3166Alpha2, V),
    (COUNTRY.NOC, None, V),  # no alpha-3 code and no note saying why
    (COUNTRY.NOC, None, W),  # no alpha-2 code and no note saying why
    (AGENT["no-source"], PROV.wasDerivedFrom, W),
    (AGENT["no-source"], DCTERMS.description, V),
    (FIG.bad, SMP.figureValue, V),
    (FIG.bad, SMP.unit, V),
    (FIG.bad, SMP.statedAs, V),
    (FIG.bad, SMP.comparator, V),
}


def _validate(data: str, ontology: Graph, shapes: Graph) -> set[tuple]:
    graph = Graph().parse(data=data, format="turtle")
    _, report, _ = pyshacl.validate(
        graph,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    results = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(result, SH.resultPath)
        severity = report.value(result, SH.resultSeverity)
        assert report.value(result, SH.resultMessage) is not None
        results.add(
            (
                report.value(result, SH.focusNode),
                path if isinstance(path, URIRef) else None,
                str(severity).rsplit("#", 1)[-1],
            )
        )
    return results


def test_good_data_passes_the_shapes(ontology: Graph, shapes: Graph) -> None:
    results = _validate(GOOD_DATA, ontology, shapes)
    assert results == set()


def test_bad_data_fails_the_shapes_where_expected(ontology: Graph, shapes: Graph) -> None:
    results = _validate(BAD_DATA, ontology, shapes)
    missing = EXPECTED_RESULTS - results
    assert not missing, f"expected results not reported: {sorted(map(str, missing))}"
    bad = {focus for focus, _, _ in EXPECTED_RESULTS}
    unexpected = {r for r in results if r[0] not in bad}
    assert not unexpected, f"results on resources that are fine: {sorted(map(str, unexpected))}"


# ---------------------------------------------------------------------------------------------
# Data-quality checks
# ---------------------------------------------------------------------------------------------


def test_there_are_checks() -> None:
    assert len(_check_files()) >= 9


@pytest.mark.parametrize("path", _check_files(), ids=lambda p: p.name)
def test_check_has_header_and_parses(path: Path) -> None:
    header, query = _header(path)
    assert isinstance(header.get("summary"), str) and header["summary"], "no #+ summary"
    assert isinstance(header.get("description"), str) and header["description"], "no #+ description"
    assert header.get("tags") == ["quality"], "tags must be [quality]"
    assert path.read_text(encoding="utf-8").startswith("#+ summary: ")
    prepared = prepareQuery(path.read_text(encoding="utf-8"))
    assert prepared.algebra.name == "SelectQuery"
    assert [str(v) for v in prepared.algebra["PV"]] == ["focus", "message"]
    assert query.lstrip().startswith("PREFIX") or query.lstrip().startswith("SELECT")


# For each check, additions to the good data that it must catch, and the focus it reports.
CHECK_CASES = {
    "evidence-for-unasserted-statement": (
        "<https://w3id.org/smpkg/id/passage/doc-l3> a smp:Passage ; smp:supports [ a rdf:Statement ; rdf:subject prog:alpha ; "
        "rdf:predicate smp:coversSector ; rdf:object sector:agriculture ] .",
        URIRef("https://w3id.org/smpkg/id/passage/doc-l3"),
    ),
    "passage-section-of-other-document": (
        "src:other a smp:SourceDocument . <https://w3id.org/smpkg/id/passage/doc-l4> a smp:Passage ; "
        "smp:inSection <https://w3id.org/smpkg/id/source/doc/box-1> ; prov:wasQuotedFrom src:other .",
        URIRef("https://w3id.org/smpkg/id/passage/doc-l4"),
    ),
    "follows-model-redundant": (
        "prog:alpha smp:followsModel <https://w3id.org/smpkg/id/model/skills-mobility-partnership> .",
        PROG.alpha,
    ),
    "transitive-part-of-asserted": (
        "prog:alpha-pilot smp:partOf prog:alpha .",
        PROG["alpha-pilot"],
    ),
    "undescribed-id-iri": ("prog:alpha smp:relatedTo prog:ghost .", PROG.ghost),
    "duplicate-label-language": (
        'agent:iom rdfs:label "IOM, the UN migration agency"@en .',
        AGENT.iom,
    ),
    "end-before-start": (
        'prog:late a smp:Project ; smp:startDate "2021-06-01"^^xsd:date ; '
        "smp:startDatePrecision time:unitMonth ; "
        'smp:endDate "2021-03-01"^^xsd:date ; smp:endDatePrecision time:unitMonth ; '
        "prov:wasDerivedFrom src:doc .",
        PROG.late,
    ),
    "initiative-without-provenance": (
        'prog:noprov a smp:PilotProject ; rdfs:label "No provenance"@en .',
        PROG.noprov,
    ),
    "self-reference": (
        "prog:cycle-a a smp:Project ; smp:hasPredecessor prog:cycle-b ; prov:wasDerivedFrom src:doc . "
        "prog:cycle-b a smp:Project ; smp:hasPredecessor prog:cycle-a ; prov:wasDerivedFrom src:doc .",
        PROG["cycle-a"],
    ),
    "undeclared-ontology-term": ("prog:alpha smp:fundedby agent:iom .", SMP.fundedby),
    "country-without-eu-authority": (
        'country:FRA a smp:Country ; rdfs:label "France"@en ; smp:iso3166Alpha3 "FRA" .',
        COUNTRY.FRA,
    ),
    "country-code-mismatch": (
        'country:ITA a smp:Country ; rdfs:label "Italy"@en ; smp:iso3166Alpha3 "ESP" ; '
        "skos:exactMatch eucountry:ITA .",
        COUNTRY.ITA,
    ),
    "section-without-document": (
        '<https://w3id.org/smpkg/id/source/doc/box-9> a smp:SourceSection ; rdfs:label "Box 9"@en .',
        URIRef(SRC + "doc/box-9"),
    ),
    "section-source-not-cited": (
        "src:other a smp:SourceDocument . <https://w3id.org/smpkg/id/source/other/table-1> "
        "a smp:SourceSection ; smp:sectionOf src:other . prog:alpha-strand smp:describedIn "
        "<https://w3id.org/smpkg/id/source/other/table-1> .",
        PROG["alpha-strand"],
    ),
    "duplicate-acronym": (
        'prog:alpha-copy a smp:Programme ; smp:acronym "Alpha"@en ; prov:wasDerivedFrom src:doc .',
        PROG["alpha-copy"],
    ),
    "defined-class-asserted": (
        "prog:alpha a smp:InternationallyImplementedInitiative .",
        PROG.alpha,
    ),
    "iri-scheme": (
        "<https://w3id.org/smpkg/id/programme/Bad_Slug> a smp:Project ; prov:wasDerivedFrom src:doc .",
        PROG["Bad_Slug"],
    ),
    "programme-iri-not-initiative": (
        "prog:an-organisation a smp:Organisation .",
        PROG["an-organisation"],
    ),
    "minimum-above-maximum": (
        "prog:alpha-strand smp:minimumAge 40 ; smp:maximumAge 30 .",
        PROG["alpha-strand"],
    ),
    "figure-range-incomplete": (
        'fig:open-range a smp:Figure ; smp:figureValue 1 ; smp:comparator "between" .',
        FIG["open-range"],
    ),
}


@pytest.fixture(scope="module")
def good_union(ontology: Graph) -> Graph:
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    return graph.parse(data=GOOD_DATA, format="turtle")


@pytest.fixture(scope="module")
def bad_union(ontology: Graph) -> Graph:
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    graph.parse(data=GOOD_DATA, format="turtle")
    for addition, _ in CHECK_CASES.values():
        graph.parse(data=PREFIXES + addition, format="turtle")
    return graph


def test_every_check_has_a_failing_case() -> None:
    assert {p.stem for p in _check_files()} == set(CHECK_CASES)


@pytest.mark.parametrize("path", _check_files(), ids=lambda p: p.name)
def test_check_is_silent_on_good_data(path: Path, good_union: Graph) -> None:
    rows = list(good_union.query(path.read_text(encoding="utf-8")))
    assert rows == [], [(str(r.focus), str(r.message)) for r in rows]


@pytest.mark.parametrize("path", _check_files(), ids=lambda p: p.name)
def test_check_catches_its_case(path: Path, bad_union: Graph) -> None:
    _, focus = CHECK_CASES[path.stem]
    rows = list(bad_union.query(path.read_text(encoding="utf-8")))
    found = {row.focus for row in rows}
    assert focus in found, [(str(r.focus), str(r.message)) for r in rows]
    for row in rows:
        assert isinstance(row.message, Literal) and str(row.message)
