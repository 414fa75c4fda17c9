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
from typing import Any

from rdflib import Graph
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from .load import nt

Triple = tuple

SCHEMA_PREDICATES = {
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    RDFS.domain,
    RDFS.range,
    OWL.inverseOf,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    OWL.propertyChainAxiom,
    OWL.onProperty,
    OWL.hasValue,
    OWL.someValuesFrom,
    OWL.allValuesFrom,
    OWL.intersectionOf,
    OWL.unionOf,
    OWL.complementOf,
    OWL.oneOf,
    OWL.disjointWith,
    OWL.hasKey,
    OWL.maxCardinality,
    OWL.maxQualifiedCardinality,
    OWL.sameAs,
    OWL.differentFrom,
    OWL.propertyDisjointWith,
}
PROPERTY_CHARACTERISTICS = {
    OWL.TransitiveProperty,
    OWL.SymmetricProperty,
    OWL.FunctionalProperty,
    OWL.InverseFunctionalProperty,
    OWL.IrreflexiveProperty,
    OWL.AsymmetricProperty,
}
UNSUPPORTED_PREDICATES = {
    OWL.allValuesFrom,
    OWL.complementOf,
    OWL.oneOf,
    OWL.disjointWith,
    OWL.hasKey,
    OWL.maxCardinality,
    OWL.maxQualifiedCardinality,
    OWL.sameAs,
    OWL.differentFrom,
    OWL.propertyDisjointWith,
}
UNSUPPORTED_TYPES = {
    OWL.FunctionalProperty,
    OWL.InverseFunctionalProperty,
    OWL.IrreflexiveProperty,
    OWL.AsymmetricProperty,
    OWL.AllDisjointClasses,
    OWL.AllDisjointProperties,
    OWL.AllDifferent,
    OWL.NegativePropertyAssertion,
}


DECLARATIONS = {
    OWL.Class,
    OWL.Restriction,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    RDFS.Class,
    RDF.Property,
}


class Unsupported(Exception):
    """The schema uses a construct the compiled reasoner does not implement."""


@dataclass(frozen=True)
class Derivation:
    rule: str
    axioms: tuple[Triple, ...]
    premises: tuple[Triple, ...]


TYPE = RDF.type


def is_schema_triple(triple: Triple) -> bool:
    _, p, o = triple
    return p in SCHEMA_PREDICATES or (p == TYPE and o in PROPERTY_CHARACTERISTICS)


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
    def from_closure(cls, schema: Graph) -> CompiledSchema:
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
    """The instance closure under a compiled schema, built by a worklist.

    Terms are N-Triples text (`load.nt`), dictionary-encoded as integers while the rules run:
    the closure does millions of lookups at scale, and integers hash and compare fastest. The
    schema's rdflib terms are turned into text once, here."""

    def __init__(self, schema: CompiledSchema):
        self.ids: dict = {}
        self.terms: list = []
        self.literal: set[int] = set()
        self._text: dict = {}
        self.TYPE = self._enc(RDF.type)
        self.THING = self._enc(OWL.Thing)
        # The schema's tables, encoded; each rule entry carries its axioms ready-made.
        self._encode_property_rules(schema)
        self._encode_class_rules(schema)

        # The predicates some rule looks at: a triple with another predicate (a label, a
        # date) concludes nothing and is not fired at all.
        self.has_value_properties = {p for p, _ in self.has_value_index}
        self.active = {
            self.TYPE,
            *self.super_properties,
            *self.domains,
            *self.ranges,
            *self.inverses,
            *self.symmetric,
            *self.transitive,
            *self.has_value_properties,
            *self.some_values_by_property,
            *self.chains_by_step,
        }

        self.facts: set = set()
        self.why: dict = {}  # encoded triple -> (rule, axioms as text, encoded premises)
        self.out: dict = defaultdict(lambda: defaultdict(set))  # p -> s -> {o}
        self.into: dict = defaultdict(lambda: defaultdict(set))  # p -> o -> {s}
        self.types: dict = defaultdict(set)  # x -> {C}
        self.queue: deque = deque()

    def text_of(self, term) -> str:
        """An rdflib term as N-Triples text, each term turned into text once."""
        found = self._text.get(term)
        if found is None:
            found = self._text[term] = nt(term)
        return found

    def _enc(self, term) -> int:
        return self.encode(self.text_of(term))

    def _axiom(self, s, p, o) -> tuple:
        return (self.text_of(s), self.text_of(p), self.text_of(o))

    def _encode_property_rules(self, schema: CompiledSchema) -> None:
        """The tables of the rules one schema axiom drives (cax-sco, prp-*), encoded."""
        enc, axiom = self._enc, self._axiom
        self.super_classes = {
            enc(c): [(enc(d), (axiom(c, RDFS.subClassOf, d),)) for d in ds]
            for c, ds in schema.super_classes.items()
        }
        self.super_properties = {
            enc(p): [(enc(q), (axiom(p, RDFS.subPropertyOf, q),)) for q in qs]
            for p, qs in schema.super_properties.items()
        }
        self.domains = {
            enc(p): [(enc(c), (axiom(p, RDFS.domain, c),)) for c in cs]
            for p, cs in schema.domains.items()
        }
        self.ranges = {
            enc(p): [(enc(c), (axiom(p, RDFS.range, c),)) for c in cs]
            for p, cs in schema.ranges.items()
        }
        self.inverses = {
            enc(p): [(enc(q), (axiom(p, OWL.inverseOf, q),)) for q in qs]
            for p, qs in schema.inverses.items()
        }
        self.symmetric = {
            enc(p): (axiom(p, RDF.type, OWL.SymmetricProperty),) for p in schema.symmetric
        }
        self.transitive = {
            enc(p): (axiom(p, RDF.type, OWL.TransitiveProperty),) for p in schema.transitive
        }
        self.chains_by_step: dict = defaultdict(list)
        for prop, steps in schema.chains:
            axioms = tuple(axiom(prop, OWL.propertyChainAxiom, step) for step in steps)
            encoded = (enc(prop), tuple(enc(step) for step in steps), axioms)
            for index, step in enumerate(steps):
                self.chains_by_step[enc(step)].append((encoded, index))

    def _encode_class_rules(self, schema: CompiledSchema) -> None:
        """The tables of the class-expression rules (cls-*: restrictions, intersections,
        unions), encoded."""
        enc, axiom = self._enc, self._axiom
        self.has_value = {
            enc(r): (enc(p), enc(v), (axiom(r, OWL.hasValue, v), axiom(r, OWL.onProperty, p)))
            for r, (p, v) in schema.has_value.items()
        }
        self.has_value_index = {
            (enc(p), enc(v)): [
                (enc(r), (axiom(r, OWL.hasValue, v), axiom(r, OWL.onProperty, p))) for r in rs
            ]
            for (p, v), rs in schema.has_value_index.items()
        }
        self.some_values = {
            enc(r): (enc(p), enc(f), (axiom(r, OWL.someValuesFrom, f), axiom(r, OWL.onProperty, p)))
            for r, (p, f) in schema.some_values.items()
        }
        self.some_values_by_property = {
            enc(p): [enc(r) for r in rs] for p, rs in schema.some_values_by_property.items()
        }
        self.some_values_by_filler = {
            enc(f): [enc(r) for r in rs] for f, rs in schema.some_values_by_filler.items()
        }
        self.intersections = {
            enc(c): (tuple(enc(m) for m in ms), tuple(axiom(c, OWL.intersectionOf, m) for m in ms))
            for c, ms in schema.intersections.items()
        }
        self.intersections_with = {
            enc(m): [enc(c) for c in cs] for m, cs in schema.intersections_with.items()
        }
        self.unions_with = {
            enc(m): [(enc(u), (axiom(u, OWL.unionOf, m),)) for u in us]
            for m, us in schema.unions_with.items()
        }

    def encode(self, term: str) -> int:
        code = self.ids.get(term)
        if code is None:
            code = self.ids[term] = len(self.terms)
            self.terms.append(term)
            if term[0] == '"':
                self.literal.add(code)
        return code

    def code_of(self, term) -> int:
        """The code of an rdflib term, or -1 when the closure never met it."""
        return self.ids.get(self.text_of(term), -1)

    def decode(self, triple: tuple) -> Triple:
        terms = self.terms
        return (terms[triple[0]], terms[triple[1]], terms[triple[2]])

    def add(self, triple: tuple, why: tuple | None = None) -> None:
        if triple in self.facts:
            return
        s, p, o = triple
        if s in self.literal:
            return  # noise by rule 2 of reason.py: never kept, never used as a premise
        self.facts.add(triple)
        if why is not None:
            self.why[triple] = why
        self.out[p][s].add(o)
        self.into[p][o].add(s)
        if p == self.TYPE:
            self.types[s].add(o)
        self.queue.append(triple)

    def run(self, triples, given: set | None = None) -> Closure:
        """Add the text triples (recording their codes in `given`, when passed) and close."""
        ids, enc, add = self.ids, self.encode, self.add
        for s, p, o in triples:
            triple = (
                ids[s] if s in ids else enc(s),
                ids[p] if p in ids else enc(p),
                ids[o] if o in ids else enc(o),
            )
            add(triple)
            if given is not None:
                given.add(triple)
        fire, active = self._fire, self.active
        pop = self.queue.popleft
        while self.queue:
            t = pop()
            if t[1] in active:
                fire(t)
        return self

    def _fire(self, t: tuple) -> None:
        s, p, o = t
        add = self.add
        # Most conclusions are known already (every use of a property types its subject
        # again): the commonest rules test before they build the derivation.
        facts = self.facts
        rdf_type = self.TYPE
        axioms: tuple[tuple, ...]  # the schema triples a rule instance rests on, one or more
        if p == rdf_type:
            for d, axioms in self.super_classes.get(o, ()):
                new = (s, p, d)
                if new not in facts:
                    add(new, ("cax-sco", axioms, (t,)))
            if o in self.has_value:
                prop, value, axioms = self.has_value[o]
                add((s, prop, value), ("cls-hv1", axioms, (t,)))
            if o in self.intersections:
                members, axioms = self.intersections[o]
                for member, axiom in zip(members, axioms, strict=True):
                    add((s, p, member), ("cls-int2", (axiom,), (t,)))
            for klass in self.intersections_with.get(o, ()):
                members, axioms = self.intersections[klass]
                have = self.types[s]
                if all(m in have for m in members):
                    add((s, p, klass), ("cls-int1", axioms, tuple((s, p, m) for m in members)))
            for union, axioms in self.unions_with.get(o, ()):
                add((s, p, union), ("cls-uni", axioms, (t,)))
            for restriction in self.some_values_by_filler.get(o, ()):
                prop, _, axioms = self.some_values[restriction]
                for x in list(self.into[prop].get(s, ())):
                    add((x, p, restriction), ("cls-svf1", axioms, ((x, prop, s), t)))
        for q, axioms in self.super_properties.get(p, ()):
            new = (s, q, o)
            if new not in facts:
                add(new, ("prp-spo1", axioms, (t,)))
        for klass, axioms in self.domains.get(p, ()):
            new = (s, rdf_type, klass)
            if new not in facts:
                add(new, ("prp-dom", axioms, (t,)))
        if o not in self.literal:
            for klass, axioms in self.ranges.get(p, ()):
                new = (o, rdf_type, klass)
                if new not in facts:
                    add(new, ("prp-rng", axioms, (t,)))
            for q, axioms in self.inverses.get(p, ()):
                new = (o, q, s)
                if new not in facts:
                    add(new, ("prp-inv", axioms, (t,)))
            if p in self.symmetric:
                add((o, p, s), ("prp-symp", self.symmetric[p], (t,)))
        if p in self.transitive:
            axioms = self.transitive[p]
            for z in list(self.out[p].get(o, ())):
                add((s, p, z), ("prp-trp", axioms, (t, (o, p, z))))
            for x in list(self.into[p].get(s, ())):
                add((x, p, o), ("prp-trp", axioms, ((x, p, s), t)))
        if p in self.has_value_properties:
            for restriction, axioms in self.has_value_index.get((p, o), ()):
                add((s, self.TYPE, restriction), ("cls-hv2", axioms, (t,)))
        for restriction in self.some_values_by_property.get(p, ()):
            _, filler, axioms = self.some_values[restriction]
            if filler == self.THING:
                add((s, self.TYPE, restriction), ("cls-svf2", axioms, (t,)))
            elif filler in self.types.get(o, ()):
                add((s, self.TYPE, restriction), ("cls-svf1", axioms, (t, (o, self.TYPE, filler))))
        for (prop, steps, axioms), index in self.chains_by_step.get(p, ()):
            self._chain(prop, steps, axioms, index, t)

    def _chain(self, prop, steps, axioms, index: int, t: tuple) -> None:
        """All chains through `t` at position `index`: walk left and right through indexes."""
        s, _, o = t
        # (the end of a partial chain, the triples walked to reach it)
        lefts: list[tuple[Any, tuple]] = [(s, ())]
        for step in reversed(steps[:index]):
            lefts = [
                (x, ((x, step, y),) + path)
                for y, path in lefts
                for x in list(self.into[step].get(y, ()))
            ]
        rights: list[tuple[Any, tuple]] = [(o, ())]
        for step in steps[index + 1 :]:
            rights = [
                (z, path + ((y, step, z),))
                for y, path in rights
                for z in list(self.out[step].get(y, ()))
            ]
        for start, left in lefts:
            for end, right in rights:
                self.add((start, prop, end), ("prp-spo2", axioms, left + (t,) + right))


SCHEMA_TEXT = {nt(p) for p in SCHEMA_PREDICATES}
TYPE_TEXT = nt(TYPE)
CHARACTERISTICS_TEXT = {nt(c) for c in PROPERTY_CHARACTERISTICS}
DECLARATIONS_TEXT = {nt(c) for c in DECLARATIONS}


def schema_text_triples(triples) -> list[Triple]:
    """The schema triples among text triples (with the blank-node lists and restrictions they
    use): what the compiled reasoner must take from the data into the schema it closes."""
    found = []
    pending = []
    about_bnodes = defaultdict(list)
    for triple in triples:
        s, p, o = triple
        if s[0] == "_":
            about_bnodes[s].append(triple)
        if p in SCHEMA_TEXT or (
            p == TYPE_TEXT and (o in CHARACTERISTICS_TEXT or o in DECLARATIONS_TEXT)
        ):
            found.append(triple)
            if o[0] == "_":
                pending.append(o)
    seen = set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for triple in about_bnodes.get(node, ()):
            found.append(triple)
            if triple[2][0] == "_":
                pending.append(triple[2])
    return found
