"""Why an inferred statement holds, in words a researcher can follow.

The reasons are not in the triple store: they are a product of the build
(`KnowledgeGraph.explain`, its derivation index). An `Explainer` turns a derivation into the
OWL 2 RL rule it applied (`prp-spo2` is "property chain"), the axioms of the ontology it used
(class expressions in Manchester style, with links into the ontology documentation) and its
premises, asserted or themselves inferred and explained in turn. The served snapshot holds
one per build (`api.snapshot.Snapshot.explainer`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
from .namespaces import (
    SMP,
)


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
    """Derivations of a build in words. One per build; thread-safe after construction."""

    def __init__(self, kg):
        self.derivations = kg.derivations
        self.ontology = parse_keeping_bnodes(kg.path("ontology"))
        self.asserted = set(parse_keeping_bnodes(kg.path("asserted")))
        self.inferred = set(parse_keeping_bnodes(kg.path("inferred")))
        self.facts = self.asserted | self.inferred | set(self.ontology)
        self.objects: dict[tuple, list] = {}
        for s, p, o in sorted(self.facts, key=lambda t: tuple(x.n3() for x in t)):
            self.objects.setdefault((s, p), []).append(o)
        candidates: dict[Identifier, list[Literal]] = {}
        for s, p, o in self.facts:
            if p in LABEL_PREDICATES and isinstance(o, Literal) and isinstance(s, URIRef):
                candidates.setdefault(s, []).append(o)
        self.labels = {t: pick_label(c) for t, c in candidates.items() if pick_label(c)}
        self.acronyms = {s: str(o) for s, p, o in self.facts if p == SMP.acronym}

    def name(self, term) -> str:
        """A short name: the acronym when there is one (explanations name many things)."""
        if isinstance(term, Literal):
            note = literal_note(term)
            return f"“{literal_text(term)}”" + (f" ({note})" if note else "")
        return (
            self.acronyms.get(term)
            or self.labels.get(term)
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
        if triple in self.asserted:
            return "asserted"
        if triple in self.ontology:
            return "ontology"
        if triple in self.derivations or triple in self.inferred:
            return "inferred"
        return "intermediate" if any(isinstance(t, BNode) for t in triple) else "asserted"

    def explain(self, triple, depth: int = 0) -> Explanation | None:
        derivation = self.derivations.get(triple)
        if derivation is None:
            s, p, o = triple
            if p == RDF.type and isinstance(o, BNode):
                return self._meets_definition(s, o, depth)
            if triple in self.inferred:
                return Explanation(
                    None,
                    "OWL 2 RL reasoning",
                    note=("inferred by owlrl's OWL 2 RL closure, which records no derivation"),
                )
            return None
        premises = []
        for premise in derivation.premises:
            status = self.status(premise)
            nested = (
                self.explain(premise, depth + 1)
                if status in ("inferred", "intermediate") and depth < MAX_DEPTH
                else None
            )
            premises.append(Premise(self.statement(premise), status, nested))
        return Explanation(
            derivation.rule,
            rule_title(derivation.rule),
            self.axioms(derivation.rule, derivation.axioms),
            premises,
        )

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
                for y in self.objects.get((x, prop), ()):
                    if filler == OWL.Thing or (y, RDF.type, filler) in self.facts:
                        premises.append((x, prop, y))
                        if filler != OWL.Thing:
                            premises.append((y, RDF.type, filler))
                        break
        rule = "cls-int1" if members is not None else "cls-hv2"
        explained = []
        for premise in premises:
            status = self.status(premise)
            nested = (
                self.explain(premise, depth + 1)
                if status in ("inferred", "intermediate") and depth < MAX_DEPTH
                else None
            )
            explained.append(Premise(self.statement(premise), status, nested))
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
