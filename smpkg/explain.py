"""Why an inferred statement holds, in words a researcher can follow.

The reasons are not in the triple store: they are a product of the build, its derivation
index (`products.DerivationIndex`, written at build time with each premise's status). An
`Explainer` turns a derivation into the
OWL 2 RL rule it applied (`prp-spo2` is "property chain"), the axioms of the ontology it used
(class expressions in Manchester style, with links into the ontology documentation) and its
premises, asserted or themselves inferred and explained in turn. The served snapshot holds
one per build (`api.snapshot.Snapshot.explainer`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property, lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Identifier

from .describe import (
    EXPRESSION_PREDICATES,
    LABEL_PREDICATES,
    MAX_DEPTH,
    Explanation,
    Part,
    Premise,
    article,
    compact,
    literal_note,
    literal_text,
    pick_label,
    rule_title,
    words,
)
from .disk_store import DISK_STORE_DIR
from .load import nt, term_of
from .namespaces import ASSERTED_GRAPH, INFERRED_GRAPH, SMP
from .oxigraph_engine import from_ox, to_ox
from .products import INDEX_FILE, DerivationIndex, triple_key

NAMES = 65536  # names and labels kept per build (a page names a few hundred terms)


class _KeepBlankNodeLabels(dict):
    """A bnode context for rdflib's N-Triples parser that keeps the file's labels, so that the
    blank nodes of the ontology match those named in the build's derivations."""

    def get(self, key, default=None):
        return key


def parse_keeping_bnodes(path: Path) -> Graph:
    graph = Graph()
    graph.parse(path, format="nt", bnode_context=_KeepBlankNodeLabels())
    return graph


def class_expression(
    graph: Graph, node, name: Callable[[Identifier], str], nested: bool = False
) -> list[Part]:
    """A class expression in words, Manchester style: `Initiative and (covers sector value
    healthcare)`; named classes as links."""
    if not isinstance(node, BNode):
        return [Part(name(node), node)]
    parts: list[Part] = []
    members = graph.value(node, OWL.intersectionOf)
    union = graph.value(node, OWL.unionOf)
    prop = _identifier(graph.value(node, OWL.onProperty))
    listed = members if members is not None else union
    if listed is not None:
        word = " and " if members is not None else " or "
        for i, member in enumerate(Collection(graph, listed)):
            if i:
                parts.append(Part(word))
            parts += class_expression(graph, member, name, nested=True)
    elif prop is not None:
        parts.append(Part(name(prop), prop))
        for predicate, word in (
            (OWL.hasValue, "value"),
            (OWL.someValuesFrom, "some"),
            (OWL.allValuesFrom, "only"),
        ):
            target = _identifier(graph.value(node, predicate))
            if target is not None:
                parts.append(Part(f" {word} "))
                parts += (
                    class_expression(graph, target, name, nested=True)
                    if predicate != OWL.hasValue
                    else [Part(name(target), target)]
                )
                break
    elif graph.value(node, OWL.complementOf) is not None:
        parts = [Part("not ")] + class_expression(
            graph, graph.value(node, OWL.complementOf), name, nested=True
        )
    else:
        return [Part("an anonymous class")]
    return [Part("(")] + parts + [Part(")")] if nested else parts


def _identifier(node: object) -> Identifier | None:
    """A graph's value as an RDF term (rdflib types `Graph.value` loosely)."""
    return node if isinstance(node, Identifier) else None


class Explainer:
    """Derivations of a build in words, from its products on disk: the derivation index
    (`products.DerivationIndex`), the ontology (small, parsed here) and the on-disk store, read
    statement by statement for names and facts. Nothing of the data is loaded. One per build;
    thread-safe."""

    def __init__(self, kg):
        self._ontology_path = kg.path("ontology")
        self.index = DerivationIndex(kg.directory / INDEX_FILE)
        self.store = ox.Store.read_only(str(kg.directory / DISK_STORE_DIR))
        self.name = lru_cache(maxsize=NAMES)(self._name)
        self.label = lru_cache(maxsize=NAMES)(self._label)

    @cached_property
    def ontology(self) -> Graph:
        """The ontology, parsed at its first use: a Turtle page needs only the store."""
        return parse_keeping_bnodes(self._ontology_path)

    def _values(self, subject, predicate) -> list:
        """The objects of `subject predicate ?o` in any graph, in N-Triples order, once each."""
        if not isinstance(subject, URIRef):
            return []
        found = self.store.quads_for_pattern(to_ox(subject), to_ox(predicate), None, None)
        return sorted({from_ox(q.object) for q in found}, key=lambda t: t.n3())

    def holds(self, triple) -> bool:
        if any(isinstance(t, BNode) for t in triple):
            return triple in self.ontology
        s, p, o = (to_ox(t) for t in triple)
        return next(iter(self.store.quads_for_pattern(s, p, o, None)), None) is not None

    def _label(self, term) -> str | None:
        """The label the data gives a term (English first), None when it gives none."""
        literals = [
            o for p in LABEL_PREDICATES for o in self._values(term, p) if isinstance(o, Literal)
        ]
        return pick_label(literals)

    def _name(self, term) -> str:
        """A short name: the acronym when there is one (explanations name many things)."""
        if isinstance(term, Literal):
            note = literal_note(term)
            return f"“{literal_text(term)}”" + (f" ({note})" if note else "")
        acronyms = self._values(term, SMP.acronym) if isinstance(term, URIRef) else []
        return (
            (str(acronyms[0]) if acronyms else None)
            or (self.label(term) if isinstance(term, URIRef) else None)
            or (words(str(term)) if str(term).startswith(str(SMP)) else compact(str(term)))
        )

    def is_a(self, klass) -> list[Part]:
        if isinstance(klass, BNode):
            return [Part(" is an instance of ")] + self.term(klass)
        name = self.name(klass)
        return [Part(f" is {article(name)} "), Part(name, klass)]

    def term(self, term) -> list[Part]:
        if isinstance(term, BNode):
            return class_expression(self.ontology, term, self.name, nested=True)
        return [Part(self.name(term), term if isinstance(term, URIRef) else None)]

    def statement(self, triple) -> list[Part]:
        s, p, o = triple
        if p == RDF.type:
            return self.term(s) + self.is_a(o)
        return self.term(s) + [Part(" "), Part(self.name(p), p), Part(" ")] + self.term(o)

    def status(self, triple) -> str:
        """How a statement holds: asserted, ontology, inferred, or intermediate."""
        if triple in self.ontology:
            return "ontology"
        if not any(isinstance(t, BNode) for t in triple):
            s, p, o = (to_ox(t) for t in triple)
            graphs = {
                str(from_ox(q.graph_name)) for q in self.store.quads_for_pattern(s, p, o, None)
            }
            if str(ASSERTED_GRAPH) in graphs:
                return "asserted"
            if str(INFERRED_GRAPH) in graphs:
                return "inferred"
        if self.derivation(triple) is not None:
            return "inferred"
        return "intermediate" if any(isinstance(t, BNode) for t in triple) else "asserted"

    def derivation(self, triple) -> dict | None:
        return self.index.get(triple_key(nt(t) for t in triple))

    def explain(self, triple, depth: int = 0, status: str = "inferred") -> Explanation | None:
        """Why `triple` holds; `status` is what the caller knows of it (a premise's status,
        written at build time; the resource pages explain inferred statements)."""
        derivation = self.derivation(triple)
        if derivation is None:
            s, p, o = triple
            if p == RDF.type and isinstance(o, BNode):
                return self._meets_definition(s, o, depth)
            if status == "inferred":
                return Explanation(
                    None,
                    "OWL 2 RL reasoning",
                    note=("inferred by owlrl's OWL 2 RL closure, which records no derivation"),
                )
            return None
        premises = []
        for *terms, status_of in derivation["premises"]:
            premise = tuple(term_of(t) for t in terms)
            premises.append(self._premise(premise, status_of, depth))
        axioms = tuple(tuple(term_of(t) for t in axiom) for axiom in derivation["axioms"])
        return Explanation(
            derivation["rule"],
            rule_title(derivation["rule"]),
            self.axioms(derivation["rule"], axioms),
            premises,
        )

    def _premise(self, premise: tuple, status: str, depth: int) -> Premise:
        nested = (
            self.explain(premise, depth + 1, status)
            if status in ("inferred", "intermediate") and depth < MAX_DEPTH
            else None
        )
        return Premise(self.statement(premise), status, nested)

    def _meets_definition(self, x, klass: BNode, depth: int) -> Explanation:
        """Why x is an instance of an anonymous class expression (the intermediate step of a
        defined class, which the build does not keep): the parts of the definition it meets."""
        graph = self.ontology
        members = graph.value(klass, OWL.intersectionOf)
        parts = list(Collection(graph, members)) if members is not None else [klass]
        premises: list[tuple] = []
        for part in parts:
            prop = graph.value(part, OWL.onProperty)
            if isinstance(part, URIRef):
                premises.append((x, RDF.type, part))
            elif prop is not None and graph.value(part, OWL.hasValue) is not None:
                premises.append((x, prop, graph.value(part, OWL.hasValue)))
            elif prop is not None and graph.value(part, OWL.someValuesFrom) is not None:
                filler = graph.value(part, OWL.someValuesFrom)
                for y in self._values(x, prop):
                    if filler == OWL.Thing or self.holds((y, RDF.type, filler)):
                        premises.append((x, prop, y))
                        if filler != OWL.Thing:
                            premises.append((y, RDF.type, filler))
                        break
        rule = "cls-int1" if members is not None else "cls-hv2"
        explained = [self._premise(p, self.status(p), depth) for p in premises]
        return Explanation(
            rule, rule_title(rule), [[Part("the class ")] + self.term(klass)], explained
        )

    def axioms(self, rule: str, axioms: tuple) -> list[list[Part]]:
        """The ontology axioms a derivation used, as sentences with links. The build joins
        the steps through anonymous classes into one derivation (rule `cls-hv2 + cls-int1 +
        cax-sco`): the triples that only spell out a class expression (its restriction, its
        intersection) are shown once, as the expression, inside the sentence that uses it."""
        sentences: list[list[Part]] = []
        chains: dict = {}
        intersections: dict = {}
        expressions: list = []
        mentioned: set = set()
        for triple in axioms:
            s, p, o = triple
            if p == OWL.propertyChainAxiom:
                chains.setdefault(s, []).append(o)
            elif isinstance(s, BNode) and p in EXPRESSION_PREDICATES:
                if s not in expressions:
                    expressions.append(s)
            elif p == OWL.intersectionOf:
                intersections.setdefault(s, []).append(o)
            else:
                sentences.append(self.axiom(triple))
                mentioned.update(t for t in (s, o) if isinstance(t, BNode))
        for prop, steps in chains.items():
            chain: list[Part] = []
            for i, step in enumerate(steps):
                if i:
                    chain.append(Part(" followed by "))
                chain.append(Part(self.name(step), step))
            sentences.append(
                chain
                + [
                    Part(" implies "),
                    Part(self.name(prop), prop),
                    Part(" (a property chain axiom)"),
                ]
            )
        for klass, members in intersections.items():
            parts: list[Part] = []
            for i, member in enumerate(members):
                if i:
                    parts.append(Part(" and "))
                parts += self.term(member)
            sentences.append(self.term(klass) + [Part(" is the intersection of ")] + parts)
        covered = set()
        for node in mentioned:
            covered |= self.inside(node)
        for node in expressions:
            if node not in covered and not any(
                node in self.inside(other) - {other} for other in expressions
            ):
                sentences.append([Part("the class expression ")] + self.term(node))
                covered |= self.inside(node)
        return sentences

    def inside(self, node) -> set:
        """A blank node and every blank node its description reaches (lists, restrictions)."""
        seen, pending = set(), [node]
        while pending:
            current = pending.pop()
            if current in seen or not isinstance(current, BNode):
                continue
            seen.add(current)
            pending.extend(self.ontology.objects(current, None))
        return seen

    def axiom(self, triple) -> list[Part]:
        s, p, o = triple
        if p == RDFS.subClassOf:
            if isinstance(s, BNode):
                return (
                    [Part("everything that is ")]
                    + self.term(s)
                    + self.is_a(o)
                    + [Part(" (its definition)")]
                )
            return self.term(s) + [Part(" is a subclass of ")] + self.term(o)
        if p == RDFS.subPropertyOf:
            return self.term(s) + [Part(" is a subproperty of ")] + self.term(o)
        if p == RDFS.domain:
            return [Part("the domain of ")] + self.term(s) + [Part(" is ")] + self.term(o)
        if p == RDFS.range:
            return [Part("the range of ")] + self.term(s) + [Part(" is ")] + self.term(o)
        if p == OWL.inverseOf:
            return self.term(s) + [Part(" is the inverse of ")] + self.term(o)
        if p == RDF.type and o == OWL.SymmetricProperty:
            return self.term(s) + [Part(" is symmetric")]
        if p == RDF.type and o == OWL.TransitiveProperty:
            return self.term(s) + [Part(" is transitive")]
        if p == OWL.equivalentClass:
            return self.term(s) + [Part(" is equivalent to ")] + self.term(o)
        return self.statement(triple)
