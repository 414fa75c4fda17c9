"""The read-only query engines behind one interface.

`OxigraphEngine` (pyoxigraph) is the fast engine, `RdflibEngine` the reference; both answer the
same `execute()` with the same `Answer`, in rdflib terms, and both refuse what could write or
reach the network before the engine sees the text (see `lexer.py`). Named queries pass their
parameters as RDF terms (rdflib's initBindings, pyoxigraph's substitutions), never as text.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping

import pyoxigraph as ox
import rdflib.plugins.sparql
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.evaluate import evalQuery
from rdflib.term import Identifier

from .errors import QueryFailed, QueryRefused, QuerySyntaxError
from .lexer import scan

# rdflib would otherwise fetch the IRI of any FROM graph it does not hold.
rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False

READ_ONLY = (
    "SPARQL Update is not accepted: this endpoint is read-only "
    "(the graph is built from curated files; see the README)"
)
NO_SERVICE = (
    "SERVICE is disabled: this endpoint never makes outbound requests "
    "(federate from your own client instead)"
)


@dataclass
class Answer:
    """The result of a query, engine-neutral."""

    form: str  # "SELECT", "ASK", "CONSTRUCT" or "DESCRIBE"
    variables: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)  # rdflib terms or None, per variable
    boolean: bool | None = None
    triples: list[tuple] = field(default_factory=list)
    truncated: bool = False
    # Links for the `link` member of a SPARQL JSON/XML results head (e.g. the truncation note).
    links: list[str] = field(default_factory=list)

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def graph(self) -> Graph:
        g = Graph()
        for triple in self.triples:
            g.add(triple)
        return g


@dataclass(frozen=True)
class DatasetSpec:
    """The SPARQL dataset a request asks for (protocol default-graph-uri / named-graph-uri)."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


NO_DATASET = DatasetSpec()


def check_text(text: str) -> None:
    """Refuse updates and SERVICE before any engine parses the text."""
    shape = scan(text)
    if shape.looks_like_update:
        raise QueryRefused(READ_ONLY)
    if shape.uses_service:
        raise QueryRefused(NO_SERVICE)


class Engine:
    name = "engine"

    def execute(
        self,
        text: str,
        dataset: DatasetSpec = NO_DATASET,
        bindings: Mapping[str, Identifier] | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
    ) -> Answer:
        """Run one read-only query. `max_rows` caps SELECT rows and CONSTRUCT/DESCRIBE
        triples (Answer.truncated says so); `base_iri` resolves relative IRIs in the text."""
        raise NotImplementedError

    def graph_names(self) -> list[str]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


def _cap(rows: Iterable, max_rows: int | None) -> tuple[list, bool]:
    if max_rows is None:
        return list(rows), False
    out = []
    for row in rows:
        if len(out) == max_rows:
            return out, True
        out.append(row)
    return out, False


# --------------------------------------------------------------------------- rdflib


class RdflibEngine(Engine):
    """rdflib's SPARQL engine over an in-memory Dataset; the reference implementation."""

    name = "rdflib"

    def __init__(self, dataset: Dataset, cache_size: int = 256):
        # The default graph is the union of all graphs, as in OxigraphEngine (rdflib reads it
        # from the Dataset itself; load_dataset() returns one that is not a union).
        dataset.default_union = True
        self.dataset = dataset
        # rdflib's parser (pyparsing) is not thread-safe: parsing is serialised, evaluation is
        # not, since evaluation only reads the graph.
        self._parse_lock = threading.Lock()
        self._prepared: OrderedDict[str, object] = OrderedDict()
        self._cache_size = cache_size

    def graph_names(self) -> list[str]:
        return sorted(
            str(g.identifier)
            for g in self.dataset.graphs()
            if isinstance(g.identifier, URIRef)
            and g.identifier != rdflib.graph.DATASET_DEFAULT_GRAPH_ID
            and len(g)
        )

    def __len__(self) -> int:
        return sum(1 for _ in self.dataset.quads((None, None, None, None)))

    def prepare(self, text: str, base_iri: str | None = None):
        key = (text, base_iri)
        with self._parse_lock:
            hit = self._prepared.get(key)
            if hit is not None:
                self._prepared.move_to_end(key)
                return hit
            try:
                query = translateQuery(parseQuery(text), base=base_iri)
            except Exception as exc:
                try:
                    parseUpdate(text)
                except Exception:
                    raise QuerySyntaxError(_first_line(exc)) from None
                raise QueryRefused(READ_ONLY) from None
            if _has_service(query.algebra):
                raise QueryRefused(NO_SERVICE)
            self._prepared[key] = query
            if len(self._prepared) > self._cache_size:
                self._prepared.popitem(last=False)
            return query

    def execute(self, text, dataset=NO_DATASET, bindings=None, max_rows=None,
                base_iri=None) -> Answer:
        check_text(text)
        query = self.prepare(text, base_iri)
        if dataset.given:
            query = copy.copy(query)
            algebra = CompValue(query.algebra.name, **query.algebra)
            algebra["datasetClause"] = [
                CompValue("DatasetClause", default=URIRef(g)) for g in dataset.default_graphs
            ] + [CompValue("DatasetClause", named=URIRef(g)) for g in dataset.named_graphs]
            query.algebra = algebra
        try:
            result = evalQuery(self.dataset, query, initBindings=dict(bindings or {}))
            # Evaluation is lazy: errors surface while the rows are read, so inside the try.
            return self._answer(query.algebra.name, result, max_rows)
        except (QueryRefused, QuerySyntaxError):
            raise
        except Exception as exc:
            raise QueryFailed(_first_line(exc)) from exc

    @staticmethod
    def _answer(name: str, result, max_rows) -> Answer:
        if name == "SelectQuery":
            variables = [str(v) for v in result["vars_"]] if "vars_" in result else []
            rows_iter = result["bindings"]
            if not variables:
                variables = []
            keys = [Variable(v) for v in variables]
            rows, truncated = _cap(
                (tuple(b.get(k) for k in keys) for b in rows_iter), max_rows
            )
            return Answer("SELECT", variables, rows, truncated=truncated)
        if name == "AskQuery":
            return Answer("ASK", boolean=bool(result["askAnswer"]))
        form = "CONSTRUCT" if name == "ConstructQuery" else "DESCRIBE"
        triples, truncated = _cap(result["graph"], max_rows)
        return Answer(form, triples=triples, truncated=truncated)


def _has_service(node) -> bool:
    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            return True
        return any(_has_service(v) for v in node.values())
    if isinstance(node, (list, tuple)):
        return any(_has_service(v) for v in node)
    return False


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --------------------------------------------------------------------------- oxigraph


def to_ox(term: Identifier):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def from_ox(term) -> Identifier | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        # Keep the lexical form exactly as stored: no rdflib normalisation.
        return Literal(term.value, datatype=URIRef(datatype), normalize=False)
    if isinstance(term, ox.DefaultGraph):
        return None
    raise TypeError(f"unsupported term {term!r}")


def quads_to_ox(dataset: Dataset) -> Iterator[ox.Quad]:
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = g.identifier if isinstance(g, Graph) else g
        graph = (
            ox.DefaultGraph()
            if name is None or name == rdflib.graph.DATASET_DEFAULT_GRAPH_ID
            else to_ox(name)
        )
        yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph)


class OxigraphEngine(Engine):
    """pyoxigraph's Rust engine; the default for serving."""

    name = "oxigraph"

    def __init__(self, store: ox.Store):
        self.store = store

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> "OxigraphEngine":
        store = ox.Store()
        store.bulk_extend(quads_to_ox(dataset))
        return cls(store)

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def __len__(self) -> int:
        return len(self.store)

    def execute(self, text, dataset=NO_DATASET, bindings=None, max_rows=None,
                base_iri=None) -> Answer:
        check_text(text)
        options: dict = {}
        if base_iri:
            options["base_iri"] = base_iri
        if dataset.given:
            options["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs]
            options["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs]
        elif not scan(text).has_dataset_clause:
            # Otherwise the union flag would override the query's own FROM clauses.
            options["use_default_graph_as_union"] = True
        if bindings:
            options["substitutions"] = {
                ox.Variable(str(k)): to_ox(v) for k, v in bindings.items()
            }
        try:
            result = self.store.query(text, **options)
            return self._answer(text, result, max_rows)
        except SyntaxError as exc:
            try:
                parseUpdate(text)
            except Exception:
                raise QuerySyntaxError(" ".join(str(exc).split())) from None
            raise QueryRefused(READ_ONLY) from None
        except (QueryRefused, QuerySyntaxError):
            raise
        except Exception as exc:
            raise QueryFailed(_first_line(exc)) from exc

    @staticmethod
    def _answer(text: str, result, max_rows) -> Answer:
        if isinstance(result, ox.QueryBoolean):
            return Answer("ASK", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows, truncated = _cap(
                (tuple(from_ox(sol[i]) for i in range(len(variables))) for sol in result),
                max_rows,
            )
            return Answer("SELECT", variables, rows, truncated=truncated)
        triples, truncated = _cap(
            ((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)) for t in result),
            max_rows,
        )
        form = "DESCRIBE" if "DESCRIBE" in scan(text).keywords else "CONSTRUCT"
        return Answer(form, triples=triples, truncated=truncated)
