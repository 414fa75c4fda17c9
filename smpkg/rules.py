"""A fast OWL 2 RL reasoner compiled from the ontology, with a derivation for every triple.

owlrl re-matches every rule against the whole graph on every round, which costs about 250 µs
per closed triple. Here the schema (the ontology) is closed once by owlrl itself — it is small
and changes rarely — and the instance rules of OWL 2 RL that the closed schema can fire are
compiled into lookup tables. The instance data is then closed by one pass over a worklist:
each new triple is joined only with what is already known, through indexes, so every triple is
handled once.

The result is meant to be exactly owlrl's closure after the noise rule (`reason.py`); the tests
compare the two on the curated graph and on a synthetic one. A schema that uses a construct
this module does not compile (functional properties, `owl:sameAs`, cardinalities, `hasKey`,
`allValuesFrom`, ...) is refused with `Unsupported`, and the build falls back to owlrl.

Each derived triple keeps the first derivation found: the rule (named as in the OWL 2 RL
specification, e.g. `prp-inv1`), the schema axioms it used and the premises it was derived
from. Resource pages show these as the reason a statement was inferred.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

Triple = tuple

SCHEMA_PREDICATES = {
    RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.inverseOf,
    OWL.equivalentClass, OWL.equivalentProperty, OWL.propertyChainAxiom, OWL.onProperty,
    OWL.hasValue, OWL.someValuesFrom, OWL.allValuesFrom, OWL.intersectionOf, OWL.unionOf,
    OWL.complementOf, OWL.oneOf, OWL.disjointWith, OWL.hasKey, OWL.maxCardinality,
    OWL.maxQualifiedCardinality, OWL.sameAs, OWL.differentFrom, OWL.propertyDisjointWith,
}
PROPERTY_CHARACTERISTICS = {
    OWL.TransitiveProperty, OWL.SymmetricProperty, OWL.FunctionalProperty,
    OWL.InverseFunctionalProperty, OWL.IrreflexiveProperty, OWL.AsymmetricProperty,
}
UNSUPPORTED_PREDICATES = {
    OWL.allValuesFrom, OWL.complementOf, OWL.oneOf, OWL.disjointWith, OWL.hasKey,
    OWL.maxCardinality, OWL.maxQualifiedCardinality, OWL.sameAs, OWL.differentFrom,
    OWL.propertyDisjointWith,
}
UNSUPPORTED_TYPES = {
    OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.IrreflexiveProperty,
    OWL.AsymmetricProperty, OWL.AllDisjointClasses, OWL.AllDisjointProperties,
    OWL.AllDifferent, OWL.NegativePropertyAssertion,
}


class Unsupported(Exception):
    """The schema uses a construct the compiled reasoner does not implement."""


@dataclass(frozen=True)
class Derivation:
    rule: str
    axioms: tuple[Triple, ...]
    premises: tuple[Triple, ...]


def is_schema_triple(triple: Triple) -> bool:
    s, p, o = triple
    return p in SCHEMA_PREDICATES or (p == RDF.type and o in PROPERTY_CHARACTERISTICS)


@dataclass
class CompiledSchema:
    """Lookup tables for the instance rules, read off a closed schema."""

    super_classes: dict = field(default_factory=lambda: defaultdict(set))
    super_properties: dict = field(default_factory=lambda: defaultdict(set))
    domains: dict = field(default_factory=lambda: defaultdict(set))
    ranges: dict = field(default_factory=lambda: defaultdict(set))
    inverses: dict = field(default_factory=lambda: defaultdict(set))
    symmetric: set = field(default_factory=set)
    transitive: set = field(default_factory=set)
    chains: list = field(default_factory=list)  # (super property, (p1, ..., pn))
    has_value: dict = field(default_factory=dict)  # restriction -> (property, value)
    has_value_index: dict = field(default_factory=lambda: defaultdict(set))  # (p, v) -> {R}
    some_values: dict = field(default_factory=dict)  # restriction -> (property, filler)
    some_values_by_property: dict = field(default_factory=lambda: defaultdict(set))
    some_values_by_filler: dict = field(default_factory=lambda: defaultdict(set))
    intersections: dict = field(default_factory=dict)  # class -> (C1, ..., Cn)
    intersections_with: dict = field(default_factory=lambda: defaultdict(set))
    unions_with: dict = field(default_factory=lambda: defaultdict(set))  # Ci -> {U}

    @classmethod
    def from_closure(cls, schema: Graph) -> "CompiledSchema":
        for s, p, o in schema:
            if p == OWL.sameAs and s == o:
                continue  # owlrl's eq-ref: every node is the same as itself
            if p in UNSUPPORTED_PREDICATES:
                raise Unsupported(f"{p} in the schema")
            if p == RDF.type and o in UNSUPPORTED_TYPES:
                raise Unsupported(f"{o} in the schema")
        c = cls()
        for s, o in schema.subject_objects(RDFS.subClassOf):
            if s != o:
                c.super_classes[s].add(o)
        for s, o in schema.subject_objects(RDFS.subPropertyOf):
            if s != o:
                c.super_properties[s].add(o)
        for s, o in schema.subject_objects(RDFS.domain):
            c.domains[s].add(o)
        for s, o in schema.subject_objects(RDFS.range):
            c.ranges[s].add(o)
        for s, o in schema.subject_objects(OWL.inverseOf):
            c.inverses[s].add(o)
            c.inverses[o].add(s)
        c.symmetric = set(schema.subjects(RDF.type, OWL.SymmetricProperty))
        c.transitive = set(schema.subjects(RDF.type, OWL.TransitiveProperty))
        for prop, head in schema.subject_objects(OWL.propertyChainAxiom):
            steps = tuple(Collection(schema, head))
            c.chains.append((prop, steps))
        for restriction, prop in schema.subject_objects(OWL.onProperty):
            value = schema.value(restriction, OWL.hasValue)
            if value is not None:
                c.has_value[restriction] = (prop, value)
                c.has_value_index[(prop, value)].add(restriction)
            filler = schema.value(restriction, OWL.someValuesFrom)
            if filler is not None:
                c.some_values[restriction] = (prop, filler)
                c.some_values_by_property[prop].add(restriction)
                c.some_values_by_filler[filler].add(restriction)
        for klass, head in schema.subject_objects(OWL.intersectionOf):
            members = tuple(Collection(schema, head))
            c.intersections[klass] = members
            for member in members:
                c.intersections_with[member].add(klass)
        for klass, head in schema.subject_objects(OWL.unionOf):
            for member in Collection(schema, head):
                c.unions_with[member].add(klass)
        return c


class Closure:
    """The instance closure under a compiled schema, built by a worklist."""

    def __init__(self, schema: CompiledSchema):
        self.schema = schema
        self.facts: set[Triple] = set()
        self.why: dict[Triple, Derivation] = {}
        self.out: dict = defaultdict(lambda: defaultdict(set))  # p -> s -> {o}
        self.into: dict = defaultdict(lambda: defaultdict(set))  # p -> o -> {s}
        self.types: dict = defaultdict(set)  # x -> {C}
        self.queue: deque = deque()

    def add(self, triple: Triple, derivation: Derivation | None = None) -> None:
        if triple in self.facts:
            return
        s, p, o = triple
        if isinstance(s, Literal):
            return  # noise by rule 2 of reason.py: never kept, never used as a premise
        self.facts.add(triple)
        if derivation is not None:
            self.why[triple] = derivation
        self.out[p][s].add(o)
        self.into[p][o].add(s)
        if p == RDF.type:
            self.types[s].add(o)
        self.queue.append(triple)

    def run(self, triples) -> "Closure":
        for triple in triples:
            self.add(triple)
        while self.queue:
            self._fire(self.queue.popleft())
        return self

    def _fire(self, t: Triple) -> None:
        sc = self.schema
        s, p, o = t
        add = self.add
        if p == RDF.type:
            for d in sc.super_classes.get(o, ()):
                add((s, RDF.type, d), Derivation("cax-sco", ((o, RDFS.subClassOf, d),), (t,)))
            if o in sc.has_value:
                prop, value = sc.has_value[o]
                add((s, prop, value), Derivation(
                    "cls-hv1", ((o, OWL.hasValue, value), (o, OWL.onProperty, prop)), (t,)))
            if o in sc.intersections:
                for member in sc.intersections[o]:
                    add((s, RDF.type, member),
                        Derivation("cls-int2", ((o, OWL.intersectionOf, member),), (t,)))
            for klass in sc.intersections_with.get(o, ()):
                members = sc.intersections[klass]
                if all(m in self.types[s] for m in members):
                    add((s, RDF.type, klass), Derivation(
                        "cls-int1", tuple((klass, OWL.intersectionOf, m) for m in members),
                        tuple((s, RDF.type, m) for m in members)))
            for union in sc.unions_with.get(o, ()):
                add((s, RDF.type, union), Derivation("cls-uni", ((union, OWL.unionOf, o),), (t,)))
            for restriction in sc.some_values_by_filler.get(o, ()):
                prop, _ = sc.some_values[restriction]
                for x in list(self.into[prop].get(s, ())):
                    add((x, RDF.type, restriction), Derivation(
                        "cls-svf1", ((restriction, OWL.someValuesFrom, o),
                                     (restriction, OWL.onProperty, prop)),
                        ((x, prop, s), t)))
        for q in sc.super_properties.get(p, ()):
            add((s, q, o), Derivation("prp-spo1", ((p, RDFS.subPropertyOf, q),), (t,)))
        for klass in sc.domains.get(p, ()):
            add((s, RDF.type, klass), Derivation("prp-dom", ((p, RDFS.domain, klass),), (t,)))
        if not isinstance(o, Literal):
            for klass in sc.ranges.get(p, ()):
                add((o, RDF.type, klass), Derivation("prp-rng", ((p, RDFS.range, klass),), (t,)))
            for q in sc.inverses.get(p, ()):
                add((o, q, s), Derivation("prp-inv", ((p, OWL.inverseOf, q),), (t,)))
            if p in sc.symmetric:
                add((o, p, s), Derivation("prp-symp", ((p, RDF.type, OWL.SymmetricProperty),), (t,)))
        if p in sc.transitive:
            axiom = ((p, RDF.type, OWL.TransitiveProperty),)
            for z in list(self.out[p].get(o, ())):
                add((s, p, z), Derivation("prp-trp", axiom, (t, (o, p, z))))
            for x in list(self.into[p].get(s, ())):
                add((x, p, o), Derivation("prp-trp", axiom, ((x, p, s), t)))
        for restriction, value in ((r, None) for r in sc.has_value_index.get((p, o), ())):
            add((s, RDF.type, restriction), Derivation(
                "cls-hv2", ((restriction, OWL.hasValue, o), (restriction, OWL.onProperty, p)),
                (t,)))
        for restriction in sc.some_values_by_property.get(p, ()):
            _, filler = sc.some_values[restriction]
            if filler == OWL.Thing or filler in self.types.get(o, ()):
                premises = (t,) if filler == OWL.Thing else (t, (o, RDF.type, filler))
                add((s, RDF.type, restriction), Derivation(
                    "cls-svf1", ((restriction, OWL.someValuesFrom, filler),
                                 (restriction, OWL.onProperty, p)), premises))
        for prop, steps in sc.chains:
            for index, step in enumerate(steps):
                if step == p:
                    self._chain(prop, steps, index, t)

    def _chain(self, prop, steps, index: int, t: Triple) -> None:
        """All chains through `t` at position `index`: walk left and right through indexes."""
        s, _, o = t
        lefts = [(s, ())]
        for step in reversed(steps[:index]):
            lefts = [(x, ((x, step, y),) + path) for y, path in lefts
                     for x in list(self.into[step].get(y, ()))]
        rights = [(o, ())]
        for step in steps[index + 1:]:
            rights = [(z, path + ((y, step, z),)) for y, path in rights
                      for z in list(self.out[step].get(y, ()))]
        axiom = tuple((prop, OWL.propertyChainAxiom, step) for step in steps)
        for start, left in lefts:
            for end, right in rights:
                self.add((start, prop, end),
                         Derivation("prp-spo2", axiom, left + (t,) + right))


def compiled_closure(schema_closure: Graph, instances: Graph) -> tuple[set, dict]:
    """The instance closure of `instances` (plus the schema closure, whose annotations and
    typings are instance triples too) and the derivation of each derived triple."""
    compiled = CompiledSchema.from_closure(schema_closure)
    closure = Closure(compiled).run(iter(instances))
    closure.run(t for t in schema_closure if not is_schema_triple(t))
    return closure.facts | set(schema_closure), closure.why


def split_schema(graph: Graph) -> tuple[Graph, Graph]:
    """Schema triples (with the blank-node lists they use) and everything else."""
    schema, rest = Graph(), Graph()
    list_nodes = set()
    for s, p, o in graph:
        if is_schema_triple((s, p, o)) and isinstance(o, BNode):
            list_nodes.add(o)
    # Follow rdf:first/rdf:rest and restriction bodies from the schema's blank nodes.
    pending = list(list_nodes)
    while pending:
        node = pending.pop()
        for _, p, o in graph.triples((node, None, None)):
            if isinstance(o, BNode) and o not in list_nodes:
                list_nodes.add(o)
                pending.append(o)
    for triple in graph:
        s = triple[0]
        if is_schema_triple(triple) or s in list_nodes or (
            triple[1] == RDF.type and isinstance(triple[2], URIRef)
            and triple[2] in (OWL.Class, OWL.Restriction, OWL.ObjectProperty,
                              OWL.DatatypeProperty, OWL.AnnotationProperty, RDFS.Class,
                              RDF.Property)
        ):
            schema.add(triple)
        else:
            rest.add(triple)
    return schema, rest
