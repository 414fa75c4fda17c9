"""The description of one resource: what its page shows and what its RDF representations hold.

A description is built from three SPARQL SELECT queries (`OUTGOING`, `INCOMING`, `SECTIONS`)
with `?this` bound to the resource, answered by whatever engine serves the data: the service
runs them through its query executor, so a page shows exactly what the endpoint answers, also
when the service answers from an external store; the command line and the tests run them on
an engine directly. Every statement comes with the named graph it sits in, so that asserted,
ontology and inferred statements are told apart.

Why an inferred statement holds is not in the triple store: it is a product of the build
(`KnowledgeGraph.explain`). An `Explainer` turns a derivation into words a researcher can
follow: the OWL 2 RL rule (`prp-spo2` is "property chain"), the axioms of the ontology it used
(with links into the ontology documentation) and the premises (asserted or themselves inferred,
explained in turn).

What a description holds (and so what `/id/...` serves as RDF): every triple with the resource
as subject, the statements of the blank nodes it points to (one level, e.g. a
`dcterms:PeriodOfTime`), and every triple with the resource as object whose subject is an IRI.
Labels of the resources on the other side are shown on the page but are not part of the RDF.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Identifier

from .dates import shown_dates
from .namespaces import (
    ASSERTED_GRAPH,
    INFERRED_GRAPH,
    ONTOLOGY_GRAPH,
    PREFIXES,
    SMP,
    bind_all,
)

if TYPE_CHECKING:
    from .explain import Explainer

PROLOGUE = f"""PREFIX rdfs: <{RDFS}>
PREFIX skos: <{SKOS}>
PREFIX dcterms: <{DCTERMS}>
PREFIX smp: <{SMP}>
"""
# ?this is bound by the caller (as an RDF term, never pasted into the text).
OUTGOING = (
    PROLOGUE
    + """SELECT ?this ?g ?p ?o ?plabel ?olabel ?bp ?bo WHERE {
  GRAPH ?g { ?this ?p ?o }
  OPTIONAL { ?p rdfs:label ?plabel }
  OPTIONAL { ?o rdfs:label|skos:prefLabel|dcterms:title ?olabel }
  OPTIONAL { FILTER(isBlank(?o)) GRAPH ?g { ?o ?bp ?bo } }
}"""
)
INCOMING = (
    PROLOGUE
    + """SELECT ?this ?g ?s ?p ?plabel ?slabel WHERE {
  GRAPH ?g { ?s ?p ?this }
  FILTER(!isBlank(?s))
  OPTIONAL { ?p rdfs:label ?plabel }
  OPTIONAL { ?s rdfs:label|skos:prefLabel|dcterms:title ?slabel }
}"""
)
SECTIONS = (
    PROLOGUE
    + """SELECT ?this ?section ?slabel ?doc ?dlabel WHERE {
  ?this smp:describedIn ?section .
  OPTIONAL { ?section rdfs:label ?slabel }
  OPTIONAL { ?section smp:sectionOf ?doc OPTIONAL { ?doc rdfs:label|dcterms:title ?dlabel } }
}"""
)
QUERIES = {"outgoing": OUTGOING, "incoming": INCOMING, "sections": SECTIONS}

GRAPH_KINDS: dict[Identifier, str] = {
    ASSERTED_GRAPH: "asserted",
    ONTOLOGY_GRAPH: "ontology",
    INFERRED_GRAPH: "inferred",
}

# OWL 2 RL rule ids (as in the specification's tables) in words.
RULES = {
    "cax-sco": "subclass",
    "cax-eqc1": "equivalent class",
    "cax-eqc2": "equivalent class",
    "prp-spo1": "subproperty",
    "prp-spo2": "property chain",
    "prp-dom": "domain of a property",
    "prp-rng": "range of a property",
    "prp-inv": "inverse of",
    "prp-inv1": "inverse of",
    "prp-inv2": "inverse of",
    "prp-symp": "symmetric property",
    "prp-trp": "transitive property",
    "prp-eqp1": "equivalent property",
    "prp-eqp2": "equivalent property",
    "cls-hv1": "has-value restriction",
    "cls-hv2": "has-value restriction",
    "cls-int1": "intersection of classes",
    "cls-int2": "intersection of classes",
    "cls-uni": "union of classes",
    "cls-svf1": "some-values-from restriction",
}

# Statements shown first, in this order, on a page.
LEADING = [RDFS.label, SMP.acronym, DCTERMS.description, SKOS.note]
LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
DATATYPE_WORDS = {
    XSD.gYear: "year",
    XSD.gYearMonth: "year and month",
    XSD.date: "date",
    XSD.dateTime: "date and time",
    XSD.integer: "integer",
    XSD.nonNegativeInteger: "integer",
    XSD.decimal: "decimal",
    XSD.double: "number",
    XSD.boolean: "true or false",
    XSD.anyURI: "URI",
}
MAX_DEPTH = 4  # how deep explanations of premises nest
# Axioms that spell out an anonymous class expression rather than state something of their own.
EXPRESSION_PREDICATES = {
    OWL.hasValue,
    OWL.onProperty,
    OWL.someValuesFrom,
    OWL.allValuesFrom,
    OWL.intersectionOf,
    OWL.unionOf,
    OWL.complementOf,
}


class Part(NamedTuple):
    """A piece of text, linked to `term` when there is one."""

    text: str
    term: Identifier | None = None


# --------------------------------------------------------------------------- terms


def compact(iri: str) -> str:
    """prefix:local for the project's prefixes, else the IRI itself."""
    best = None
    for prefix, namespace in PREFIXES.items():
        ns = str(namespace)
        if iri.startswith(ns) and len(iri) > len(ns) and (best is None or len(ns) > best[1]):
            best = (prefix, len(ns))
    return f"{best[0]}:{iri[best[1] :]}" if best else iri


def local_name(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]


def words(iri: str) -> str:
    """`wasDerivedFrom` -> "was derived from": a readable name for an unlabelled term."""
    name = local_name(iri)
    if name == "type" and iri == str(RDF.type):
        return "type"
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ")
    return spaced if spaced.isupper() else spaced.lower() if spaced[:1].islower() else spaced


def pick_label(candidates: Iterable[Literal]) -> str | None:
    """English first, then untagged, then any; the shortest text on ties."""
    ranked = sorted(
        (0 if c.language == "en" else 1 if not c.language else 2, len(str(c)), str(c))
        for c in candidates
        if isinstance(c, Literal)
    )
    return ranked[0][2] if ranked else None


def rule_title(rule: str) -> str:
    """`cls-hv2 + cls-int1 + cax-sco` -> "has-value restriction, then intersection of
    classes, then subclass"."""
    titles = [RULES.get(r.strip(), r.strip()) for r in rule.split("+")]
    return ", then ".join(dict.fromkeys(titles))


def article(text: str) -> str:
    return "an" if text[:1].lower() in "aeiou" else "a"


def literal_note(term: Literal) -> str:
    """What to print beside a literal's value: its language or, in words, its datatype."""
    if term.language:
        return term.language
    if term.datatype is None or term.datatype == XSD.string:
        return ""
    return DATATYPE_WORDS.get(term.datatype) or compact(str(term.datatype))


def literal_text(term: Literal) -> str:
    if term.datatype in (XSD.integer, XSD.nonNegativeInteger):
        try:
            return f"{int(str(term)):,}".replace(",", "\u202f")
        except ValueError:
            return str(term)
    return str(term)


@dataclass(frozen=True)
class Links:
    """Where a browser goes for a term: IRIs under the base to the service's own pages (so
    that browsing works before the persistent base redirects here), other web IRIs as they
    are, blank nodes and other schemes nowhere."""

    base_iri: str
    root: str = ""  # the service's root path when it runs behind a prefix

    def href(self, term) -> str | None:
        if not isinstance(term, URIRef):
            return None
        iri = str(term)
        if iri.startswith(self.base_iri):
            return f"{self.root}/{iri[len(self.base_iri) :]}"
        if iri.startswith(("http://", "https://")):
            return iri
        return None


# --------------------------------------------------------------------------- results


def term_from_json(value: dict) -> Identifier:
    kind = value["type"]
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    return Literal(value["value"], lang=value.get("xml:lang"), datatype=value.get("datatype"))


def rows_of(
    engine, iri: URIRef, queries: dict[str, str], max_rows: int | None = None
) -> tuple[dict[str, list[dict]], bool]:
    """The rows of `queries` with ?this bound to `iri`, asked of an engine directly: one dict
    of rdflib terms per row, per query; and whether any answer was cut at `max_rows`."""
    rows, truncated = {}, False
    for name, text in queries.items():
        answer = engine.execute(text, bindings={"this": iri}, max_rows=max_rows)
        rows[name] = [
            {v: t for v, t in zip(answer.variables, row, strict=True) if t is not None}
            for row in answer.rows
        ]
        truncated = truncated or answer.truncated
    return rows, truncated


def rows_from_json(body: bytes | str) -> list[dict]:
    """SPARQL 1.1 JSON results as one dict of rdflib terms per row."""
    doc = json.loads(body)
    return [{k: term_from_json(v) for k, v in b.items()} for b in doc["results"]["bindings"]]


# --------------------------------------------------------------------------- the description


@dataclass
class Explanation:
    """Why an inferred statement holds."""

    rule: str | None  # OWL 2 RL rule ids ("a + b" for joined steps); None: no derivation
    title: str  # the rules in words
    axioms: list[list[Part]] = field(default_factory=list)
    premises: list[Premise] = field(default_factory=list)
    note: str = ""

    @property
    def rules(self) -> list[str]:
        return [r.strip() for r in (self.rule or "").split("+") if r.strip()]


@dataclass
class Premise:
    parts: list[Part]
    status: str  # asserted, ontology, inferred, or intermediate (an anonymous class typing)
    explanation: Explanation | None = None


@dataclass
class Value:
    """One statement as seen from the described resource: the other side and how it holds."""

    term: Identifier
    predicate: URIRef
    graph: Identifier | None
    explanation: Explanation | None = None
    details: list[tuple[URIRef, Identifier]] = field(default_factory=list)  # a blank node's

    @property
    def kind(self) -> str:
        if self.graph is None:
            return "asserted"
        return GRAPH_KINDS.get(self.graph, "named graph")

    @property
    def inferred(self) -> bool:
        return self.graph == INFERRED_GRAPH


@dataclass
class Group:
    predicate: URIRef
    values: list[Value]


@dataclass
class Source:
    document: URIRef
    sections: list[URIRef]


@dataclass
class Description:
    iri: URIRef
    labels: dict  # term -> display label
    types: list[Value]
    outgoing: list[Group]
    incoming: list[Group]
    sources: list[Source]
    quads: list[tuple]
    truncated: bool = False
    # A date literal -> the same date at its stated precision ("2019"), for showing it.
    dates: dict[Literal, Literal] = field(default_factory=dict)

    def values(self, predicate: URIRef) -> list[Identifier]:
        return [v.term for g in self.outgoing if g.predicate == predicate for v in g.values]

    @property
    def label(self) -> str:
        return self.labels.get(self.iri) or compact(str(self.iri))

    @property
    def acronym(self) -> str | None:
        found = self.values(SMP.acronym)
        return str(found[0]) if found else None

    @property
    def descriptions(self) -> list[str]:
        return [str(v) for v in self.values(DCTERMS.description)]

    @property
    def notes(self) -> list[str]:
        return [str(v) for v in self.values(SKOS.note)]

    def text(self, term) -> str:
        """A term as text: its label, a literal's value, or a compact IRI."""
        if isinstance(term, Literal):
            return literal_text(self.dates.get(term, term))
        if isinstance(term, BNode):
            return "(a blank node)"
        return self.labels.get(term) or compact(str(term))

    @staticmethod
    def kind_of(term) -> str:
        """literal, bnode or iri (for templates)."""
        return (
            "literal"
            if isinstance(term, Literal)
            else "bnode"
            if isinstance(term, BNode)
            else "iri"
        )

    def note(self, term) -> str:
        return literal_note(self.dates.get(term, term)) if isinstance(term, Literal) else ""

    def predicate_text(self, predicate) -> str:
        return self.labels.get(predicate) or words(str(predicate))

    def graph(self) -> Graph:
        """The statements as one graph (for JSON-LD, which is given the prefixes as its
        context: binding them here would cost more than the rest of a page)."""
        g = Graph()
        for s, p, o, _ in self.quads:
            g.add((s, p, o))
        return g

    def dataset(self) -> Dataset:
        """The statements for TriG and N-Quads: every one in the default graph, which is all
        a client that reads the default graph sees (Comunica dereferencing an IRI, most RDF
        libraries), and again in the named graph it comes from (asserted, inferred)."""
        ds = bind_all(Dataset())
        for s, p, o, g in self.quads:
            ds.default_graph.add((s, p, o))
            if g is not None:
                ds.graph(g).add((s, p, o))
        return ds


def _statements(iri: URIRef, out_rows: list[dict], in_rows: list[dict]) -> tuple[dict, dict, dict]:
    """The quads of the rows (in their order, once each), the statements of the blank nodes
    the resource points to, and the labels the rows offer for each term."""
    candidates: dict[Identifier, list[Literal]] = {}

    def note_label(term, label) -> None:
        if term is not None and label is not None:
            candidates.setdefault(term, []).append(label)

    quads: dict[tuple, None] = {}
    details: dict[tuple, dict] = {}
    for row in out_rows:
        p, o, g = row["p"], row["o"], row.get("g")
        quads[(iri, p, o, g)] = None
        note_label(p, row.get("plabel"))
        note_label(o, row.get("olabel"))
        if p in LABEL_PREDICATES and isinstance(o, Literal):
            note_label(iri, o)
        if isinstance(o, BNode) and "bp" in row:
            quads[(o, row["bp"], row["bo"], g)] = None
            details.setdefault((p, o, g), {})[(row["bp"], row["bo"])] = None
    for row in in_rows:
        s, p, g = row["s"], row["p"], row.get("g")
        quads[(s, p, iri, g)] = None
        note_label(p, row.get("plabel"))
        note_label(s, row.get("slabel"))
    return quads, details, candidates


def _labels(quads, candidates: dict, explainer: Explainer | None) -> dict:
    """The label of each term: what the rows found for it, else (a page's terms only, with
    an explainer) what the store names it."""
    labels = {term: pick_label(found) for term, found in candidates.items()}
    labels = {k: v for k, v in labels.items() if v}
    if explainer is not None:
        for quad in quads:
            for term in quad[:3]:
                if isinstance(term, URIRef) and term not in labels:
                    found = explainer.label(term)
                    if found:
                        labels[term] = found
    return labels


def describe(
    iri: URIRef,
    rows: dict[str, list[dict]],
    explainer: Explainer | None = None,
    truncated: bool = False,
) -> Description | None:
    """The description of `iri` from the rows of the three queries; None when the data says
    nothing about it (neither as subject nor as object)."""
    out_rows, in_rows = rows.get("outgoing", []), rows.get("incoming", [])
    if not out_rows and not in_rows:
        return None
    quads, details, candidates = _statements(iri, out_rows, in_rows)
    labels = _labels(quads, candidates, explainer)

    def explain(triple, graph) -> Explanation | None:
        if graph != INFERRED_GRAPH:
            return None
        if explainer is None:
            return Explanation(
                None,
                "OWL 2 RL reasoning",
                note="inferred by the reasoner; no derivation is available here",
            )
        return explainer.explain(triple)

    types: dict[tuple, Value] = {}
    outgoing: dict[URIRef, dict[tuple, Value]] = {}
    for s, p, o, g in quads:
        if s != iri:
            continue
        value = Value(
            o,
            p,
            g,
            explain((s, p, o), g),
            sorted(details.get((p, o, g), {}), key=lambda d: (str(d[0]), str(d[1]))),
        )
        if p == RDF.type:
            types[(o, g)] = value
        else:
            outgoing.setdefault(p, {})[(o, g)] = value
    incoming: dict[URIRef, dict[tuple, Value]] = {}
    for s, p, o, g in quads:
        if o == iri and s != iri:
            incoming.setdefault(p, {})[(s, g)] = Value(s, p, g, explain((s, p, o), g))

    def sort_values(values: Iterable[Value]) -> list[Value]:
        def key(v: Value):
            shown = labels.get(v.term) or ("~" if isinstance(v.term, BNode) else str(v.term))
            return (v.inferred, shown.lower(), str(v.term))

        return sorted(values, key=key)

    def order(p: URIRef):
        return (
            LEADING.index(p) if p in LEADING else len(LEADING),
            (labels.get(p) or words(str(p))).lower(),
        )

    description = Description(
        iri=iri,
        labels=labels,
        types=sort_values(types.values()),
        outgoing=[Group(p, sort_values(outgoing[p].values())) for p in sorted(outgoing, key=order)],
        incoming=[Group(p, sort_values(incoming[p].values())) for p in sorted(incoming, key=order)],
        sources=[],
        quads=list(quads),
        truncated=truncated,
        dates=shown_dates(quads),
    )
    description.sources = _sources(description, rows.get("sections", []))
    return description


def _sources(description: Description, section_rows: list[dict]) -> list[Source]:
    """The documents the resource was derived from, each with the sections it is described
    in (a section names its document with smp:sectionOf)."""
    labels = description.labels
    sections_of: dict[URIRef, dict[URIRef, None]] = {}
    documents: dict[URIRef, None] = {}
    for row in section_rows:
        section, doc = row["section"], row.get("doc")
        if row.get("slabel") is not None:
            labels.setdefault(section, str(row["slabel"]))
        if doc is None:
            continue
        if row.get("dlabel") is not None and doc not in labels:
            labels[doc] = str(row["dlabel"])
        sections_of.setdefault(doc, {})[section] = None
        documents[doc] = None
    all_sections = {s for found in sections_of.values() for s in found}
    for term in description.values(PROV.wasDerivedFrom):
        if isinstance(term, URIRef) and term not in all_sections:
            documents.setdefault(term, None)
    return [
        Source(doc, sorted(sections_of.get(doc, {}), key=lambda s: str(s)))
        for doc in sorted(documents, key=lambda d: labels.get(d) or str(d))
    ]
