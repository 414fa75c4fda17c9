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
from dataclasses import dataclass, field

import owlrl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

VOCABULARY_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
# rdflib resolves `RDF.type` through a slow __getattr__; the rule runs per closed triple.
TYPE, SUBCLASS, SUBPROPERTY = RDF.type, RDFS.subClassOf, RDFS.subPropertyOf
REFLEXIVE_PREDICATES = {
    OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf,
    RDFS.subPropertyOf,
}
TOP_CLASSES = {OWL.Thing, RDFS.Resource}
TOP_PROPERTIES = {OWL.topObjectProperty, OWL.topDataProperty}

# The clauses of the rule, in the order they are tried: a triple is counted under the first
# that matches.
NOISE_CLAUSES = (
    "asserted", "literal-subject", "reflexive", "vocabulary", "top", "anonymous-class",
)
CLASS_EXPRESSION_PREDICATES = {
    OWL.onProperty, OWL.intersectionOf, OWL.unionOf, OWL.complementOf, OWL.oneOf,
}
CLASS_PREDICATES = {RDF.type, RDFS.subClassOf, OWL.equivalentClass}

# Changing the rule or the reasoner changes the output: this string goes into the cache key.
RULE_VERSION = "noise-rule-2"


def class_expressions(asserted) -> set[BNode]:
    """The blank nodes the asserted triples (a Graph or a set) use as OWL class expressions."""
    return {
        s for s, p, _ in asserted
        if isinstance(s, BNode) and p in CLASS_EXPRESSION_PREDICATES
    }


def noise_clause(triple, asserted, expressions: set[BNode] | None = None) -> str | None:
    """The name of the first noise clause the triple matches, or None when it is kept.
    `expressions` is `class_expressions(asserted)`, passed in when many triples are tested."""
    if expressions is None:
        expressions = class_expressions(asserted)
    s, p, o = triple
    if triple in asserted:
        return "asserted"
    if isinstance(s, Literal):
        return "literal-subject"
    if s == o and p in REFLEXIVE_PREDICATES:
        return "reflexive"
    if isinstance(s, URIRef) and str(s).startswith(VOCABULARY_NAMESPACES):
        return "vocabulary"
    if (p == TYPE and o in TOP_CLASSES) or (p == SUBCLASS and o in TOP_CLASSES) or (
        p == SUBPROPERTY and o in TOP_PROPERTIES
    ):
        return "top"
    if p in CLASS_PREDICATES and (s in expressions or o in expressions):
        return "anonymous-class"
    return None


def kind_of(triple) -> str:
    """How the build report groups kept triples."""
    s, p, o = triple
    if p == RDF.type:
        return "rdf:type"
    if p in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty):
        return "schema"
    if p == OWL.sameAs:
        return "owl:sameAs"
    if isinstance(o, Literal):
        return "literal value"
    return "relation"


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
    def from_dict(cls, data: dict) -> "ReasoningReport":
        return cls(
            reasoner=data["reasoner"], seconds=data["seconds"], asserted=data["asserted"],
            closure=data["closure"], kept=Counter(data["kept"]), dropped=Counter(data["dropped"]),
        )


def owlrl_closure(asserted: Graph) -> Graph:
    """The full OWL 2 RL closure by owlrl, on a copy: the asserted graph is not touched."""
    work = Graph()
    for triple in asserted:
        work.add(triple)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(work)
    return work


def filter_closure(closure, asserted, expressions=None) -> tuple[Graph, Counter, Counter]:
    """Apply the noise rule to a closure (any iterable of triples): the inferred graph and the
    kept/dropped counts."""
    inferred = Graph()
    kept: Counter = Counter()
    dropped: Counter = Counter()
    if expressions is None:
        expressions = class_expressions(asserted)
    for triple in closure:
        clause = noise_clause(triple, asserted, expressions)
        if clause is None:
            inferred.add(triple)
            kept[kind_of(triple)] += 1
        else:
            dropped[clause] += 1
    return inferred, kept, dropped


def _filtered(reasoner: str, start: float, closure, asserted) -> tuple[Graph, ReasoningReport]:
    inferred, kept, dropped = filter_closure(closure, asserted)
    report = ReasoningReport(
        reasoner=reasoner, seconds=time.perf_counter() - start, asserted=len(asserted),
        closure=len(closure), kept=kept, dropped=dropped,
    )
    return inferred, report


def reason(asserted: Graph) -> tuple[Graph, ReasoningReport]:
    """Run owlrl on the asserted graph (ontology + data) and keep what is informative. The
    reference: `reason_fast` must give exactly this inferred graph."""
    start = time.perf_counter()
    return _filtered(f"owlrl {owlrl_version()}", start, owlrl_closure(asserted), asserted)


def reason_fast(ontology: Graph, data: Graph) -> tuple[Graph, ReasoningReport, dict]:
    """The same inferred graph as `reason(ontology + data)`, by the compiled reasoner of
    `rules.py`: owlrl closes the schema alone, compiled rules close the instances. Returns the
    derivation of every inferred triple the rules produced too. Raises `rules.Unsupported`
    when the schema needs a rule that is not compiled."""
    from .rules import compiled_closure, schema_triples

    start = time.perf_counter()
    # Read the rdflib graph once: iterating its store is the slowest step at scale.
    data_triples = list(data)
    schema = ontology + schema_triples(data_triples)
    added, why = compiled_closure(owlrl_closure(schema), data_triples)
    # A set, not a Graph: membership tests on hundreds of thousands of triples.
    union = set(ontology) | set(data_triples)
    candidates = [t for t in added if t not in union]
    inferred, kept, dropped = filter_closure(candidates, (), class_expressions(union))
    dropped["asserted"] = len(union)  # the closure contains every asserted triple
    report = ReasoningReport(
        reasoner=f"compiled rules + owlrl {owlrl_version()} for the schema",
        seconds=time.perf_counter() - start, asserted=len(union),
        closure=len(union) + len(candidates), kept=kept, dropped=dropped,
    )
    kept = set(inferred)
    derivations = {t: _through_noise(why[t], why, kept, union) for t in kept if t in why}
    return inferred, report, derivations


def _through_noise(derivation, why: dict, inferred, asserted, depth: int = 0):
    """A derivation whose premises are all asserted or kept: a premise the noise rule dropped
    (such as a typing with an anonymous restriction) is replaced by its own derivation, and
    the rules and axioms of both steps are joined."""
    from .rules import Derivation

    rules, axioms, premises = [derivation.rule], list(derivation.axioms), []
    for premise in derivation.premises:
        if premise in asserted or premise in inferred or premise not in why or depth > 8:
            premises.append(premise)
            continue
        inner = _through_noise(why[premise], why, inferred, asserted, depth + 1)
        rules.insert(0, inner.rule)
        axioms = list(inner.axioms) + axioms
        premises.extend(inner.premises)
    unique = lambda items: tuple(dict.fromkeys(items))  # noqa: E731
    return Derivation(" + ".join(unique(rules)), unique(axioms), unique(premises))


def owlrl_version() -> str:
    from importlib.metadata import version

    return version("owlrl")
