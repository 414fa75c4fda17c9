"""The documentation of the ontology: every class and property with its label, definition,
hierarchy, domain and range, alignments to other vocabularies, and how many instances (or
statements) of the data use it, asserted and inferred.

Our own page rather than pyLODE's: pyLODE documents the ontology alone, while researchers here
need the instance counts from the data, links into the resource pages and the same offline
look as the rest of the service; the ontology is small (about 130 terms), so the page is a
single template (`api/templates/ontology.html`) over the model built here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeGuard

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Identifier, Node

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


def _text(graph: Graph, node: Node, predicate: URIRef) -> str:
    return pick_label(o for o in graph.objects(node, predicate) if isinstance(o, Literal)) or ""


class _Vocabulary:
    """What every term's entry needs: the ontology, its namespace and the terms' names."""

    def __init__(self, ontology: Graph, usage: Usage, namespace: str):
        self.ontology = ontology
        self.namespace = namespace
        found: dict[URIRef, list[Literal]] = {}
        for s, o in ontology.subject_objects(RDFS.label):
            if isinstance(s, URIRef) and isinstance(o, Literal):
                found.setdefault(s, []).append(o)
        for iri, literals in usage.labels.items():  # data labels name the values of restrictions
            found.setdefault(URIRef(iri), []).extend(Literal(v, lang=lang) for v, lang in literals)
        self.labels = {s: pick_label(literals) for s, literals in found.items()}

    def name(self, term: Node) -> str:
        if isinstance(term, Literal):
            return str(term)
        label = self.labels.get(term) if isinstance(term, URIRef) else None
        if label:
            return label
        return words(str(term)) if str(term).startswith(self.namespace) else compact(str(term))

    def ours(self, term: Node) -> TypeGuard[URIRef]:
        return isinstance(term, URIRef) and str(term).startswith(self.namespace)

    def by_name(self, terms: Iterable[Node]) -> list[URIRef]:
        """The terms of our namespace among `terms`, sorted by name."""
        return sorted({t for t in terms if self.ours(t)}, key=lambda t: self.name(t).lower())

    def term(self, iri: URIRef, kind: str) -> Term:
        return Term(
            iri,
            local_name(str(iri)),
            self.name(iri),
            kind,
            definition=_text(self.ontology, iri, SKOS.definition),
            notes=[str(n) for p in NOTES for n in self.ontology.objects(iri, p)],
        )

    def expression(self, node: Node) -> list[Part]:
        return class_expression(self.ontology, node, self.name)


def _class_terms(vocabulary: _Vocabulary, usage: Usage) -> list[Term]:
    ontology = vocabulary.ontology
    expression = vocabulary.expression
    typings_asserted, typings = usage.typings_asserted, usage.typings
    classes = []
    for c in vocabulary.by_name(ontology.subjects(RDF.type, OWL.Class)):
        term = vocabulary.term(c, "class")
        term.parents = vocabulary.by_name(ontology.objects(c, RDFS.subClassOf))
        for parent in ontology.objects(c, RDFS.subClassOf):
            if isinstance(parent, BNode):
                term.expressions.append([Part("subclass of "), *expression(parent)])
        for equivalent in ontology.objects(c, OWL.equivalentClass):
            if isinstance(equivalent, BNode):
                term.expressions.append([Part("defined as "), *expression(equivalent)])
        # General class axioms: an anonymous class declared a subclass of this one.
        for sub in ontology.subjects(RDFS.subClassOf, c):
            if isinstance(sub, BNode) and (None, OWL.equivalentClass, sub) not in ontology:
                term.expressions.append(
                    [Part("everything that is "), *expression(sub), Part(" is one")]
                )
        term.children = vocabulary.by_name(ontology.subjects(RDFS.subClassOf, c))
        term.asserted, term.total = typings_asserted.get(str(c), 0), typings.get(str(c), 0)
        classes.append(term)
    return classes


def _property_terms(vocabulary: _Vocabulary, usage: Usage) -> list[Term]:
    ontology = vocabulary.ontology
    name = vocabulary.name
    uses_asserted, uses_inferred = usage.uses_asserted, usage.uses_inferred
    properties = []
    iris = (s for kind in PROPERTY_KINDS for s in ontology.subjects(RDF.type, kind))
    for p in vocabulary.by_name(iris):
        kinds = [PROPERTY_KINDS[k] for k in PROPERTY_KINDS if (p, RDF.type, k) in ontology]
        term = vocabulary.term(p, kinds[0])
        term.characteristics = [
            word for k, word in CHARACTERISTICS.items() if (p, RDF.type, k) in ontology
        ]
        term.parents = vocabulary.by_name(ontology.objects(p, RDFS.subPropertyOf))
        term.children = vocabulary.by_name(ontology.subjects(RDFS.subPropertyOf, p))
        term.domain = [vocabulary.expression(d) for d in ontology.objects(p, RDFS.domain)]
        term.range = [vocabulary.expression(r) for r in ontology.objects(p, RDFS.range)]
        inverses = {*ontology.objects(p, OWL.inverseOf), *ontology.subjects(OWL.inverseOf, p)}
        term.inverse = sorted((i for i in inverses if isinstance(i, URIRef)), key=str)
        for head in ontology.objects(p, OWL.propertyChainAxiom):
            chain: list[Part] = []
            for i, step in enumerate(Collection(ontology, head)):
                if i:
                    chain.append(Part(" followed by "))
                # A step is a property, or a blank node for an inverse one.
                chain.append(Part(name(step), step if isinstance(step, Identifier) else None))
            term.chains.append([*chain, Part(" implies "), Part(name(p), p)])
        term.asserted = uses_asserted.get(str(p), 0)
        term.total = term.asserted + uses_inferred.get(str(p), 0)
        properties.append(term)
    return properties


def _link(vocabulary: _Vocabulary, classes: list[Term], properties: list[Term]) -> None:
    """Alignments to other vocabularies, and each class's properties by domain and range."""
    ontology = vocabulary.ontology
    for term in classes + properties:
        for predicate, relation in ALIGNMENTS.items():
            for other in ontology.objects(term.iri, predicate):
                if isinstance(other, URIRef) and not vocabulary.ours(other):
                    term.alignments.append((relation, other))
        term.alignments.sort(key=lambda a: (a[0], str(a[1])))
    by_iri = {t.iri: t for t in classes}
    for prop in properties:
        for d in ontology.objects(prop.iri, RDFS.domain):
            if isinstance(d, URIRef) and d in by_iri:
                by_iri[d].used_as_domain.append(prop.iri)
        for r in ontology.objects(prop.iri, RDFS.range):
            if isinstance(r, URIRef) and r in by_iri:
                by_iri[r].used_as_range.append(prop.iri)


def _tree(classes: list[Term]) -> list[tuple[int, URIRef]]:
    """(depth, class) in hierarchy order, from every class without a documented parent."""
    by_iri = {t.iri: t for t in classes}
    tree: list[tuple[int, URIRef]] = []

    def walk(c: URIRef, depth: int, path: set[URIRef]) -> None:
        tree.append((depth, c))
        for child in by_iri[c].children:
            if child in by_iri and child not in path:
                walk(child, depth + 1, path | {child})

    for c in classes:
        if not any(p in by_iri for p in c.parents):
            walk(c.iri, 0, {c.iri})
    return tree


@dataclass(frozen=True)
class Usage:
    """How the data uses the ontology's terms, counted at build time
    (`statistics.store_statistics`, its `usage`): typings per class (asserted; asserted or
    inferred, each once), statements per property (asserted; inferred), and the labels the
    data gives the terms the ontology names. Keys are IRIs."""

    typings_asserted: Mapping[str, int]
    typings: Mapping[str, int]
    uses_asserted: Mapping[str, int]
    uses_inferred: Mapping[str, int]
    labels: Mapping[str, list]  # IRI -> [[text, language or None], ...]

    @classmethod
    def from_json(cls, found: dict) -> Usage:
        return cls(**{k: found[k] for k in cls.__dataclass_fields__})


def document(ontology: Graph, usage: Usage) -> Documentation:
    """The documentation model of `ontology`, with its usage in the data."""
    iri = next(
        (s for s in ontology.subjects(RDF.type, OWL.Ontology) if isinstance(s, URIRef)),
        URIRef(str(SMP).rstrip("#")),
    )
    namespace = str(ontology.value(iri, VANN.preferredNamespaceUri) or SMP)
    vocabulary = _Vocabulary(ontology, usage, namespace)
    classes = _class_terms(vocabulary, usage)
    properties = _property_terms(vocabulary, usage)
    _link(vocabulary, classes, properties)
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
        tree=_tree(classes),
        labels={t.iri: t.label for t in classes + properties},  # the terms documented
    )
