"""OWL 2 RL reasoning and the noise rule.

owlrl computes the closure of ontology + data. Much of what it adds carries no information for
a user of this graph, so one rule, `is_noise`, decides what of the closure is kept in the
inferred graph. A triple is noise when it is

1. already asserted;
2. about a literal (a literal in subject position is not RDF a client can use);
3. reflexive and trivially true: `x owl:sameAs x`, `C owl:equivalentClass C`,
   `C rdfs:subClassOf C`, `p rdfs:subPropertyOf p`, `p owl:equivalentProperty p`;
4. about the RDF, RDFS, OWL or XSD vocabularies themselves (its subject is in one of those
   namespaces): this takes all of owlrl's axiomatic and datatype triples;
5. about the top of the hierarchy: `x rdf:type owl:Thing`, `x rdf:type rdfs:Resource`,
   `C rdfs:subClassOf owl:Thing`, `p rdfs:subPropertyOf owl:topObjectProperty` and the like;
6. about an anonymous class expression: `rdf:type`, `rdfs:subClassOf` or
   `owl:equivalentClass` with one of the ontology's blank-node restrictions or intersections on
   either side. The named defined class built from the expression carries the same meaning, and
   a blank node cannot be asked for by name (its label even differs between engines).

Everything else is kept; `ReasoningReport` counts each clause's drops and the kept triples by
kind, and the build prints it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import _toPythonMapping

from .load import Terms, bulk_work, graph_of
from .rules import Closure, CompiledSchema, Derivation, is_schema_triple, schema_text_triples

VOCABULARY_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
# rdflib resolves `RDF.type` through a slow __getattr__; the rule runs per closed triple.
TYPE, SUBCLASS, SUBPROPERTY = RDF.type, RDFS.subClassOf, RDFS.subPropertyOf
REFLEXIVE_PREDICATES = {
    OWL.sameAs,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
}
TOP_CLASSES = {OWL.Thing, RDFS.Resource}
TOP_PROPERTIES = {OWL.topObjectProperty, OWL.topDataProperty}

# The clauses of the rule, in the order they are tried: a triple is counted under the first
# that matches.
NOISE_CLAUSES = (
    "asserted",
    "literal-subject",
    "reflexive",
    "vocabulary",
    "top",
    "anonymous-class",
)
CLASS_EXPRESSION_PREDICATES = {
    OWL.onProperty,
    OWL.intersectionOf,
    OWL.unionOf,
    OWL.complementOf,
    OWL.oneOf,
}
CLASS_PREDICATES = {RDF.type, RDFS.subClassOf, OWL.equivalentClass}

# Changing the rule or the reasoner changes the output: this string goes into the cache key.
RULE_VERSION = "noise-rule-3"  # 3: terms read by pyoxigraph, literals in its forms


def class_expressions(asserted) -> set[BNode]:
    """The blank nodes the asserted triples (a Graph or a set) use as OWL class expressions."""
    return {s for s, p, _ in asserted if isinstance(s, BNode) and p in CLASS_EXPRESSION_PREDICATES}


class NoiseRule:
    """The noise rule, stated once: which inferred triples the build drops (the first clause
    a triple matches names why) and how it groups the kept ones. It reads terms in whatever
    encoding a reasoner uses: rdflib terms (`for_terms`, owlrl's closure) or the compiled
    closure's integer codes (`for_closure`); `code` maps an rdflib term into that encoding,
    `literal` and `vocabulary` test an encoded term."""

    def __init__(
        self,
        code: Callable[[Any], Any],
        literal: Callable[[Any], bool],
        vocabulary: Callable[[Any], bool],
        expressions: Iterable,
    ):
        def codes(terms: Iterable) -> frozenset:
            return frozenset(code(t) for t in terms) - {-1}  # -1: a term the closure lacks

        self.literal = literal
        self.vocabulary = vocabulary
        self.reflexive = codes(REFLEXIVE_PREDICATES)
        self.rdf_type, self.subclass, self.subproperty = (
            code(TYPE),
            code(SUBCLASS),
            code(SUBPROPERTY),
        )
        self.top_classes, self.top_properties = codes(TOP_CLASSES), codes(TOP_PROPERTIES)
        self.class_predicates = codes(CLASS_PREDICATES)
        self.anonymous = codes(expressions)
        self.schema = codes(
            (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty)
        )
        self.same_as = code(OWL.sameAs)

    @classmethod
    def for_terms(cls, expressions: Iterable) -> NoiseRule:
        return cls(
            lambda term: term,
            lambda term: isinstance(term, Literal),
            lambda term: isinstance(term, URIRef) and str(term).startswith(VOCABULARY_NAMESPACES),
            expressions,
        )

    @classmethod
    def for_closure(cls, closure, expressions: Iterable) -> NoiseRule:
        in_vocabulary = tuple(f"<{ns}" for ns in VOCABULARY_NAMESPACES)
        vocabulary = {i for i, term in enumerate(closure.terms) if term.startswith(in_vocabulary)}
        literal = closure.literal
        return cls(closure.code_of, literal.__contains__, vocabulary.__contains__, expressions)

    def clause(self, s, p, o) -> str | None:
        """The name of the first noise clause the triple matches, or None when it is kept."""
        if self.literal(s):
            return "literal-subject"
        if s == o and p in self.reflexive:
            return "reflexive"
        if self.vocabulary(s):
            return "vocabulary"
        if (
            (p == self.rdf_type and o in self.top_classes)
            or (p == self.subclass and o in self.top_classes)
            or (p == self.subproperty and o in self.top_properties)
        ):
            return "top"
        if p in self.class_predicates and (s in self.anonymous or o in self.anonymous):
            return "anonymous-class"
        return None

    def kind(self, s, p, o) -> str:
        """How the build report groups a kept triple."""
        if p == self.rdf_type:
            return "rdf:type"
        if p in self.schema:
            return "schema"
        if p == self.same_as:
            return "owl:sameAs"
        if self.literal(o):
            return "literal value"
        return "relation"

    def split(self, triples: Iterable[tuple]) -> tuple[list, Counter, Counter]:
        """The kept triples, the kept ones counted by kind, the dropped ones by clause."""
        kept: list = []
        counts: Counter = Counter()
        dropped: Counter = Counter()
        for triple in triples:
            clause = self.clause(*triple)
            if clause is None:
                kept.append(triple)
                counts[self.kind(*triple)] += 1
            else:
                dropped[clause] += 1
        return kept, counts, dropped


def noise_clause(triple, asserted, expressions: set[BNode] | None = None) -> str | None:
    """The name of the first noise clause the triple matches ("asserted" when it is), or None
    when it is kept. `expressions` is `class_expressions(asserted)`."""
    if triple in asserted:
        return "asserted"
    if expressions is None:
        expressions = class_expressions(asserted)
    return NoiseRule.for_terms(expressions).clause(*triple)


@dataclass
class ReasoningReport:
    reasoner: str
    seconds: float
    asserted: int
    closure: int
    kept: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)

    @property
    def inferred(self) -> int:
        return sum(self.kept.values())

    def as_dict(self) -> dict:
        return {
            "reasoner": self.reasoner,
            "seconds": round(self.seconds, 3),
            "asserted": self.asserted,
            "closure": self.closure,
            "inferred": self.inferred,
            "kept": dict(sorted(self.kept.items())),
            "dropped": {c: self.dropped.get(c, 0) for c in NOISE_CLAUSES},
        }

    @classmethod
    def from_dict(cls, data: dict) -> ReasoningReport:
        return cls(
            reasoner=data["reasoner"],
            seconds=data["seconds"],
            asserted=data["asserted"],
            closure=data["closure"],
            kept=Counter(data["kept"]),
            dropped=Counter(data["dropped"]),
        )


def owlrl_closure(asserted: Graph) -> Graph:
    """The full OWL 2 RL closure by owlrl, on a copy: the asserted graph is not touched."""
    work = Graph()
    for triple in asserted:
        work.add(triple)
    # owlrl swaps in its own lexical-to-Python conversions for the XSD types while it runs and
    # does not put all of rdflib's back (gYear stays owlrl's, which refuses "-0044"): keep the
    # rest of the process on rdflib's own.
    conversions = dict(_toPythonMapping)
    # Imported by a build that reasons, not by a service that opens a cached build (measured:
    # 6.5 ms of CPU, 1 % of `smpkg serve`'s start from the cache).
    import owlrl  # noqa: PLC0415

    try:
        owlrl.DeductiveClosure(
            owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
        ).expand(work)
    finally:
        _toPythonMapping.clear()
        _toPythonMapping.update(conversions)
    return work


def filter_closure(closure, asserted, expressions=None) -> tuple[Graph, Counter, Counter]:
    """Apply the noise rule to a closure (any iterable of triples): the inferred graph and the
    kept/dropped counts."""
    if expressions is None:
        expressions = class_expressions(asserted)
    fresh, already = [], 0
    for triple in closure:
        if triple in asserted:
            already += 1
        else:
            fresh.append(triple)
    kept, counts, dropped = NoiseRule.for_terms(expressions).split(fresh)
    if already:
        dropped["asserted"] = already
    inferred = Graph()
    for triple in kept:
        inferred.add(triple)
    return inferred, counts, dropped


def _filtered(reasoner: str, start: float, closure, asserted) -> tuple[Graph, ReasoningReport]:
    inferred, kept, dropped = filter_closure(closure, asserted)
    report = ReasoningReport(
        reasoner=reasoner,
        seconds=time.perf_counter() - start,
        asserted=len(asserted),
        closure=len(closure),
        kept=kept,
        dropped=dropped,
    )
    return inferred, report


def reason(asserted: Graph) -> tuple[Graph, ReasoningReport]:
    """Run owlrl on the asserted graph (ontology + data) and keep what is informative. The
    reference: `reason_fast` must give exactly this inferred graph."""
    start = time.perf_counter()
    return _filtered(f"owlrl {owlrl_version()}", start, owlrl_closure(asserted), asserted)


@dataclass
class Reasoned:
    """What the compiled reasoner returns: the inferred triples (N-Triples text), the report,
    and for each inferred triple it derived, its derivation (rule, axioms and premises, as
    text)."""

    inferred: list
    report: ReasoningReport
    derivations: dict


@bulk_work()
def reason_fast(ontology: Graph, data: Graph) -> tuple[set, ReasoningReport, dict]:
    """The same inferred triples as `reason(ontology + data)`, by the compiled reasoner of
    `rules.py`: owlrl closes the schema alone, compiled rules close the instances. Returns the
    derivation of every inferred triple the rules produced too. Raises `rules.Unsupported`
    when the schema needs a rule that is not compiled."""
    terms = Terms()
    done = reason_text(terms.to_text(ontology), terms.to_text(data), ontology)
    to_triple = terms.to_triple
    inferred = {to_triple(t) for t in done.inferred}
    derivations = {
        to_triple(t): Derivation(
            rule, tuple(to_triple(a) for a in axioms), tuple(to_triple(p) for p in premises)
        )
        for t, (rule, axioms, premises) in done.derivations.items()
    }
    return inferred, done.report, derivations


@bulk_work()
def reason_text(ontology: list, data: list, ontology_graph: Graph | None = None) -> Reasoned:
    """`reason_fast` on text triples (`load.nt`), the form the build keeps them in.
    `ontology_graph` is the ontology as an rdflib Graph, when the caller has one already."""
    start = time.perf_counter()
    terms = Terms()
    schema = Graph()
    if ontology_graph is not None:
        for triple in ontology_graph:
            schema.add(triple)
    else:
        graph_of(ontology, schema)
    for triple in schema_text_triples(data):
        schema.add(terms.to_triple(triple))
    expressions = class_expressions(schema)  # what is asserted of blank nodes is in `schema`
    schema_closure = owlrl_closure(schema)
    closure = Closure(CompiledSchema.from_closure(schema_closure))
    enc = closure.encode
    asserted: set = {(enc(s), enc(p), enc(o)) for s, p, o in ontology}
    closure.run(data, asserted)
    closed = terms.to_text(schema_closure)
    closure.run(
        text
        for text, triple in zip(closed, schema_closure, strict=False)
        if not is_schema_triple(triple)
    )
    candidates = closure.facts.union((enc(s), enc(p), enc(o)) for s, p, o in closed)
    candidates -= asserted

    kept, counts, dropped = NoiseRule.for_closure(closure, expressions).split(candidates)
    dropped["asserted"] = len(asserted)  # the closure contains every asserted triple
    report = ReasoningReport(
        reasoner=f"compiled rules + owlrl {owlrl_version()} for the schema",
        seconds=0.0,
        asserted=len(asserted),
        closure=len(asserted) + len(candidates),
        kept=counts,
        dropped=dropped,
    )
    derivations = _derivations(closure, kept, asserted)
    decode = closure.decode
    inferred = [decode(t) for t in kept]
    report.seconds = time.perf_counter() - start
    return Reasoned(inferred, report, derivations)


def _derivations(closure, kept: list, asserted: set) -> dict:
    """The derivation of each kept triple the rules derived, as text, with every premise
    asserted or kept: a premise the noise rule dropped (such as a typing with an anonymous
    restriction) is replaced by its own derivation, and the rules and axioms of both steps
    are joined."""
    why = closure.why
    kept_set = set(kept)
    decode = closure.decode

    def through(triple, depth: int):
        rule, axioms, premises = why[triple]
        if all(p in asserted or p in kept_set or p not in why for p in premises) or depth > 8:
            if len(axioms) > 1:
                axioms = tuple(dict.fromkeys(axioms))
            if len(premises) > 1:
                premises = tuple(dict.fromkeys(premises))
            return rule, axioms, premises
        rules, axioms, joined = [rule], list(axioms), []
        for premise in premises:
            if premise in asserted or premise in kept_set or premise not in why:
                joined.append(premise)
                continue
            inner_rule, inner_axioms, inner_premises = through(premise, depth + 1)
            rules.insert(0, inner_rule)
            axioms = list(inner_axioms) + axioms
            joined.extend(inner_premises)
        return (
            " + ".join(dict.fromkeys(rules)),
            tuple(dict.fromkeys(axioms)),
            tuple(dict.fromkeys(joined)),
        )

    terms = closure.terms
    out: dict[tuple, tuple[str, tuple, tuple]] = {}
    for triple in kept:
        found = why.get(triple)
        if found is None:
            continue
        rule, axioms, premises = found
        # The common case, a one-step derivation from a fact that is kept: as it is.
        if len(premises) == 1 and len(axioms) == 1:
            premise = premises[0]
            if premise in asserted or premise in kept_set or premise not in why:
                out[decode(triple)] = (
                    rule,
                    axioms,
                    ((terms[premise[0]], terms[premise[1]], terms[premise[2]]),),
                )
                continue
        rule, axioms, premises = through(triple, 0)
        out[decode(triple)] = (
            rule,
            tuple(axioms),
            tuple((terms[s], terms[p], terms[o]) for s, p, o in premises),
        )
    return out


def owlrl_version() -> str:
    return version("owlrl")
