"""The curated data (data/**/*.ttl) against a checklist derived from the five seed documents.

Every table below is a list of facts that a seed states; each row is one parametrised test, so a
failure names the missing fact. The fixtures are self-contained: the data is parsed here, not
through the shared conftest or the smpkg package.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib
from conftest import SHARED, require_shared
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SKOS, TIME, XSD

from smpkg.dates import PRECISION_OF

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SEEDS = SHARED / "seeds"

BASE = "https://w3id.org/smpkg/"
SMP = Namespace(BASE + "ontology#")
ID = BASE + "id/"
SCHEMA = Namespace("https://schema.org/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
WD = "http://www.wikidata.org/entity/"
EUC = "http://publications.europa.eu/resource/authority/country/"


def _ns(kind: str) -> Namespace:
    return Namespace(f"{ID}{kind}/")


PROG, AGENT, COUNTRY, PLACE = _ns("programme"), _ns("organisation"), _ns("country"), _ns("place")
FW, INSTR, SRC, FIG = _ns("framework"), _ns("instrument"), _ns("source"), _ns("figure")
SECTOR, OCC, COMPONENT, PREREQ = (
    _ns("sector"),
    _ns("occupation"),
    _ns("component"),
    _ns("prerequisite"),
)
SKILL, MOBILITY, TARGET, FEATURE = (
    _ns("skill-level"),
    _ns("mobility-type"),
    _ns("target-group"),
    _ns("feature"),
)
LEGAL, STATUS, UNIT, MODEL, SCHEME = (
    _ns("legal-basis"),
    _ns("status"),
    _ns("unit"),
    _ns("model"),
    _ns("scheme"),
)

INFORM, PAGE, ICMPD = (
    SRC["emn-oecd-inform-2022"],
    SRC["emn-inform-announcement-2022"],
    SRC["icmpd-commentary-six-ways"],
)
GUIDANCE, INFOSHEET = SRC["iom-smp-guidance"], SRC["iom-smp-infosheet"]
INVENTORY = SRC["link4skills-partnership-inventory"]

INITIATIVE_CLASSES = {
    SMP[c]
    for c in (
        "Initiative",
        "Programme",
        "Project",
        "PilotProject",
        "Scheme",
        "Agreement",
        "BilateralLabourAgreement",
        "PlacementAgreement",
        "MobilityPartnershipDeclaration",
        "ProposedInitiative",
        "Partnership",
        "SkillsMobilityPartnership",
        "TalentPartnership",
        "GlobalSkillPartnership",
        "EUMobilityPartnership",
    )
}
ORGANISATION_CLASSES = {
    SMP[c]
    for c in (
        "Organisation",
        "PublicAgency",
        "Ministry",
        "DevelopmentAgency",
        "EmploymentAgency",
        "SupranationalBody",
        "InternationalOrganisation",
        "Employer",
        "EmployerOrganisation",
        "TradeUnion",
        "TrainingProvider",
        "University",
        "ResearchOrganisation",
        "CivilSocietyOrganisation",
        "OrganisationalCollaboration",
    )
}
FRAMEWORK_CLASSES = {
    SMP[c]
    for c in (
        "PolicyFramework",
        "PolicyObjective",
        "SustainableDevelopmentGoal",
        "FundingInstrument",
        "Legislation",
    )
}
CONCEPT_CLASSES = {
    SMP[c]
    for c in (
        "Sector",
        "Occupation",
        "TargetGroup",
        "SkillLevel",
        "MobilityType",
        "Component",
        "Prerequisite",
        "Feature",
        "LegalBasis",
        "Status",
        "PartnershipModel",
        "Unit",
    )
}
DEFINED_CLASSES = {
    SMP[c]
    for c in (
        "FullSkillsMobilityPartnership",
        "HealthcareInitiative",
        "ICTInitiative",
        "AgricultureInitiative",
        "CircularMobilityInitiative",
        "EUFundedInitiative",
        "InternationallyImplementedInitiative",
    )
}

TTL_FILES = sorted(DATA.glob("**/*.ttl"))


@pytest.fixture(scope="module")
def g() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in TTL_FILES:
        graph.parse(path, format="turtle")
    return graph


def _typed(g: rdflib.Graph, classes: set) -> set:
    return {s for c in classes for s in g.subjects(RDF.type, c)}


def _short(term) -> str:
    return str(term).replace(ID, "").replace(str(SMP), "smp:")


def _ids(rows, width: int | None = None):
    return [" ".join(_short(x) for x in (row[:width] if width else row)) for row in rows]


# ------------------------------------------------------------------------------------------
# Files
# ------------------------------------------------------------------------------------------

EXPECTED_FILES = [
    "sources.ttl",
    "frameworks.ttl",
    "organisations.ttl",
    "figures.ttl",
    "places/countries.ttl",
    "places/regions.ttl",
    "vocabularies/components.ttl",
    "vocabularies/prerequisites.ttl",
    "vocabularies/sectors.ttl",
    "vocabularies/occupations.ttl",
    "vocabularies/skill-levels.ttl",
    "vocabularies/mobility-types.ttl",
    "vocabularies/target-groups.ttl",
    "vocabularies/features.ttl",
    "vocabularies/legal-bases.ttl",
    "vocabularies/statuses.ttl",
    "vocabularies/units.ttl",
    "vocabularies/partnership-models.ttl",
    "initiatives/eu-mobility-partnerships.ttl",
    "initiatives/eu-level.ttl",
    "initiatives/austria.ttl",
    "initiatives/belgium.ttl",
    "initiatives/bulgaria.ttl",
    "initiatives/france.ttl",
    "initiatives/germany.ttl",
    "initiatives/ireland.ttl",
    "initiatives/luxembourg.ttl",
    "initiatives/spain.ttl",
    "initiatives/other-member-states.ttl",
    "initiatives/non-eu.ttl",
    "initiatives/link4skills.ttl",
    "initiatives/future-outlook.ttl",
]


@pytest.mark.parametrize("name", EXPECTED_FILES)
def test_expected_file_exists(name):
    assert (DATA / name).is_file(), f"data/{name} is missing"


@pytest.mark.parametrize("path", TTL_FILES, ids=[str(p.relative_to(DATA)) for p in TTL_FILES])
def test_file_parses_on_its_own(path):
    assert len(rdflib.Graph().parse(path, format="turtle")) > 0


# ------------------------------------------------------------------------------------------
# Sources
# ------------------------------------------------------------------------------------------

SOURCE_FACTS = [
    (PAGE, DCTERMS.issued, Literal("2022-03-03", datatype=XSD.date)),
    (INFORM, DCTERMS.issued, Literal("2022-01-01", datatype=XSD.date)),
    (INFORM, SMP.issuedPrecision, TIME.unitYear),
    (INFORM, DCTERMS.publisher, AGENT["emn"]),
    (INFORM, DCTERMS.publisher, AGENT["oecd"]),
    (ICMPD, DCTERMS.publisher, AGENT["icmpd"]),
    (GUIDANCE, SCHEMA.isbn, Literal("978-92-9268-508-9")),
    (GUIDANCE, SCHEMA.numberOfPages, Literal(106)),
    (GUIDANCE, DCTERMS.identifier, Literal("PUB2023/002/EL")),
    (GUIDANCE, DCTERMS.available, Literal("2024-02-26", datatype=XSD.date)),
    (INFOSHEET, DCTERMS.publisher, AGENT["iom"]),
]


@pytest.mark.parametrize("s,p,o", SOURCE_FACTS, ids=_ids(SOURCE_FACTS))
def test_source_metadata(g, s, p, o):
    assert (s, RDF.type, SMP.SourceDocument) in g
    assert (s, p, o) in g, f"{_short(s)} lacks {p} {o!r}"


def test_no_publisher_where_no_seed_names_one(g):
    """Audit U1: seed 003 names no publisher; seed 000 does not say who publishes the page."""
    assert not list(g.objects(GUIDANCE, DCTERMS.publisher))
    assert not list(g.objects(PAGE, DCTERMS.publisher))


SOURCE_TITLES = [
    (PAGE, "Skills Mobility Partnerships: Exploring Innovative Approaches to Labour Migration"),
    (INFORM, "Skills Mobility Partnerships: Exploring Innovative Approaches to Labour Migration"),
    (ICMPD, "Six ways to improve the mutual benefits of labour mobility"),
    (
        GUIDANCE,
        "Skills Mobility Partnerships: Recommendations and Guidance for Policymakers and Practitioners",
    ),
    (INFOSHEET, "Skills Mobility Partnerships"),
]


@pytest.mark.parametrize("s,title", SOURCE_TITLES, ids=_ids(SOURCE_TITLES, 1))
def test_source_title(g, s, title):
    assert Literal(title, lang="en") in set(g.objects(s, DCTERMS.title))


def test_only_the_five_seeds_are_source_documents(g):
    assert set(g.subjects(RDF.type, SMP.SourceDocument)) == {
        PAGE,
        INFORM,
        ICMPD,
        GUIDANCE,
        INFOSHEET,
    }


def test_every_section_belongs_to_a_document_and_has_a_label(g):
    sections = set(g.subjects(RDF.type, SMP.SourceSection))
    assert len(sections) > 50
    for section in sections:
        docs = list(g.objects(section, SMP.sectionOf))
        assert len(docs) == 1 and (docs[0], RDF.type, SMP.SourceDocument) in g, section
        assert str(section).startswith(str(docs[0]) + "/"), (
            f"{section} is not under its document's IRI"
        )
        assert g.value(section, RDFS.label) is not None, section


def test_every_described_in_target_is_a_section(g):
    for s, target in g.subject_objects(SMP.describedIn):
        assert (target, RDF.type, SMP.SourceSection) in g, (
            f"{_short(s)} describedIn unknown {target}"
        )


# ------------------------------------------------------------------------------------------
# EU Mobility Partnerships (inform Box 1)
# ------------------------------------------------------------------------------------------

EU_MOBILITY_PARTNERSHIPS = [
    ("cape-verde", "CPV", "2008"),
    ("moldova", "MDA", "2008"),
    ("georgia", "GEO", "2009"),
    ("armenia", "ARM", "2011"),
    ("azerbaijan", "AZE", "2013"),
    ("morocco", "MAR", "2013"),
    ("tunisia", "TUN", "2014"),
    ("jordan", "JOR", "2014"),
    ("belarus", "BLR", "2016"),
]


@pytest.mark.parametrize(
    "slug,a3,year", EU_MOBILITY_PARTNERSHIPS, ids=[r[0] for r in EU_MOBILITY_PARTNERSHIPS]
)
def test_eu_mobility_partnership(g, slug, a3, year):
    mp = PROG[f"eu-mobility-partnership-{slug}"]
    assert set(g.objects(mp, RDF.type)) == {
        SMP.EUMobilityPartnership,
        SMP.MobilityPartnershipDeclaration,
    }, "typed as an EU mobility partnership and as the declaration that set it up"
    assert list(g.objects(mp, SMP.signedDate)) == [Literal(f"{year}-01-01", datatype=XSD.date)]
    assert (mp, SMP.signedDatePrecision, TIME.unitYear) in g
    assert (mp, SMP.signatory, AGENT["european-commission"]) in g
    assert (mp, SMP.partnerCountry, COUNTRY[a3]) in g
    assert (mp, SMP.relatesToFramework, FW["gamm"]) in g
    assert (mp, SMP.implementingPartner, AGENT["etf"]) in g
    assert (mp, SMP.legalBasis, LEGAL["mobility-partnership-declaration"]) in g


def test_there_are_exactly_nine_eu_mobility_partnerships(g):
    assert len(set(g.subjects(RDF.type, SMP.EUMobilityPartnership))) == 9


# ------------------------------------------------------------------------------------------
# Initiatives: presence, label and type
# ------------------------------------------------------------------------------------------

INITIATIVES = [
    # slug, a word the label must contain, a class it must carry
    ("mentor-i", "MENTOR I", SMP.Project),
    ("mentor-ii", "Mediterranean Network for Training Orientation", SMP.Scheme),
    ("digi-talents", "Digital Talents", SMP.Project),
    ("thamm", "Holistic Approach to Labour Migration", SMP.Programme),
    ("thamm-belgium", "THAMM", SMP.Project),
    ("thamm-germany", "THAMM", SMP.Project),
    ("iom-match", "Migration of African Talents", SMP.SkillsMobilityPartnership),
    ("eu-talent-partnerships", "Talent Partnerships", SMP.TalentPartnership),
    ("africa-uninet", "Africa-UniNet", SMP.SkillsMobilityPartnership),
    ("asea-uninet", "ASEA-UniNet", SMP.SkillsMobilityPartnership),
    ("eurasia-pacific-uninet", "Eurasia-Pacific UniNet", SMP.SkillsMobilityPartnership),
    ("taiwan-austria-funding-programme", "Taiwan-Austria", SMP.SkillsMobilityPartnership),
    ("ceepus", "CEEPUS", SMP.SkillsMobilityPartnership),
    ("palim", "PALIM", SMP.Project),
    ("palim", "PALIM", SMP.SkillsMobilityPartnership),
    ("pem", "PEM", SMP.Project),
    ("tunisian-youth-employability", "Tunisian youth employability", SMP.Project),
    ("belgian-tunisian-smp", "Belgian-Tunisian", SMP.SkillsMobilityPartnership),
    ("belgium-amif-healthcare-project", "healthcare", SMP.Project),
    ("balmr", "labour migration regulation", SMP.Agreement),
    ("france-migration-flow-agreements", "migration flows", SMP.Agreement),
    ("france-young-professionals-scheme", "Young Professionals", SMP.Scheme),
    ("germany-placement-agreements", "Placement agreements", SMP.PlacementAgreement),
    ("pam", "Partnership Approaches", SMP.Programme),
    ("triple-win", "Triple Win", SMP.Programme),
    ("nursing-training-el-salvador-vietnam", "El Salvador", SMP.SkillsMobilityPartnership),
    ("global-skills-partnerships-nursing", "Global Skills Partnerships Nursing", SMP.PilotProject),
    ("hand-in-hand-for-international-talents", "Hand in Hand", SMP.PilotProject),
    ("skills-partnership-mobility-kosovo", "Kosovo", SMP.Programme),
    ("giz-georgia-project", "Georgia", SMP.Project),
    ("imgti", "International Medical Graduate Training Initiative", SMP.Programme),
    ("exchange-agreement-employment-permit", "Exchange Agreement Employment Permit", SMP.Scheme),
    ("atypical-working-scheme", "Atypical Working Scheme", SMP.Scheme),
    ("ireland-fellows-programme", "Ireland Fellows", SMP.Programme),
    ("luxembourg-cape-verde-agreement", "Cape Verde", SMP.BilateralLabourAgreement),
    ("gecco", "GECCO", SMP.Programme),
    ("wafira", "Women as Independently Financial Rural Actors", SMP.Project),
    ("young-generation-as-change-agents", "Young generation as change agents", SMP.PilotProject),
    ("lithuania-ukraine-mental-health-training", "mental health", SMP.Project),
    ("slovakia-labour-mobility-scheme", "Labour Mobility Scheme", SMP.ProposedInitiative),
    ("aptc", "Australia Pacific Technical College", SMP.Programme),
    ("aptc-third-stage", "third stage", SMP.Programme),
    ("eps", "Employment Permit System", SMP.Programme),
    ("japan-nurse-care-worker-programmes", "nurses and care workers", SMP.Programme),
    ("titp", "Technical Intern Training Program", SMP.Programme),
    ("specified-skilled-worker-programme", "Specified Skilled Worker", SMP.Programme),
    ("heimerer-college-programme", "Heimerer", SMP.Programme),
    ("dekra-academy-programme", "DEKRA", SMP.Programme),
    ("link4skills", "Link4Skills", SMP.Project),
    ("digital-explorers-iraq", "Digital Explorers", SMP.Project),
    ("digital-explorers-related-pilot-1", "Digital Explorers", SMP.PilotProject),
    ("digital-explorers-related-pilot-2", "Digital Explorers", SMP.PilotProject),
    ("smp-clearinghouse", "learinghouse", SMP.ProposedInitiative),
    ("eu-talent-pool", "EU Talent Pool", SMP.ProposedInitiative),
]


@pytest.mark.parametrize(
    "slug,label,cls", INITIATIVES, ids=[f"{r[0]} {_short(r[2])}" for r in INITIATIVES]
)
def test_initiative_present(g, slug, label, cls):
    s = PROG[slug]
    labels = [str(x) for x in g.objects(s, RDFS.label)]
    assert labels, f"{slug} is missing"
    assert any(label in x for x in labels), f"{slug} label {labels} lacks {label!r}"
    assert (s, RDF.type, cls) in g, f"{slug} is not a {_short(cls)}"


BALMR = [
    ("armenia", "ARM"),
    ("moldova", "MDA"),
    ("georgia", "GEO"),
]

# Seed 001 l.512-514: only negotiations or a mandate to negotiate, no agreement (audit I7).
BALMR_PROPOSED = [
    ("ukraine", "UKR", "under-negotiation"),
    ("belarus", "BLR", "under-negotiation"),
    ("albania", "ALB", "negotiation-mandate"),
    ("azerbaijan", "AZE", "negotiation-mandate"),
    ("kyrgyzstan", "KGZ", "negotiation-mandate"),
    ("turkmenistan", "TKM", "negotiation-mandate"),
    ("uzbekistan", "UZB", "negotiation-mandate"),
]


@pytest.mark.parametrize("slug,a3", BALMR, ids=[r[0] for r in BALMR])
def test_bulgarian_balmr_agreement(g, slug, a3):
    s = PROG[f"balmr-{slug}"]
    assert (s, RDF.type, SMP.BilateralLabourAgreement) in g
    assert (s, SMP.directlyPartOf, PROG["balmr"]) in g
    assert (s, SMP.partnerCountry, COUNTRY[a3]) in g
    assert (s, SMP.destinationCountry, COUNTRY["BGR"]) in g
    assert list(g.objects(s, SMP.status)) == [STATUS["concluded"]]


@pytest.mark.parametrize("slug,a3,status", BALMR_PROPOSED, ids=[r[0] for r in BALMR_PROPOSED])
def test_bulgarian_balmr_negotiation_is_no_agreement(g, slug, a3, status):
    s = PROG[f"balmr-{slug}"]
    assert (s, RDF.type, SMP.ProposedInitiative) in g
    assert (s, RDF.type, SMP.Agreement) not in g
    assert (s, SMP.relatedTo, PROG["balmr"]) in g
    assert (s, SMP.partnerCountry, COUNTRY[a3]) in g
    assert (s, SMP.destinationCountry, COUNTRY["BGR"]) not in g
    assert list(g.objects(s, SMP.status)) == [STATUS[status]]


FRANCE_YOUNG_PROFESSIONALS = [
    ("bosnia-and-herzegovina", "BIH"),
    ("georgia", "GEO"),
    ("india", "IND"),
    ("united-states", "USA"),
]


@pytest.mark.parametrize(
    "slug,a3", FRANCE_YOUNG_PROFESSIONALS, ids=[r[0] for r in FRANCE_YOUNG_PROFESSIONALS]
)
def test_french_young_professional_agreement(g, slug, a3):
    s = PROG[f"france-young-professionals-agreement-{slug}"]
    assert (s, RDF.type, SMP.BilateralLabourAgreement) in g
    assert (s, SMP.directlyPartOf, PROG["france-economic-migration-agreements"]) in g
    assert (
        PROG["france-economic-migration-agreements"],
        SMP.directlyPartOf,
        PROG["france-migration-flow-agreements"],
    ) in g
    assert (s, SMP.originCountry, COUNTRY[a3]) in g
    assert (s, SMP.destinationCountry, COUNTRY["FRA"]) in g
    assert not list(g.objects(s, SMP.status)), "the source does not say which three are in force"


# ------------------------------------------------------------------------------------------
# Facts stated for initiatives: countries by role, actors by role, money, relations, concepts
# ------------------------------------------------------------------------------------------

P = PROG
FACTS = [
    # MENTOR
    (P["mentor-ii"], SMP.hasPredecessor, P["mentor-i"]),
    (P["mentor-i"], SMP.hasSuccessor, P["mentor-ii"]),
    (P["mentor-ii"], SMP.financedThrough, INSTR["mpf"]),
    (P["mentor-ii"], SMP.originCountry, COUNTRY["MAR"]),
    (P["mentor-ii"], SMP.originCountry, COUNTRY["TUN"]),
    (P["mentor-ii"], SMP.destinationCountry, COUNTRY["ITA"]),
    (P["mentor-ii"], SMP.involvesPlace, PLACE["northern-italy"]),
    (P["mentor-ii"], SMP.mobilityType, MOBILITY["circular"]),
    (P["mentor-ii"], SMP.mobilityType, MOBILITY["traineeship"]),
    # DIGI TALENTS
    (P["digi-talents"], SMP.originCountry, COUNTRY["MDA"]),
    (P["digi-talents"], SMP.destinationCountry, COUNTRY["SVK"]),
    (P["digi-talents"], SMP.coversSector, SECTOR["ict"]),
    (P["digi-talents"], SMP.financedThrough, INSTR["mpf"]),
    # MPF
    (INSTR["mpf"], SMP.fundedBy, AGENT["european-union"]),
    (INSTR["mpf"], SMP.implementedBy, AGENT["icmpd"]),
    (INSTR["horizon-europe"], SMP.fundedBy, AGENT["european-union"]),
    # THAMM
    (P["thamm"], SMP.partnerCountry, COUNTRY["EGY"]),
    (P["thamm"], SMP.partnerCountry, COUNTRY["MAR"]),
    (P["thamm"], SMP.partnerCountry, COUNTRY["TUN"]),
    (P["thamm"], SMP.destinationCountry, COUNTRY["BEL"]),
    (P["thamm"], SMP.destinationCountry, COUNTRY["DEU"]),
    (P["thamm"], SMP.implementedBy, COUNTRY["BEL"]),
    (P["thamm"], SMP.implementedBy, COUNTRY["DEU"]),
    (P["thamm"], SMP.cooperatesWith, AGENT["iom"]),
    (P["thamm"], SMP.cooperatesWith, AGENT["ilo"]),
    (P["thamm"], SMP.fundedBy, AGENT["european-union"]),
    (P["thamm"], SMP.followsModel, MODEL["global-skill-partnership"]),
    (P["thamm"], SMP.involvesPlace, PLACE["north-africa"]),
    (P["thamm-belgium"], SMP.directlyPartOf, P["thamm"]),
    (P["thamm-belgium"], SMP.implementedBy, AGENT["enabel"]),
    (P["thamm-belgium"], SMP.partnerCountry, COUNTRY["MAR"]),
    (P["thamm-belgium"], SMP.partnerCountry, COUNTRY["TUN"]),
    (P["thamm-belgium"], SMP.destinationCountry, COUNTRY["BEL"]),
    (P["thamm-germany"], SMP.directlyPartOf, P["thamm"]),
    (P["thamm-germany"], SMP.implementedBy, AGENT["giz"]),
    (P["thamm-germany"], SMP.cooperatesWith, AGENT["federal-employment-agency"]),
    (P["thamm-germany"], SMP.partnerCountry, COUNTRY["EGY"]),
    (P["thamm-germany"], SMP.destinationCountry, COUNTRY["DEU"]),
    (P["thamm-germany"], SMP.coversSector, SECTOR["hotel-and-catering"]),
    (P["thamm-germany"], SMP.hasFeature, FEATURE["pre-departure-preparation"]),
    # IOM-MATCH
    (P["iom-match"], SMP.destinationCountry, COUNTRY["BEL"]),
    (P["iom-match"], SMP.destinationCountry, COUNTRY["ITA"]),
    (P["iom-match"], SMP.destinationCountry, COUNTRY["LUX"]),
    (P["iom-match"], SMP.destinationCountry, COUNTRY["NLD"]),
    (P["iom-match"], SMP.originCountry, COUNTRY["NGA"]),
    (P["iom-match"], SMP.originCountry, COUNTRY["SEN"]),
    (P["iom-match"], SMP.coversSector, SECTOR["ict"]),
    (P["iom-match"], SMP.coversSector, SECTOR["technology-and-engineering"]),
    (P["iom-match"], SMP.mobilityType, MOBILITY["circular"]),
    (P["eu-talent-partnerships"], SMP.relatesToFramework, FW["new-pact"]),
    # Austria
    (P["africa-uninet"], SMP.involvesPlace, PLACE["africa"]),
    (P["asea-uninet"], SMP.involvesPlace, PLACE["asia"]),
    (P["eurasia-pacific-uninet"], SMP.involvesPlace, PLACE["asia"]),
    (P["taiwan-austria-funding-programme"], SMP.involvesPlace, PLACE["asia"]),
    (P["ceepus"], SMP.involvesPlace, PLACE["eastern-europe"]),
    (P["ceepus"], SMP.relatesToFramework, FW["austria-international-higher-education-cooperation"]),
    (P["africa-uninet"], SMP.destinationCountry, COUNTRY["AUT"]),
    # Belgium
    (P["palim"], SMP.originCountry, COUNTRY["MAR"]),
    (P["palim"], SMP.destinationCountry, COUNTRY["BEL"]),
    (P["palim"], SMP.involvesPlace, PLACE["flanders"]),
    (P["palim"], SMP.coversSector, SECTOR["ict"]),
    (P["palim"], SMP.followsModel, MODEL["global-skill-partnership"]),
    (P["pem"], SMP.partnerCountry, COUNTRY["SEN"]),
    (P["pem"], SMP.destinationCountry, COUNTRY["BEL"]),
    (P["pem"], SMP.mobilityType, MOBILITY["entrepreneurial"]),
    (P["pem"], SMP.targetGroup, TARGET["entrepreneurs"]),
    (P["pem"], SMP.hasFeature, FEATURE["internship"]),
    (P["tunisian-youth-employability"], SMP.implementedBy, AGENT["iom"]),
    (P["tunisian-youth-employability"], SMP.originCountry, COUNTRY["TUN"]),
    (P["tunisian-youth-employability"], SMP.destinationCountry, COUNTRY["BEL"]),
    (P["tunisian-youth-employability"], SMP.targetGroup, TARGET["young-graduates"]),
    (P["belgian-tunisian-smp"], SMP.implementedBy, AGENT["iom"]),
    (P["belgium-amif-healthcare-project"], SMP.financedThrough, INSTR["amif"]),
    (P["belgium-amif-healthcare-project"], SMP.coversSector, SECTOR["healthcare"]),
    (P["belgium-amif-healthcare-project"], SMP.status, STATUS["planned"]),
    # Bulgaria
    (P["balmr"], SMP.relatesToFramework, FW["bulgaria-national-strategy-migration"]),
    (P["balmr"], SMP.mobilityType, MOBILITY["seasonal"]),
    (P["balmr"], SMP.hasFeature, FEATURE["fair-recruitment-safeguards"]),
    # France
    (P["france-young-professionals-scheme"], SMP.managedBy, AGENT["ofii"]),
    (P["france-young-professionals-scheme"], SMP.destinationCountry, COUNTRY["FRA"]),
    (P["france-young-professionals-scheme"], SMP.mobilityType, MOBILITY["circular"]),
    (P["france-young-professionals-scheme"], SMP.mobilityType, MOBILITY["temporary"]),
    # Germany
    (P["germany-placement-agreements"], SMP.signatory, AGENT["federal-employment-agency"]),
    (P["germany-placement-agreements"], SMP.legalBasis, LEGAL["placement-agreement"]),
    (P["pam"], SMP.partnerCountry, COUNTRY["ECU"]),
    (P["pam"], SMP.partnerCountry, COUNTRY["NGA"]),
    (P["pam"], SMP.partnerCountry, COUNTRY["XKX"]),
    (P["pam"], SMP.partnerCountry, COUNTRY["VNM"]),
    (P["pam"], SMP.involvesActor, AGENT["giz"]),
    (P["triple-win"], SMP.targetsOccupation, OCC["nurses"]),
    (P["triple-win"], SMP.coversSector, SECTOR["healthcare"]),
    (
        P["nursing-training-el-salvador-vietnam"],
        SMP.implementedBy,
        AGENT["federal-employment-agency"],
    ),
    (P["nursing-training-el-salvador-vietnam"], SMP.originCountry, COUNTRY["SLV"]),
    (P["nursing-training-el-salvador-vietnam"], SMP.originCountry, COUNTRY["VNM"]),
    (P["global-skills-partnerships-nursing"], SMP.implementedBy, AGENT["giz"]),
    (
        P["global-skills-partnerships-nursing"],
        SMP.hasFeature,
        FEATURE["skills-recognition-support"],
    ),
    (P["hand-in-hand-for-international-talents"], SMP.originCountry, COUNTRY["BRA"]),
    (P["hand-in-hand-for-international-talents"], SMP.originCountry, COUNTRY["IND"]),
    (P["hand-in-hand-for-international-talents"], SMP.originCountry, COUNTRY["VNM"]),
    (P["hand-in-hand-for-international-talents"], SMP.destinationCountry, COUNTRY["DEU"]),
    (
        P["skills-partnership-mobility-kosovo"],
        SMP.commissionedBy,
        AGENT["german-ministry-economic-cooperation-development"],
    ),
    (P["skills-partnership-mobility-kosovo"], SMP.implementedBy, AGENT["giz"]),
    (P["skills-partnership-mobility-kosovo"], SMP.cooperatesWith, AGENT["eark"]),
    (P["skills-partnership-mobility-kosovo"], SMP.originCountry, COUNTRY["XKX"]),
    (P["skills-partnership-mobility-kosovo"], SMP.coversSector, SECTOR["construction"]),
    (P["giz-georgia-project"], SMP.implementedBy, AGENT["giz"]),
    (P["giz-georgia-project"], SMP.partnerCountry, COUNTRY["GEO"]),
    # Ireland
    (P["imgti"], SMP.originCountry, COUNTRY["PAK"]),
    (P["imgti"], SMP.originCountry, COUNTRY["SDN"]),
    (P["imgti"], SMP.involvesPlace, PLACE["gulf-states"]),
    (P["imgti"], SMP.destinationCountry, COUNTRY["IRL"]),
    (P["imgti"], SMP.legalBasis, LEGAL["memorandum-of-understanding"]),
    (P["imgti"], SMP.targetsOccupation, OCC["medical-doctors"]),
    (P["exchange-agreement-employment-permit"], SMP.legalBasis, LEGAL["exchange-agreement"]),
    (P["atypical-working-scheme"], SMP.targetsOccupation, OCC["nurses"]),
    (P["ireland-fellows-programme"], SMP.managedBy, AGENT["irish-aid"]),
    (P["ireland-fellows-programme"], SMP.hasFeature, FEATURE["scholarship"]),
    # Luxembourg
    (P["luxembourg-cape-verde-agreement"], SMP.originCountry, COUNTRY["CPV"]),
    (P["luxembourg-cape-verde-agreement"], SMP.destinationCountry, COUNTRY["LUX"]),
    (P["luxembourg-cape-verde-agreement"], SMP.status, STATUS["in-force"]),
    # Spain
    (P["gecco"], SMP.managedBy, AGENT["spain-directorate-general-migration"]),
    (P["gecco"], SMP.coversSector, SECTOR["agriculture"]),
    (P["wafira"], SMP.partnerCountry, COUNTRY["MAR"]),
    (P["wafira"], SMP.targetGroup, TARGET["women"]),
    (P["wafira"], SMP.status, STATUS["planned"]),
    (P["young-generation-as-change-agents"], SMP.fundedBy, AGENT["european-union"]),
    (P["young-generation-as-change-agents"], SMP.originCountry, COUNTRY["MAR"]),
    (P["young-generation-as-change-agents"], SMP.destinationCountry, COUNTRY["ESP"]),
    (P["young-generation-as-change-agents"], SMP.hasFeature, FEATURE["scholarship"]),
    (P["young-generation-as-change-agents"], SMP.hasFeature, FEATURE["reintegration-support"]),
    # other Member States
    (
        P["lithuania-ukraine-mental-health-training"],
        SMP.participant,
        AGENT["vilnius-city-mental-health-centre"],
    ),
    (P["lithuania-ukraine-mental-health-training"], SMP.originCountry, COUNTRY["UKR"]),
    (P["lithuania-ukraine-mental-health-training"], SMP.destinationCountry, COUNTRY["LTU"]),
    (P["slovakia-labour-mobility-scheme"], SMP.destinationCountry, COUNTRY["SVK"]),
    (P["slovakia-labour-mobility-scheme"], SMP.status, STATUS["proposed"]),
    # non-EU
    (P["aptc"], SMP.destinationCountry, COUNTRY["AUS"]),
    (P["aptc"], SMP.involvesPlace, PLACE["pacific-nations"]),
    (P["aptc-third-stage"], SMP.directlyPartOf, P["aptc"]),
    (P["eps"], SMP.destinationCountry, COUNTRY["KOR"]),
    (P["eps"], SMP.managedBy, AGENT["hrd-korea"]),
    (P["japan-nurse-care-worker-programmes"], SMP.originCountry, COUNTRY["PHL"]),
    (P["japan-nurse-care-worker-programmes"], SMP.originCountry, COUNTRY["IDN"]),
    (P["japan-nurse-care-worker-programmes"], SMP.destinationCountry, COUNTRY["JPN"]),
    (P["titp"], SMP.destinationCountry, COUNTRY["JPN"]),
    (P["specified-skilled-worker-programme"], SMP.destinationCountry, COUNTRY["JPN"]),
    (P["heimerer-college-programme"], SMP.trainingProvider, AGENT["heimerer-college"]),
    (P["dekra-academy-programme"], SMP.trainingProvider, AGENT["dekra-academy"]),
    (P["dekra-academy-programme"], SMP.involvesPlace, PLACE["western-balkans"]),
    # ICMPD commentary
    (P["link4skills"], SMP.fundedBy, AGENT["european-union"]),
    (P["link4skills"], SMP.financedThrough, INSTR["horizon-europe"]),
    (INVENTORY, PROV.wasGeneratedBy, P["link4skills"]),
    (INVENTORY, RDF.type, SMP.Inventory),
    (P["digital-explorers-iraq"], SMP.originCountry, COUNTRY["IRQ"]),
    (P["digital-explorers-iraq"], SMP.involvesPlace, COUNTRY["LTU"]),
    (P["digital-explorers-iraq"], SMP.mobilityType, MOBILITY["digital-remote"]),
    (P["digital-explorers-iraq"], SMP.hasFeature, FEATURE["online-training"]),
    (P["digital-explorers-iraq"], SMP.relatedTo, P["digital-explorers-related-pilot-1"]),
    (P["digital-explorers-iraq"], SMP.relatedTo, P["digital-explorers-related-pilot-2"]),
    (P["digital-explorers-related-pilot-1"], SMP.involvesPlace, PLACE["baltic-states"]),
    (P["digital-explorers-related-pilot-2"], SMP.involvesPlace, PLACE["baltic-states"]),
    # future outlook
    (P["eu-talent-pool"], SMP.relatesToFramework, FW["new-pact"]),
    (P["eu-talent-pool"], SMP.status, STATUS["proposed"]),
    (P["smp-clearinghouse"], SMP.status, STATUS["proposed"]),
]


@pytest.mark.parametrize("s,p,o", FACTS, ids=_ids(FACTS))
def test_stated_fact(g, s, p, o):
    assert (s, p, o) in g, f"missing: {_short(s)} {_short(p)} {_short(o)}"


NOT_STATED = [
    # facts the seeds do not state and that must therefore stay out
    (P["iom-match"], SMP.implementedBy, AGENT["iom"]),
    (P["palim"], SMP.implementedBy, AGENT["enabel"]),
    (INSTR["amif"], SMP.fundedBy, AGENT["european-union"]),
    (P["pam"], SMP.commissionedBy, AGENT["giz"]),
]


@pytest.mark.parametrize("s,p,o", NOT_STATED, ids=_ids(NOT_STATED))
def test_unstated_fact_is_absent(g, s, p, o):
    assert (s, p, o) not in g


# ------------------------------------------------------------------------------------------
# Dates, each an xsd:date on the first day of the period the source states, with its precision
# ------------------------------------------------------------------------------------------

DATES = [
    ("thamm-belgium", SMP.signedDate, "2020-08", XSD.gYearMonth),
    ("thamm-belgium", SMP.startDate, "2021-03", XSD.gYearMonth),
    ("thamm-belgium", SMP.endDate, "2023", XSD.gYear),
    ("thamm-germany", SMP.startDate, "2019", XSD.gYear),
    ("thamm-germany", SMP.endDate, "2023", XSD.gYear),
    ("iom-match", SMP.startDate, "2020-01", XSD.gYearMonth),
    ("iom-match", SMP.endDate, "2022-12", XSD.gYearMonth),
    ("palim", SMP.startDate, "2019-03", XSD.gYearMonth),
    ("palim", SMP.endDate, "2021-04", XSD.gYearMonth),
    ("pem", SMP.startDate, "2021", XSD.gYear),
    ("pem", SMP.endDate, "2024", XSD.gYear),
    ("tunisian-youth-employability", SMP.startDate, "2018-03", XSD.gYearMonth),
    ("tunisian-youth-employability", SMP.endDate, "2019-08", XSD.gYearMonth),
    ("skills-partnership-mobility-kosovo", SMP.startDate, "2016", XSD.gYear),
    ("skills-partnership-mobility-kosovo", SMP.endDate, "2020", XSD.gYear),
    ("imgti", SMP.launchDate, "2013", XSD.gYear),
    ("luxembourg-cape-verde-agreement", SMP.entryIntoForceDate, "2020", XSD.gYear),
    ("young-generation-as-change-agents", SMP.startDate, "2019", XSD.gYear),
    ("young-generation-as-change-agents", SMP.endDate, "2021", XSD.gYear),
    ("lithuania-ukraine-mental-health-training", SMP.startDate, "2016", XSD.gYear),
    ("lithuania-ukraine-mental-health-training", SMP.endDate, "2019", XSD.gYear),
    ("aptc", SMP.launchDate, "2006", XSD.gYear),
    ("aptc-third-stage", SMP.startDate, "2018", XSD.gYear),
    ("eps", SMP.launchDate, "2005", XSD.gYear),
    ("specified-skilled-worker-programme", SMP.launchDate, "2019", XSD.gYear),
]


@pytest.mark.parametrize(
    "slug,prop,lexical,datatype", DATES, ids=[f"{r[0]} {_short(r[1])}" for r in DATES]
)
def test_date(g, slug, prop, lexical, datatype):
    # The expectation is the date as the seed states it, typed by its precision.
    values = list(g.objects(PROG[slug], prop))
    first_day = lexical + "-01" * (3 - len(lexical.split("-")))
    assert values == [Literal(first_day, datatype=XSD.date)], f"{slug} {_short(prop)}: {values}"
    precision = {XSD.gYear: TIME.unitYear, XSD.gYearMonth: TIME.unitMonth}[datatype]
    assert list(g.objects(PROG[slug], PRECISION_OF[prop])) == [precision]


DATE_PROPERTIES = [
    SMP.startDate,
    SMP.endDate,
    SMP.signedDate,
    SMP.launchDate,
    SMP.entryIntoForceDate,
]


def test_no_initiative_date_is_more_precise_than_a_month(g):
    # No seed dates an initiative to the day; xsd:date on an initiative would be invented precision.
    for prop in DATE_PROPERTIES:
        for s, value in g.subject_objects(prop):
            assert g.value(s, PRECISION_OF[prop]) in (TIME.unitYear, TIME.unitMonth), (
                s,
                prop,
                value,
            )


NO_DATE = [
    "titp",
    "triple-win",
    "gecco",
    "pam",
    "mentor-ii",
    "digi-talents",
    "balmr-armenia",
    "belgium-amif-healthcare-project",
]


@pytest.mark.parametrize("slug", NO_DATE)
def test_undated_initiative_has_no_invented_date(g, slug):
    for prop in DATE_PROPERTIES:
        assert not list(g.objects(PROG[slug], prop)), (
            f"{slug} has a {_short(prop)} the source does not give"
        )


def test_gcm_adoption_date_is_a_full_date(g):
    assert (FW["gcm"], DCTERMS.issued, Literal("2018-12-19", datatype=XSD.date)) in g


# ------------------------------------------------------------------------------------------
# Exact numbers
# ------------------------------------------------------------------------------------------

NUMBERS = [
    ("digi-talents", SMP.durationInMonths, 32),
    ("thamm-belgium", SMP.plannedParticipants, 350),
    ("thamm-germany", SMP.plannedParticipants, 600),
    ("thamm-germany", SMP.reportedParticipants, 127),
    ("iom-match", SMP.durationInMonths, 36),
    ("tunisian-youth-employability", SMP.plannedParticipants, 30),
    ("france-young-professionals-scheme", SMP.numberOfPartnerCountries, 17),
    ("france-young-professionals-scheme", SMP.maximumStayMonths, 18),
    ("exchange-agreement-employment-permit", SMP.maximumStayMonths, 24),
    ("luxembourg-cape-verde-agreement", SMP.minimumAge, 18),
    ("luxembourg-cape-verde-agreement", SMP.maximumAge, 35),
    ("luxembourg-cape-verde-agreement", SMP.minimumStayMonths, 3),
    ("luxembourg-cape-verde-agreement", SMP.maximumStayMonths, 18),
    ("young-generation-as-change-agents", SMP.reportedParticipants, 100),
    ("eps", SMP.numberOfPartnerCountries, 16),
    ("eps", SMP.maximumStayMonths, 120),
]


@pytest.mark.parametrize(
    "slug,prop,value", NUMBERS, ids=[f"{r[0]} {_short(r[1])}" for r in NUMBERS]
)
def test_number(g, slug, prop, value):
    values = list(g.objects(PROG[slug], prop))
    assert values == [Literal(value)], f"{slug} {_short(prop)}: {values}"
    assert values[0].datatype == XSD.integer


# ------------------------------------------------------------------------------------------
# Figures
# ------------------------------------------------------------------------------------------

FIGURES = [
    # slug, about, value, max, comparator, unit
    ("link4skills-inventory-size", INVENTORY, 156, None, "exactly", "smps"),
    ("link4skills-mapping-size", INVENTORY, 150, None, "more than", "smps"),
    ("link4skills-countries", INVENTORY, 12, None, "exactly", "countries"),
    ("link4skills-high-skilled-share", INVENTORY, 62, None, "exactly", "percent"),
    ("link4skills-middle-skilled-share", INVENTORY, 49, None, "exactly", "percent"),
    ("link4skills-lower-skilled-share", INVENTORY, 10, None, "less than", "percent"),
    ("link4skills-standard-recognition-share", INVENTORY, 16, None, "exactly", "percent"),
    ("link4skills-unspecified-recognition-share", INVENTORY, 71, None, "exactly", "percent"),
    ("link4skills-underrepresented-groups-smps", INVENTORY, 8, None, "exactly", "smps"),
    ("link4skills-disability-smps", INVENTORY, 2, None, "exactly", "smps"),
    ("link4skills-minorities-smps", INVENTORY, 1, None, "exactly", "smps"),
    ("link4skills-displaced-persons-smps", INVENTORY, 0, None, "exactly", "smps"),
    ("link4skills-large-scale-smps", INVENTORY, 8, None, "exactly", "smps"),
    ("iom-skills-projects", AGENT["iom"], 70, None, "more than", "projects"),
    ("aptc-graduates-first-eight-years", P["aptc"], 10000, None, "more than", "persons"),
    ("aptc-share-to-australia", P["aptc"], 2, None, "less than", "percent"),
    ("aptc-average-age", P["aptc"], 32, None, "exactly", "years"),
    ("aptc-training-centre-nations", P["aptc"], 5, None, "exactly", "countries"),
    ("eps-new-workers-per-year", P["eps"], 40000, 50000, "between", "persons-per-year"),
    ("eps-training-participation-share", P["eps"], 3, None, "about", "percent"),
    ("eps-trained-past-decade", P["eps"], 30000, None, "more than", "persons"),
    ("thamm-belgium-share-working-in-belgium", P["thamm-belgium"], 25, None, "exactly", "percent"),
    (
        "luxembourg-cape-verde-annual-cap",
        P["luxembourg-cape-verde-agreement"],
        10,
        None,
        "at most",
        "persons-per-year",
    ),
    ("imgti-initial-permission", P["imgti"], 24, None, "at most", "months"),
    ("imgti-renewal", P["imgti"], 12, None, "exactly", "months"),
    ("austria-smp-count", COUNTRY["AUT"], 6, None, "exactly", "smps"),
    ("belgium-smp-count", COUNTRY["BEL"], 5, None, "exactly", "smps"),
    ("spain-smp-count", COUNTRY["ESP"], 2, None, "exactly", "smps"),
    (
        "france-migration-flow-agreements-count",
        P["france-migration-flow-agreements"],
        7,
        None,
        "exactly",
        "agreements",
    ),
    (
        "france-young-professionals-youth-agreements",
        P["france-young-professionals-scheme"],
        11,
        None,
        "exactly",
        "agreements",
    ),
    (
        "france-young-professionals-general-agreements",
        P["france-young-professionals-scheme"],
        6,
        None,
        "exactly",
        "agreements",
    ),
    (
        "ireland-exchange-agreements-count",
        P["exchange-agreement-employment-permit"],
        5,
        None,
        "exactly",
        "agreements",
    ),
    ("emn-ad-hoc-query-respondents", AGENT["emn"], 23, None, "exactly", "member-states"),
    ("member-states-without-smps", AGENT["emn"], 15, None, "exactly", "member-states"),
    ("member-states-with-smps", AGENT["emn"], 8, None, "exactly", "member-states"),
    ("sme-united-member-organisations", AGENT["sme-united"], 70, None, "about", "organisations"),
]


@pytest.mark.parametrize(
    "slug,about,value,maximum,comparator,unit", FIGURES, ids=[r[0] for r in FIGURES]
)
def test_figure(g, slug, about, value, maximum, comparator, unit):
    f = FIG[slug]
    assert (f, RDF.type, SMP.Figure) in g, f"figure {slug} is missing"
    assert (f, SMP.figureAbout, about) in g
    assert list(g.objects(f, SMP.figureValue)) == [Literal(value)]
    assert list(g.objects(f, SMP.figureMaxValue)) == (
        [Literal(maximum)] if maximum is not None else []
    )
    assert list(g.objects(f, SMP.comparator)) == [Literal(comparator)]
    assert list(g.objects(f, SMP.unit)) == [UNIT[unit]]
    stated = list(g.objects(f, SMP.statedAs))
    assert len(stated) == 1 and stated[0].language == "en"


def test_every_figure_is_complete(g):
    for f in g.subjects(RDF.type, SMP.Figure):
        for prop in (
            SMP.figureAbout,
            SMP.figureValue,
            SMP.comparator,
            SMP.unit,
            SMP.statedAs,
            PROV.wasDerivedFrom,
            SMP.describedIn,
            RDFS.label,
        ):
            assert g.value(f, prop) is not None, f"{_short(f)} lacks {_short(prop)}"
        assert (g.value(f, SMP.figureMaxValue) is not None) == (
            str(g.value(f, SMP.comparator)) == "between"
        )


LINK4SKILLS_COUNTRIES = [
    "AUT",
    "CAN",
    "DEU",
    "GHA",
    "IND",
    "IDN",
    "MAR",
    "NLD",
    "NGA",
    "PHL",
    "POL",
    "UKR",
]


def test_link4skills_inventory_covers_its_twelve_countries(g):
    assert set(g.objects(INVENTORY, SMP.covers)) == {COUNTRY[c] for c in LINK4SKILLS_COUNTRIES}


def test_link4skills_inventory_period(g):
    period = g.value(INVENTORY, DCTERMS.temporal)
    assert period is not None
    assert g.value(period, DCAT.startDate) == Literal("2015-01-01", datatype=XSD.date)
    assert g.value(period, SMP.startDatePrecision) == TIME.unitYear
    assert g.value(period, DCAT.endDate) == Literal("2025-04-01", datatype=XSD.date)
    assert g.value(period, SMP.endDatePrecision) == TIME.unitMonth


def test_eps_extension_rule_is_noted(g):
    notes = " ".join(str(n) for n in g.objects(P["eps"], SKOS.note))
    assert "extension" in notes and (P["eps"], PROV.wasDerivedFrom, ICMPD) in g


# ------------------------------------------------------------------------------------------
# Frameworks and instruments
# ------------------------------------------------------------------------------------------

FRAMEWORKS = [
    ("gamm", SMP.PolicyFramework),
    ("new-pact", SMP.PolicyFramework),
    ("gcm", SMP.PolicyFramework),
    ("gcm-objective-18", SMP.PolicyObjective),
    ("sdg-4", SMP.SustainableDevelopmentGoal),
    ("sdg-8", SMP.SustainableDevelopmentGoal),
    ("sdg-10", SMP.SustainableDevelopmentGoal),
    ("bulgaria-national-strategy-migration", SMP.PolicyFramework),
    ("austria-international-higher-education-cooperation", SMP.PolicyFramework),
    ("germany-skilled-immigration-act", SMP.Legislation),
    ("italy-flow-decree", SMP.Legislation),
    ("who-code-of-practice", SMP.PolicyFramework),
    ("gamm-pillar-legal-migration-mobility", SMP.PolicyObjective),
    ("gamm-pillar-migration-and-development", SMP.PolicyObjective),
    ("gamm-pillar-irregular-migration", SMP.PolicyObjective),
    ("gamm-pillar-international-protection-asylum", SMP.PolicyObjective),
]


@pytest.mark.parametrize("slug,cls", FRAMEWORKS, ids=[r[0] for r in FRAMEWORKS])
def test_framework(g, slug, cls):
    assert (FW[slug], RDF.type, cls) in g


INSTRUMENTS = ["mpf", "amif", "horizon-europe"]


@pytest.mark.parametrize("slug", INSTRUMENTS)
def test_funding_instrument(g, slug):
    assert (INSTR[slug], RDF.type, SMP.FundingInstrument) in g


FRAMEWORK_FACTS = [
    (FW["gamm"], DCTERMS.identifier, Literal("COM(2011) 743")),
    (FW["gamm"], DCTERMS.issued, Literal("2011-01-01", datatype=XSD.date)),
    (FW["gamm"], SMP.issuedPrecision, TIME.unitYear),
    (FW["new-pact"], DCTERMS.identifier, Literal("COM(2020) 609")),
    (FW["new-pact"], DCTERMS.issued, Literal("2020-01-01", datatype=XSD.date)),
    (FW["new-pact"], SMP.issuedPrecision, TIME.unitYear),
    (FW["gcm"], DCTERMS.identifier, Literal("A/RES/73/195")),
    (FW["gcm"], DCTERMS.creator, AGENT["un-general-assembly"]),
    (FW["gcm-objective-18"], DCTERMS.isPartOf, FW["gcm"]),
    (FW["sdg-4"], SKOS.exactMatch, URIRef("http://metadata.un.org/sdg/4")),
    (FW["sdg-8"], SKOS.exactMatch, URIRef("http://metadata.un.org/sdg/8")),
    (FW["sdg-10"], SKOS.exactMatch, URIRef("http://metadata.un.org/sdg/10")),
    (FW["gamm-pillar-irregular-migration"], DCTERMS.isPartOf, FW["gamm"]),
]


@pytest.mark.parametrize("s,p,o", FRAMEWORK_FACTS, ids=_ids(FRAMEWORK_FACTS))
def test_framework_fact(g, s, p, o):
    assert (s, p, o) in g


def test_gamm_has_four_pillars(g):
    assert len(set(g.subjects(DCTERMS.isPartOf, FW["gamm"]))) == 4


# ------------------------------------------------------------------------------------------
# Organisations
# ------------------------------------------------------------------------------------------

ORGANISATIONS = [
    # slug, class, acronym or None, Wikidata Q or None
    ("european-union", SMP.SupranationalBody, "EU", None),
    ("european-commission", SMP.SupranationalBody, None, "Q8880"),
    ("etf", SMP.SupranationalBody, "ETF", "Q372042"),
    ("emn", SMP.OrganisationalCollaboration, "EMN", None),
    ("oecd", SMP.Organisation, "OECD", "Q41550"),
    ("icmpd", SMP.InternationalOrganisation, "ICMPD", "Q498496"),
    ("iom", SMP.InternationalOrganisation, "IOM", "Q472311"),
    ("ilo", SMP.InternationalOrganisation, "ILO", "Q54129"),
    ("unesco", SMP.InternationalOrganisation, "UNESCO", "Q7809"),
    ("ioe", SMP.EmployerOrganisation, "IOE", None),
    ("ituc", SMP.TradeUnion, "ITUC", None),
    ("gspm", SMP.OrganisationalCollaboration, "GSPM", None),
    ("cgd", SMP.Organisation, "CGD", None),
    ("sme-united", SMP.EmployerOrganisation, None, None),
    ("enabel", SMP.DevelopmentAgency, None, None),
    ("giz", SMP.DevelopmentAgency, "GIZ", None),
    ("federal-employment-agency", SMP.EmploymentAgency, None, None),
    ("german-ministry-economic-cooperation-development", SMP.Ministry, None, None),
    ("eark", SMP.EmploymentAgency, "EARK", None),
    ("austria-ministry-education-science-research", SMP.Ministry, None, None),
    ("oead", SMP.PublicAgency, "OeAD", None),
    ("ada", SMP.DevelopmentAgency, "ADA", None),
    ("ofii", SMP.PublicAgency, "OFII", None),
    ("spain-directorate-general-migration", SMP.PublicAgency, None, None),
    ("irish-aid", SMP.PublicAgency, None, None),
    ("hrd-korea", SMP.PublicAgency, None, None),
    ("vilnius-city-mental-health-centre", SMP.Organisation, None, None),
    ("heimerer-college", SMP.TrainingProvider, None, None),
    ("dekra-academy", SMP.TrainingProvider, None, None),
    ("who", SMP.Organisation, "WHO", None),
    ("un-general-assembly", SMP.Organisation, None, None),
]


@pytest.mark.parametrize("slug,cls,acronym,qid", ORGANISATIONS, ids=[r[0] for r in ORGANISATIONS])
def test_organisation(g, slug, cls, acronym, qid):
    s = AGENT[slug]
    assert (s, RDF.type, cls) in g, f"{slug} is not a {_short(cls)}"
    if acronym:
        assert (s, SMP.acronym, Literal(acronym, lang="en")) in g
    wikidata = {str(o) for o in g.objects(s, SKOS.exactMatch) if str(o).startswith(WD)}
    assert wikidata == ({WD + qid} if qid else set()), f"{slug} Wikidata links {wikidata}"


GSPM_MEMBERS = ["iom", "ilo", "unesco", "ioe", "ituc"]


def test_gspm_members(g):
    assert set(g.objects(AGENT["gspm"], ORG.hasMember)) == {AGENT[m] for m in GSPM_MEMBERS}


BASED_IN = [
    ("icmpd-policy-unit", "AUT"),
    ("enabel", "BEL"),
    ("giz", "DEU"),
    ("federal-employment-agency", "DEU"),
    ("eark", "XKX"),
    ("ofii", "FRA"),
    ("hrd-korea", "KOR"),
    ("irish-aid", "IRL"),
    ("iom-belgium", "BEL"),
]


@pytest.mark.parametrize("slug,a3", BASED_IN, ids=[r[0] for r in BASED_IN])
def test_based_in(g, slug, a3):
    assert (AGENT[slug], SMP.basedIn, COUNTRY[a3]) in g


def test_wikidata_links_only_for_the_seven_certain_organisations(g):
    allowed = {AGENT[s]: WD + q for s, _, _, q in ORGANISATIONS if q}
    for s in _typed(g, ORGANISATION_CLASSES):
        for o in g.objects(s, SKOS.exactMatch):
            if str(o).startswith(WD):
                assert allowed.get(s) == str(o), f"unexpected Wikidata link on {_short(s)}"


# ------------------------------------------------------------------------------------------
# Countries and regions
# ------------------------------------------------------------------------------------------

WIKIDATA_COUNTRIES = {
    "DEU": "Q183",
    "FRA": "Q142",
    "BEL": "Q31",
    "AUT": "Q40",
    "ESP": "Q29",
    "IRL": "Q27",
    "ITA": "Q38",
    "LUX": "Q32",
    "NLD": "Q55",
    "BGR": "Q219",
    "MAR": "Q1028",
    "TUN": "Q948",
    "EGY": "Q79",
    "NGA": "Q1033",
    "SEN": "Q1041",
    "MDA": "Q217",
    "GEO": "Q230",
    "ARM": "Q399",
    "AZE": "Q227",
    "BLR": "Q184",
    "JOR": "Q810",
    "CPV": "Q1011",
    "UKR": "Q212",
    "IND": "Q668",
    "VNM": "Q881",
    "BRA": "Q155",
    "JPN": "Q17",
    "KOR": "Q884",
    "AUS": "Q408",
    "PHL": "Q928",
    "IDN": "Q252",
    "PAK": "Q843",
    "SDN": "Q1049",
    "ECU": "Q736",
    "SLV": "Q792",
    "USA": "Q30",
    "CAN": "Q16",
    "GHA": "Q117",
    "POL": "Q36",
    "IRQ": "Q796",
    "LTU": "Q37",
    "SVK": "Q214",
    "SWE": "Q34",
    "FIN": "Q33",
    "PRT": "Q45",
    "CZE": "Q213",
    "HRV": "Q224",
    "CYP": "Q229",
    "EST": "Q191",
    "GRC": "Q41",
    "HUN": "Q28",
    "LVA": "Q211",
    "SVN": "Q215",
    "ALB": "Q222",
    "KGZ": "Q813",
    "TKM": "Q874",
    "UZB": "Q265",
    "BIH": "Q225",
}
# Named only on the inform's back cover (EMN National Contact Points): present, without Wikidata.
BACK_COVER_ONLY = ["DNK", "MLT", "ROU", "NOR"]
INFORM_RESPONDENTS = [
    "AUT",
    "BEL",
    "BGR",
    "HRV",
    "CYP",
    "CZE",
    "EST",
    "FIN",
    "FRA",
    "DEU",
    "GRC",
    "HUN",
    "IRL",
    "LVA",
    "LTU",
    "LUX",
    "NLD",
    "POL",
    "PRT",
    "SVK",
    "SVN",
    "ESP",
    "SWE",
]


@pytest.mark.parametrize("a3", sorted(WIKIDATA_COUNTRIES))
def test_country_with_wikidata(g, a3):
    c = COUNTRY[a3]
    assert (c, RDF.type, SMP.Country) in g, f"{a3} missing"
    assert (c, SKOS.exactMatch, URIRef(WD + WIKIDATA_COUNTRIES[a3])) in g
    assert (c, SKOS.exactMatch, URIRef(EUC + a3)) in g


@pytest.mark.parametrize("a3", BACK_COVER_ONLY)
def test_back_cover_country_without_wikidata(g, a3):
    c = COUNTRY[a3]
    assert (c, RDF.type, SMP.Country) in g
    assert not [o for o in g.objects(c, SKOS.exactMatch) if str(o).startswith(WD)]


@pytest.mark.parametrize("a3", INFORM_RESPONDENTS)
def test_ad_hoc_query_respondent_present(g, a3):
    assert (COUNTRY[a3], RDF.type, SMP.Country) in g
    assert (COUNTRY[a3], PROV.wasDerivedFrom, INFORM) in g


def test_greece_is_the_respondent_missing_from_the_web_page(g):
    assert (COUNTRY["GRC"], PROV.wasDerivedFrom, PAGE) not in g
    assert (COUNTRY["AUT"], PROV.wasDerivedFrom, PAGE) in g


def test_every_country_has_iso_codes_and_eu_authority_link(g):
    countries = set(g.subjects(RDF.type, SMP.Country)) - {COUNTRY["XKX"]}
    assert len(countries) == len(WIKIDATA_COUNTRIES) + len(BACK_COVER_ONLY)
    for c in countries:
        a3 = str(c).rsplit("/", 1)[1]
        assert g.value(c, SMP.iso3166Alpha3) == Literal(a3), c
        a2 = g.value(c, SMP.iso3166Alpha2)
        assert a2 is not None and re.fullmatch(r"[A-Z]{2}", str(a2)), c
        assert (c, SKOS.exactMatch, URIRef(EUC + a3)) in g, c
        assert g.value(c, RDFS.label).language == "en"


def test_kosovo_has_no_codes_and_no_authority_links(g):
    k = COUNTRY["XKX"]
    assert (k, RDF.type, SMP.Country) in g
    assert g.value(k, SMP.iso3166Alpha2) is None and g.value(k, SMP.iso3166Alpha3) is None
    assert not list(g.objects(k, SKOS.exactMatch))
    assert "ISO" in str(g.value(k, SKOS.editorialNote))


REGIONS = [
    "gulf-states",
    "pacific-nations",
    "north-africa",
    "european-neighbourhood",
    "western-balkans",
    "eastern-europe",
    "africa",
    "asia",
    "baltic-states",
    "flanders",
    "northern-italy",
    "eastern-ukraine",
]


@pytest.mark.parametrize("slug", REGIONS)
def test_region(g, slug):
    assert (PLACE[slug], RDF.type, SMP.Region) in g


def test_gulf_states_stay_vague(g):
    note = str(g.value(PLACE["gulf-states"], SKOS.note))
    assert "does not name" in note
    assert not list(g.objects(PLACE["gulf-states"], SKOS.exactMatch))


# ------------------------------------------------------------------------------------------
# Controlled vocabularies
# ------------------------------------------------------------------------------------------

COMPONENTS = [
    "formalised-state-cooperation",
    "multi-stakeholder-involvement",
    "training",
    "skills-recognition",
    "migration-mobility",
]
PREREQUISITES = [
    ("long-and-mid-term-planning", "3"),
    ("multi-stakeholder-approach-and-policy-coherence", "4"),
    ("data-for-evidence-based-policy", "5"),
    ("local-development-and-job-creation", "6"),
    ("skills-classification-and-recognition", "7"),
    ("social-aspects-of-employment-and-mobility", "9"),
    ("migration-considerations", "10"),
    ("cost-reduction-and-sharing", "11"),
]


@pytest.mark.parametrize("n,slug", list(enumerate(COMPONENTS, 1)), ids=COMPONENTS)
def test_component(g, n, slug):
    c = COMPONENT[slug]
    assert (c, RDF.type, SMP.Component) in g
    assert (c, SKOS.inScheme, SCHEME["component"]) in g
    assert (c, SKOS.notation, Literal(str(n))) in g


@pytest.mark.parametrize(
    "n,slug,chapter",
    [(i, s, c) for i, (s, c) in enumerate(PREREQUISITES, 1)],
    ids=[s for s, _ in PREREQUISITES],
)
def test_prerequisite(g, n, slug, chapter):
    c = PREREQ[slug]
    assert (c, RDF.type, SMP.Prerequisite) in g
    assert (c, SKOS.inScheme, SCHEME["prerequisite"]) in g
    assert (c, SKOS.notation, Literal(str(n))) in g
    assert (c, SMP.describedIn, URIRef(f"{GUIDANCE}/chapter-{chapter}")) in g
    assert (c, PROV.wasDerivedFrom, INFOSHEET) in g


def test_exactly_five_components_and_eight_prerequisites(g):
    assert len(set(g.subjects(RDF.type, SMP.Component))) == 5
    assert len(set(g.subjects(RDF.type, SMP.Prerequisite))) == 8


SCHEMES = [
    ("component", SMP.Component),
    ("prerequisite", SMP.Prerequisite),
    ("sector", SMP.Sector),
    ("occupation", SMP.Occupation),
    ("skill-level", SMP.SkillLevel),
    ("mobility-type", SMP.MobilityType),
    ("target-group", SMP.TargetGroup),
    ("feature", SMP.Feature),
    ("legal-basis", SMP.LegalBasis),
    ("status", SMP.Status),
    ("unit", SMP.Unit),
    ("model", SMP.PartnershipModel),
]


@pytest.mark.parametrize("scheme,cls", SCHEMES, ids=[s for s, _ in SCHEMES])
def test_concept_scheme(g, scheme, cls):
    sch = SCHEME[scheme]
    assert (sch, RDF.type, SKOS.ConceptScheme) in g
    members = set(g.subjects(SKOS.inScheme, sch))
    assert members
    folder = f"{ID}{scheme}/"
    for c in members:
        assert str(c).startswith(folder), f"{c} is not in the {scheme} folder"
        assert (c, RDF.type, cls) in g and (c, RDF.type, SKOS.Concept) in g, c
        for prop in (RDFS.label, SKOS.prefLabel, SKOS.definition):
            values = list(g.objects(c, prop))
            assert len(values) == 1 and values[0].language == "en", f"{_short(c)} {prop}"
        assert g.value(c, PROV.wasDerivedFrom) is not None, c


CONCEPTS_EXPECTED = [
    SECTOR["healthcare"],
    SECTOR["ict"],
    SECTOR["agriculture"],
    SECTOR["construction"],
    SECTOR["hotel-and-catering"],
    SECTOR["biotechnology"],
    SECTOR["technology-and-engineering"],
    SECTOR["higher-education"],
    OCC["nurses"],
    OCC["medical-doctors"],
    OCC["ict-specialists"],
    OCC["care-workers"],
    SKILL["high"],
    SKILL["middle"],
    SKILL["low"],
    *[
        MOBILITY[m]
        for m in (
            "work",
            "traineeship",
            "study",
            "circular",
            "seasonal",
            "temporary",
            "long-term",
            "digital-remote",
            "entrepreneurial",
        )
    ],
    *[
        TARGET[t]
        for t in (
            "young-graduates",
            "students",
            "women",
            "persons-with-disabilities",
            "ethnic-and-cultural-minorities",
            "displaced-persons",
            "entrepreneurs",
            "nurses",
            "doctors",
        )
    ],
    *[
        FEATURE[f]
        for f in (
            "pre-departure-preparation",
            "reintegration-support",
            "integration-support",
            "language-training",
            "internship",
            "apprenticeship",
            "scholarship",
            "job-placement",
            "employer-matching",
        )
    ],
    *[
        LEGAL[x]
        for x in (
            "memorandum-of-understanding",
            "bilateral-agreement",
            "placement-agreement",
            "mobility-partnership-declaration",
            "exchange-agreement",
        )
    ],
    *[
        STATUS[x]
        for x in (
            "planned",
            "under-negotiation",
            "signed",
            "in-force",
            "ongoing",
            "completed",
            "proposed",
        )
    ],
    *[UNIT[x] for x in ("percent", "persons", "smps", "persons-per-year", "projects")],
    *[
        MODEL[x]
        for x in (
            "skills-mobility-partnership",
            "talent-partnership",
            "global-skill-partnership",
            "mobility-partnership",
        )
    ],
]


@pytest.mark.parametrize("concept", CONCEPTS_EXPECTED, ids=[_short(c) for c in CONCEPTS_EXPECTED])
def test_concept_present(g, concept):
    assert (concept, RDF.type, SKOS.Concept) in g


AUTHORITY_LINKS = [
    (SECTOR["construction"], SKOS.exactMatch, "http://data.europa.eu/ux2/nace2/F"),
    (SECTOR["hotel-and-catering"], SKOS.exactMatch, "http://data.europa.eu/ux2/nace2/I"),
    (SECTOR["healthcare"], SKOS.closeMatch, "http://data.europa.eu/ux2/nace2/Q"),
    (SECTOR["ict"], SKOS.closeMatch, "http://data.europa.eu/ux2/nace2/J"),
    (SECTOR["agriculture"], SKOS.closeMatch, "http://data.europa.eu/ux2/nace2/A"),
    (OCC["nurses"], SKOS.closeMatch, "http://data.europa.eu/esco/isco/C2221"),
    (OCC["healthcare-professionals"], SKOS.exactMatch, "http://data.europa.eu/esco/isco/C22"),
    (OCC["ict-specialists"], SKOS.closeMatch, "http://data.europa.eu/esco/isco/C25"),
]


@pytest.mark.parametrize("s,p,o", AUTHORITY_LINKS, ids=_ids(AUTHORITY_LINKS, 1))
def test_authority_link(g, s, p, o):
    assert (s, p, URIRef(o)) in g


def test_authority_links_use_known_patterns(g):
    patterns = [
        r"http://data\.europa\.eu/ux2/nace2/[A-U]",
        r"http://data\.europa\.eu/esco/isco/C\d{1,4}",
        r"http://metadata\.un\.org/sdg/\d+",
        r"http://www\.wikidata\.org/entity/Q\d+",
        r"http://publications\.europa\.eu/resource/authority/country/[A-Z]{3}",
    ]
    for prop in (SKOS.exactMatch, SKOS.closeMatch):
        for s, o in g.subject_objects(prop):
            assert any(re.fullmatch(p, str(o)) for p in patterns), f"{_short(s)} -> {o}"


# ------------------------------------------------------------------------------------------
# Components evidenced per initiative
# ------------------------------------------------------------------------------------------

COMPONENT_FACTS = [
    ("mentor-ii", "multi-stakeholder-involvement"),
    ("imgti", "formalised-state-cooperation"),
    ("germany-placement-agreements", "skills-recognition"),
    ("global-skills-partnerships-nursing", "skills-recognition"),
    ("atypical-working-scheme", "skills-recognition"),
    ("thamm", "training"),
    ("palim", "training"),
    ("balmr", "formalised-state-cooperation"),
    ("luxembourg-cape-verde-agreement", "formalised-state-cooperation"),
]


@pytest.mark.parametrize(
    "slug,component", COMPONENT_FACTS, ids=[f"{a} {b}" for a, b in COMPONENT_FACTS]
)
def test_component_evidenced(g, slug, component):
    assert (PROG[slug], SMP.hasComponent, COMPONENT[component]) in g


def test_every_component_claim_is_explained(g):
    for s in set(g.subjects(SMP.hasComponent, None)):
        notes = " ".join(str(n) for n in g.objects(s, SKOS.editorialNote))
        assert "omponent" in notes, (
            f"{_short(s)} has components without an editorial note saying why"
        )
        for c in g.objects(s, SMP.hasComponent):
            assert (c, RDF.type, SMP.Component) in g


def test_no_defined_class_is_asserted(g):
    for cls in DEFINED_CLASSES:
        assert not list(g.subjects(RDF.type, cls)), f"{_short(cls)} is for the reasoner only"


def test_the_nine_mobility_partnerships_are_not_asserted_agreements(g):
    assert not [
        s
        for s in g.subjects(RDF.type, SMP.EUMobilityPartnership)
        if (s, RDF.type, SMP.Agreement) in g
    ]


# ------------------------------------------------------------------------------------------
# Provenance and text on every resource
# ------------------------------------------------------------------------------------------

SOURCE_DOCS = {PAGE, INFORM, ICMPD, GUIDANCE, INFOSHEET}


def _initiatives(g):
    return sorted(_typed(g, INITIATIVE_CLASSES))


def test_initiative_count(g):
    assert len(_initiatives(g)) >= 75


def test_every_initiative_has_provenance_label_and_description(g):
    problems = []
    for s in _initiatives(g):
        if not set(g.objects(s, PROV.wasDerivedFrom)) & SOURCE_DOCS:
            problems.append(f"{_short(s)}: no prov:wasDerivedFrom to a source document")
        if not list(g.objects(s, SMP.describedIn)):
            problems.append(f"{_short(s)}: no smp:describedIn")
        for sec in g.objects(s, SMP.describedIn):
            if g.value(sec, SMP.sectionOf) not in set(g.objects(s, PROV.wasDerivedFrom)):
                problems.append(
                    f"{_short(s)}: described in {_short(sec)} but not derived from its document"
                )
        labels = list(g.objects(s, RDFS.label))
        if len(labels) != 1 or labels[0].language != "en":
            problems.append(f"{_short(s)}: needs exactly one rdfs:label@en")
        descriptions = list(g.objects(s, DCTERMS.description))
        if len(descriptions) != 1 or descriptions[0].language != "en":
            problems.append(f"{_short(s)}: needs exactly one dcterms:description@en")
        if not str(s).startswith(str(PROG)):
            problems.append(f"{_short(s)}: initiative outside id/programme/")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("kind", ["organisation", "framework", "figure", "concept"])
def test_every_resource_of_a_kind_has_provenance(g, kind):
    members = {
        "organisation": _typed(g, ORGANISATION_CLASSES),
        "framework": _typed(g, FRAMEWORK_CLASSES),
        "figure": set(g.subjects(RDF.type, SMP.Figure)),
        "concept": _typed(g, CONCEPT_CLASSES),
    }[kind]
    assert members
    for s in members:
        assert set(g.objects(s, PROV.wasDerivedFrom)) & SOURCE_DOCS, f"{_short(s)} lacks provenance"
        if kind != "concept":
            assert list(g.objects(s, SMP.describedIn)), f"{_short(s)} lacks smp:describedIn"


TEXT_PROPERTIES = [
    RDFS.label,
    SKOS.prefLabel,
    SKOS.altLabel,
    SKOS.definition,
    SKOS.note,
    SKOS.editorialNote,
    DCTERMS.description,
    DCTERMS.title,
    SMP.statedAs,
]


@pytest.mark.parametrize("prop", TEXT_PROPERTIES, ids=[_short(p) for p in TEXT_PROPERTIES])
def test_names_and_prose_are_english_literals(g, prop):
    bad = [
        (s, o)
        for s, o in g.subject_objects(prop)
        if not (isinstance(o, Literal) and o.language == "en")
    ]
    assert not bad, bad[:5]


def test_acronyms_are_tagged_like_labels(g):
    for s, o in g.subject_objects(SMP.acronym):
        assert isinstance(o, Literal) and o.language == "en" and str(o).strip(), s


def test_one_english_label_per_resource(g):
    for s in set(g.subjects(RDFS.label, None)):
        labels = [o for o in g.objects(s, RDFS.label) if o.language == "en"]
        assert len(labels) == 1, f"{_short(s)} has {len(labels)} English labels"


def test_minted_iris_follow_the_scheme(g):
    slug = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
    for term in set(g.all_nodes()) | set(g.predicates()):
        if not isinstance(term, URIRef) or not str(term).startswith(ID):
            continue
        parts = str(term)[len(ID) :].split("/")
        kind = parts[0]
        if kind == "country":
            assert len(parts) == 2 and re.fullmatch(r"[A-Z]{3}", parts[1]), term
        elif kind == "source":
            assert 2 <= len(parts) <= 3 and all(slug.fullmatch(p) for p in parts[1:]), term
        else:
            assert len(parts) == 2 and slug.fullmatch(parts[1]), term


def test_blank_nodes_only_for_periods_of_time_and_reified_statements(g):
    for node in g.all_nodes():
        if isinstance(node, BNode):
            assert (node, RDF.type, DCTERMS.PeriodOfTime) in g or (
                node,
                RDF.type,
                RDF.Statement,
            ) in g


# ------------------------------------------------------------------------------------------
# Own words: descriptions must not copy long runs of the seeds
# ------------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.fixture(scope="module")
def seed_ngrams():
    require_shared(SEEDS)
    grams = set()
    for path in SEEDS.glob("*.txt"):
        words = _words(path.read_text(encoding="utf-8"))
        grams |= {tuple(words[i : i + 8]) for i in range(len(words) - 7)}
    return grams


def test_descriptions_are_not_copied_from_the_seeds(g, seed_ngrams):
    copied = []
    for s, text in g.subject_objects(DCTERMS.description):
        words = _words(str(text))
        hits = [
            " ".join(words[i : i + 8])
            for i in range(len(words) - 7)
            if tuple(words[i : i + 8]) in seed_ngrams
        ]
        if hits:
            copied.append(f"{_short(s)}: '{hits[0]}'")
    assert not copied, "descriptions sharing 8 consecutive words with a seed:\n" + "\n".join(copied)
