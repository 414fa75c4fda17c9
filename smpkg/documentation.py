"""The documentation of the ontology: every class and property with its label, definition,
hierarchy, domain and range, alignments to other vocabularies, and how many instances (or
statements) of the data use it, asserted and inferred.

Our own page rather than pyLODE's: pyLODE documents the ontology alone, while researchers here
need the instance counts from the data, links into the resource pages and the same offline
look as the rest of the service; the ontology is small (about 130 terms), so the page is a
single template (`api/templates/ontology.html`) over the model built here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from .describe import Part, compact, local_name, pick_label, words
from .explain import class_expression
from .namespaces import SMP, VANN

PROPERTY_KINDS = {
    OWL.ObjectProperty: "object property",
    OWL.DatatypeProperty: "datatype property",
    OWL.AnnotationProperty: "annotation property",
    RDF.Property: "property",
}
CHARACTERISTICS = {
    OWL.TransitiveProperty: "transitive",
    OWL.SymmetricProperty: "symmetric",
    OWL.FunctionalProperty: "functional",
    OWL.InverseFunctionalProperty: "inverse functional",
    OWL.AsymmetricProperty: "asymmetric",
    OWL.ReflexiveProperty: "reflexive",
    OWL.IrreflexiveProperty: "irreflexive",
}
ALIGNMENTS = {
    RDFS.subClassOf: "subclass of",
    OWL.equivalentClass: "equivalent to",
    RDFS.subPropertyOf: "subproperty of",
    OWL.equivalentProperty: "equivalent to",
    SKOS.exactMatch: "exact match",
    SKOS.closeMatch: "close match",
    SKOS.broadMatch: "broader match",
    SKOS.narrowMatch: "narrower match",
}
NOTES = (SKOS.scopeNote, SKOS.editorialNote, SKOS.note, RDFS.comment)


@dataclass
class Term:
    iri: URIRef
    anchor: str
    label: str
    kind: str
    definition: str = ""
    notes: list[str] = field(default_factory=list)
    parents: list[URIRef] = field(default_factory=list)  # named, in our namespace
    children: list[URIRef] = field(default_factory=list)
    expressions: list[list[Part]] = field(default_factory=list)  # anonymous super/equivalents
    alignments: list[tuple[str, URIRef]] = field(default_factory=list)  # other vocabularies
    domain: list[list[Part]] = field(default_factory=list)
    range: list[list[Part]] = field(default_factory=list)
    inverse: list[URIRef] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    chains: list[list[Part]] = field(default_factory=list)
    used_as_domain: list[URIRef] = field(default_factory=list)  # classes: properties
    used_as_range: list[URIRef] = field(default_factory=list)
    asserted: int = 0  # classes: asserted instances; properties: asserted statements
    total: int = 0  # classes: all instances; properties: asserted + inferred statements


@dataclass
class Documentation:
    iri: URIRef
    namespace: str
    prefix: str
    title: str
    description: str
    version: str
    version_iri: URIRef | None
    issued: str
    license: URIRef | None
    publisher: str
    classes: list[Term]
    properties: list[Term]
    tree: list[tuple[int, URIRef]]  # (depth, class) in hierarchy order
    labels: dict

    def term(self, iri) -> Term | None:
        return self._index.get(iri)

    def __post_init__(self):
        self._index = {t.iri: t for t in self.classes + self.properties}

    def by_kind(self) -> list[tuple[str, list[Term]]]:
        kinds: dict[str, list[Term]] = {}
        for term in self.properties:
            kinds.setdefault(term.kind, []).append(term)
        order = ["object property", "datatype property", "annotation property", "property"]
        return [(k, kinds[k]) for k in order if k in kinds]


def _text(graph: Graph, node, predicate) -> str:
    return pick_label(graph.objects(node, predicate)) or ""


def document(ontology: Graph, asserted: Graph, inferred: Graph) -> Documentation:
    """The documentation model of `ontology`, with usage counted in the data."""
    iri = next(
        (s for s in ontology.subjects(RDF.type, OWL.Ontology) if isinstance(s, URIRef)),
        URIRef(str(SMP).rstrip("#")),
    )
    namespace = str(ontology.value(iri, VANN.preferredNamespaceUri) or SMP)
    labels: dict = {}
    for graph in (ontology, asserted):  # data labels name the values of restrictions
        for s, o in graph.subject_objects(RDFS.label):
            if isinstance(s, URIRef):
                labels.setdefault(s, []).append(o)
    labels = {s: pick_label(found) for s, found in labels.items()}

    def name(term) -> str:
        if isinstance(term, Literal):
            return str(term)
        if labels.get(term):
            return labels[term]
        return words(str(term)) if str(term).startswith(namespace) else compact(str(term))

    def ours(term) -> bool:
        return isinstance(term, URIRef) and str(term).startswith(namespace)

    typings = Counter()
    typings_asserted = Counter()
    seen: set = set()
    for graph, counter in ((asserted, typings_asserted),):
        for s, o in graph.subject_objects(RDF.type):
            counter[o] += 1
    for graph in (asserted, inferred):
        for s, o in graph.subject_objects(RDF.type):
            if (s, o) not in seen:
                seen.add((s, o))
                typings[o] += 1
    uses_asserted = Counter(p for _, p, _ in asserted)
    uses_inferred = Counter(p for _, p, _ in inferred)

    class_iris = sorted(
        {s for s in ontology.subjects(RDF.type, OWL.Class) if ours(s)},
        key=lambda c: name(c).lower(),
    )
    property_iris = sorted(
        {s for kind in PROPERTY_KINDS for s in ontology.subjects(RDF.type, kind) if ours(s)},
        key=lambda p: name(p).lower(),
    )

    def base(term, kind: str) -> Term:
        return Term(
            term,
            local_name(str(term)),
            name(term),
            kind,
            definition=_text(ontology, term, SKOS.definition),
            notes=[str(n) for p in NOTES for n in ontology.objects(term, p)],
        )

    def expression(node) -> list[Part]:
        return class_expression(ontology, node, name)

    classes = []
    for c in class_iris:
        term = base(c, "class")
        for parent in ontology.objects(c, RDFS.subClassOf):
            if ours(parent):
                term.parents.append(parent)
            elif isinstance(parent, BNode):
                term.expressions.append([Part("subclass of ")] + expression(parent))
        for equivalent in ontology.objects(c, OWL.equivalentClass):
            if isinstance(equivalent, BNode):
                term.expressions.append([Part("defined as ")] + expression(equivalent))
        # General class axioms: an anonymous class declared a subclass of this one.
        for sub in ontology.subjects(RDFS.subClassOf, c):
            if isinstance(sub, BNode) and (None, OWL.equivalentClass, sub) not in ontology:
                term.expressions.append(
                    [Part("everything that is ")] + expression(sub) + [Part(" is one")]
                )
        term.children = sorted(
            (s for s in ontology.subjects(RDFS.subClassOf, c) if ours(s)),
            key=lambda x: name(x).lower(),
        )
        term.parents.sort(key=lambda x: name(x).lower())
        term.asserted, term.total = typings_asserted[c], typings[c]
        classes.append(term)

    properties = []
    for p in property_iris:
        kinds = [PROPERTY_KINDS[k] for k in PROPERTY_KINDS if (p, RDF.type, k) in ontology]
        term = base(p, kinds[0])
        term.characteristics = [
            word for k, word in CHARACTERISTICS.items() if (p, RDF.type, k) in ontology
        ]
        term.parents = sorted(
            (o for o in ontology.objects(p, RDFS.subPropertyOf) if ours(o)),
            key=lambda x: name(x).lower(),
        )
        term.children = sorted(
            (s for s in ontology.subjects(RDFS.subPropertyOf, p) if ours(s)),
            key=lambda x: name(x).lower(),
        )
        term.domain = [expression(d) for d in ontology.objects(p, RDFS.domain)]
        term.range = [expression(r) for r in ontology.objects(p, RDFS.range)]
        term.inverse = sorted(
            {*ontology.objects(p, OWL.inverseOf), *ontology.subjects(OWL.inverseOf, p)}, key=str
        )
        for head in ontology.objects(p, OWL.propertyChainAxiom):
            chain: list[Part] = []
            for i, step in enumerate(Collection(ontology, head)):
                if i:
                    chain.append(Part(" followed by "))
                chain.append(Part(name(step), step))
            term.chains.append(chain + [Part(" implies "), Part(name(p), p)])
        term.asserted = uses_asserted[p]
        term.total = uses_asserted[p] + uses_inferred[p]
        properties.append(term)

    for term in classes + properties:
        for predicate, relation in ALIGNMENTS.items():
            for other in ontology.objects(term.iri, predicate):
                if isinstance(other, URIRef) and not ours(other):
                    term.alignments.append((relation, other))
        term.alignments.sort(key=lambda a: (a[0], str(a[1])))
    by_iri = {t.iri: t for t in classes}
    for prop in properties:
        for d in ontology.objects(prop.iri, RDFS.domain):
            if d in by_iri:
                by_iri[d].used_as_domain.append(prop.iri)
        for r in ontology.objects(prop.iri, RDFS.range):
            if r in by_iri:
                by_iri[r].used_as_range.append(prop.iri)

    tree: list[tuple[int, URIRef]] = []

    def walk(c, depth, path):
        tree.append((depth, c))
        for child in by_iri[c].children:
            if child in by_iri and child not in path:
                walk(child, depth + 1, path | {child})

    for c in classes:
        if not any(p in by_iri for p in c.parents):
            walk(c.iri, 0, {c.iri})

    version_iri = ontology.value(iri, OWL.versionIRI)
    licence = ontology.value(iri, DCTERMS.license)
    return Documentation(
        iri=iri,
        namespace=namespace,
        prefix=str(ontology.value(iri, VANN.preferredNamespacePrefix) or "smp"),
        title=_text(ontology, iri, DCTERMS.title) or _text(ontology, iri, RDFS.label) or str(iri),
        description=_text(ontology, iri, DCTERMS.description),
        version=str(ontology.value(iri, OWL.versionInfo) or ""),
        version_iri=version_iri if isinstance(version_iri, URIRef) else None,
        issued=str(ontology.value(iri, DCTERMS.issued) or ""),
        license=licence if isinstance(licence, URIRef) else None,
        publisher=str(ontology.value(iri, DCTERMS.publisher) or ""),
        classes=classes,
        properties=properties,
        tree=tree,
        labels={t.iri: t.label for t in classes + properties},  # the terms documented
    )
