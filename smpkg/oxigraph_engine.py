"""The oxigraph engine: pyoxigraph's store (in memory, or a build's on-disk store opened
read-only), the fast engine; and the conversion of terms between rdflib and pyoxigraph."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import rdflib.graph
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.term import Identifier

from .engine import NO_DATASET, READ_ONLY, Answer, Engine, cap, first_line
from .errors import ParameterError, QueryFailed, QueryRefused, QuerySyntaxError
from .formats import COMPACT
from .guard import check_query, screen, verdict_of_result
from .namespaces import GRAPH_FILES, graph_file
from .rdflib_engine import parseUpdate
from .statistics import sparql_statistics


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


def graph_node(iri: str):
    """A graph named by the request; an IRI pyoxigraph refuses is the client's mistake."""
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise ParameterError("graph", f"{iri!r} is not a valid IRI: {exc}") from None


def bound_term(name: str, term: Identifier):
    """A parameter's value as pyoxigraph's term; one it refuses (an IRI with a character
    RFC 3987 forbids, a malformed language tag) is the client's mistake."""
    try:
        return to_ox(term)
    except ValueError as exc:
        raise ParameterError(name, f"{term!r} is not a valid RDF term: {exc}") from None


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
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
        if datatype == XSD_STRING:
            return Literal(term.value)
        # Keep the lexical form exactly as stored: no rdflib normalisation.
        return Literal(term.value, datatype=URIRef(datatype), normalize=False)
    if isinstance(term, ox.DefaultGraph):
        return None
    raise TypeError(f"unsupported term {term!r}")


def syntax_error(text: str, exc: SyntaxError) -> Exception:
    """What a text pyoxigraph could not parse as a query is: an update (refused) or a syntax
    error (with pyoxigraph's message)."""
    try:
        parseUpdate(text)
    except Exception:  # noqa: BLE001 - whatever rdflib raises, the text is no update
        return QuerySyntaxError(" ".join(str(exc).split()))
    return QueryRefused(READ_ONLY)


def quads_to_ox(dataset: Dataset) -> Iterator[ox.Quad]:
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = g.identifier if isinstance(g, Graph) else g
        graph = (
            ox.DefaultGraph()
            if name is None or name == rdflib.graph.DATASET_DEFAULT_GRAPH_ID
            else to_ox(name)
        )
        yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph)  # type: ignore[arg-type]


def count_of(result: object) -> int:
    """The number in the one-row, one-column answer of a COUNT query."""
    assert isinstance(result, ox.QuerySolutions)
    return int(next(iter(result))[0].value)


def json_budget(max_rows: int | None) -> int:
    """The most bytes of SPARQL JSON pyoxigraph may write for one answer: a kilobyte a row
    of the cap (at least a megabyte)."""
    return max(1 << 20, 1024 * (max_rows or 0)) if max_rows is not None else 1 << 62


class _Budget(io.BytesIO):
    """A buffer that refuses to grow past `limit` bytes (the writer's call then fails)."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.over = False

    def write(self, data) -> int:
        if self.tell() + len(data) > self.limit:
            self.over = True
            raise OverflowError(f"over {self.limit} bytes")
        return super().write(data)


class OxigraphEngine(Engine):
    """pyoxigraph's Rust engine; the default for serving."""

    name = "oxigraph"

    def __init__(self, store: ox.Store):
        self.store = store

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> OxigraphEngine:
        store = ox.Store()
        store.bulk_extend(quads_to_ox(dataset))
        return cls(store)

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def __len__(self) -> int:
        return len(self.store)

    def statistics(self) -> dict:
        """The dataset's VoID-style counts, made by the store with SPARQL aggregates: it
        scans its indexes in Rust instead of handing every quad to Python."""
        # Without the union flag, the default graph is the graph of unnamed triples.
        unnamed = self.store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return sparql_statistics(self, self.graph_names(), unnamed_triples=count_of(unnamed))

    def _query(self, text, dataset, bindings, base_iri, read: Callable):
        """`read(result, form)` for the result of the query, with pyoxigraph's errors (raised
        by the query or, lazily, while reading it) as ours. The guard decides first; a text
        only pyoxigraph's parse decides is parsed by the run itself (`guard.screen`), and the
        guard asked what it is only if the run fails."""
        held = None if dataset.given else self.held_graphs
        checked = screen(text, held, base_iri)
        options: dict = {}
        if base_iri:
            options["base_iri"] = base_iri
        if dataset.given:
            options["default_graph"] = [graph_node(g) for g in dataset.default_graphs]
            options["named_graphs"] = [graph_node(g) for g in dataset.named_graphs]
        elif checked is None or not checked.has_dataset_clause:
            # Otherwise the union flag would override the query's own FROM clauses.
            options["use_default_graph_as_union"] = True
        if bindings:
            options["substitutions"] = {
                ox.Variable(str(k)): bound_term(str(k), v) for k, v in bindings.items()
            }
        try:
            try:
                result = self.store.query(text, **options)
            except Exception:
                if checked is None:
                    check_query(text, held, base_iri)  # raises the guard's verdict, if any
                raise
            return read(result, (checked or verdict_of_result(result, text)).form)
        except SyntaxError as exc:
            raise syntax_error(text, exc) from None
        except (QueryRefused, QuerySyntaxError):
            raise
        except Exception as exc:
            raise QueryFailed(first_line(exc)) from exc

    def execute(
        self, text, dataset=NO_DATASET, bindings=None, max_rows=None, base_iri=None
    ) -> Answer:
        return self._query(
            text,
            dataset,
            bindings,
            base_iri,
            lambda result, form: self._answer(form, result, max_rows),
        )

    def results_json(
        self,
        text,
        dataset=NO_DATASET,
        bindings=None,
        max_rows=None,
        base_iri=None,
        link: str | None = None,
    ) -> tuple[Answer, bytes] | None:
        """A SELECT or ASK answer written as SPARQL JSON by pyoxigraph itself, several times
        faster than term by term in Python: (the answer without its rows, the body). Rows
        beyond `max_rows` are cut as `execute` cuts them, with `link` in the head. None for
        a graph result, and for a body past `json_budget(max_rows)`: pyoxigraph writes every
        row, so a huge result is left to `execute`, which stops reading at the cap."""
        budget = json_budget(max_rows)

        def read(result, _form: str):
            if not isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)):
                return None
            out = _Budget(budget)
            try:
                result.serialize(out, format=ox.QueryResultsFormat.JSON)
            except Exception:
                if out.over:
                    return None
                raise
            body = out.getvalue()
            if isinstance(result, ox.QueryBoolean):
                return Answer("ASK", boolean=bool(result)), body
            answer = Answer("SELECT", [v.value for v in result.variables], [])
            # Every row is at least `{}` and a comma: a body this short cannot hold more
            # rows than the cap, and nothing needs counting.
            if max_rows is None or (len(body) + 1) // 3 <= max_rows:
                return answer, body
            doc = json.loads(body)
            bindings = doc["results"]["bindings"]
            if len(bindings) <= max_rows:
                return answer, body
            del bindings[max_rows:]
            answer.truncated = True
            if link:
                doc["head"]["link"] = [link]
            return answer, json.dumps(doc, ensure_ascii=False, separators=COMPACT).encode()

        return self._query(text, dataset, bindings, base_iri, read)

    @staticmethod
    def _answer(form: str, result, max_rows) -> Answer:
        if isinstance(result, ox.QueryBoolean):
            return Answer("ASK", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows, truncated = cap(
                (tuple(from_ox(sol[i]) for i in range(len(variables))) for sol in result),
                max_rows,
            )
            return Answer("SELECT", variables, rows, truncated=truncated)
        triples, truncated = cap(
            ((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)) for t in result),
            max_rows,
        )
        return Answer(form, triples=triples, truncated=truncated)


def load_build(directory: Path) -> OxigraphEngine:
    """A build's named graphs (`GRAPH_FILES`, N-Triples in `directory`), loaded into memory.
    Leniently: the build wrote these files from data it validated, so the parser need not
    check every IRI again (46 ms instead of 64 at the curated size, measured; each query
    worker of a small build does this at start-up)."""
    store = ox.Store()
    for name, graph in GRAPH_FILES.items():
        store.load(
            path=str(graph_file(directory, name)),
            format=ox.RdfFormat.N_TRIPLES,
            to_graph=ox.NamedNode(str(graph)),
            lenient=True,
        )
    return OxigraphEngine(store)
