"""The read-only query engines behind one interface.

`OxigraphEngine` (pyoxigraph) is the fast engine, `RdflibEngine` the reference; both answer the
same `execute()` with the same `Answer`, in rdflib terms, and both refuse what could write or
reach the network before the engine sees the text (see `lexer.py`). Named queries pass their
parameters as RDF terms (rdflib's initBindings, pyoxigraph's substitutions), never as text.

`OxigraphEngine` also serves the on-disk store of a build (`ensure_disk_store`: written once
per build, then opened read-only by every query worker of every server process), and
`RemoteEngine` answers from an external SPARQL 1.1 store over HTTP, behind the same checks.
"""

from __future__ import annotations

import copy
import functools
import gc
import io
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import pyoxigraph as ox
import rdflib.graph
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.term import Identifier

from .atomic import staged_directory
from .errors import ConfigurationError, QueryFailed, QueryRefused, QuerySyntaxError, QueryTimeout
from .lexer import FORMS, decode_codepoints, scan, tokens


@functools.cache
def _rdflib_sparql():
    """rdflib's SPARQL machinery, imported when first needed (by the rdflib engine, or to
    tell an update from a syntax error): a server process that only passes queries to its
    workers does not pay for pyparsing's grammar. Whoever imports it through here gets it
    with SPARQL_LOAD_GRAPHS off: rdflib would otherwise fetch the IRI of any FROM graph it
    does not hold."""
    import rdflib.plugins.sparql
    from rdflib.plugins.sparql import algebra, evaluate, parser, parserutils

    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    return parser, parserutils, algebra, evaluate


def parseQuery(text: str):  # noqa: N802 - rdflib's name
    return _rdflib_sparql()[0].parseQuery(text)


def parseUpdate(text: str):  # noqa: N802 - rdflib's name
    return _rdflib_sparql()[0].parseUpdate(text)


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
        _rdflib_sparql()  # before any query: SPARQL_LOAD_GRAPHS off
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
                query = _rdflib_sparql()[2].translateQuery(parseQuery(text), base=base_iri)
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

    def execute(
        self, text, dataset=NO_DATASET, bindings=None, max_rows=None, base_iri=None
    ) -> Answer:
        check_text(text)
        query = self.prepare(text, base_iri)
        _, parserutils, _, evaluate = _rdflib_sparql()
        CompValue = parserutils.CompValue  # noqa: N806 - rdflib's name
        if dataset.given:
            query = copy.copy(query)
            algebra = CompValue(query.algebra.name, **query.algebra)
            algebra["datasetClause"] = [
                CompValue("DatasetClause", default=URIRef(g)) for g in dataset.default_graphs
            ] + [CompValue("DatasetClause", named=URIRef(g)) for g in dataset.named_graphs]
            query.algebra = algebra
        try:
            result = evaluate.evalQuery(self.dataset, query, initBindings=dict(bindings or {}))
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
            rows, truncated = _cap((tuple(b.get(k) for k in keys) for b in rows_iter), max_rows)
            return Answer("SELECT", variables, rows, truncated=truncated)
        if name == "AskQuery":
            return Answer("ASK", boolean=bool(result["askAnswer"]))
        form = "CONSTRUCT" if name == "ConstructQuery" else "DESCRIBE"
        triples, truncated = _cap(result["graph"], max_rows)
        return Answer(form, triples=triples, truncated=truncated)


def _has_service(node) -> bool:
    CompValue = _rdflib_sparql()[1].CompValue  # noqa: N806 - rdflib's name
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


def _syntax_error(text: str, exc: SyntaxError) -> Exception:
    """What a text pyoxigraph could not parse as a query is: an update (refused) or a syntax
    error (with pyoxigraph's message)."""
    try:
        parseUpdate(text)
    except Exception:
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
        yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph)


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
        return sparql_statistics(
            self, self.graph_names(), unnamed_triples=int(next(iter(unnamed))[0].value)
        )

    def _query(self, text, dataset, bindings, base_iri, read: Callable):
        """`read(result)` for the result of the query, with pyoxigraph's errors (raised by
        the query or, lazily, while reading it) as ours."""
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
            options["substitutions"] = {ox.Variable(str(k)): to_ox(v) for k, v in bindings.items()}
        try:
            return read(self.store.query(text, **options))
        except SyntaxError as exc:
            raise _syntax_error(text, exc) from None
        except (QueryRefused, QuerySyntaxError):
            raise
        except Exception as exc:
            raise QueryFailed(_first_line(exc)) from exc

    def execute(
        self, text, dataset=NO_DATASET, bindings=None, max_rows=None, base_iri=None
    ) -> Answer:
        return self._query(
            text, dataset, bindings, base_iri, lambda result: self._answer(text, result, max_rows)
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

        def read(result):
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
            from .formats import COMPACT  # formats imports this module

            return answer, json.dumps(doc, ensure_ascii=False, separators=COMPACT).encode()

        return self._query(text, dataset, bindings, base_iri, read)

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


# --------------------------------------------------------------------------- on-disk store

DISK_STORE_DIR = "oxigraph"
DISK_STORE_MARKER = "smpkg-store.json"


def disk_store_info(directory: Path | str) -> dict | None:
    """The marker of the on-disk store in a build directory, or None when there is no usable
    store there (absent, or written by another pyoxigraph version)."""
    marker = Path(directory) / DISK_STORE_DIR / DISK_STORE_MARKER
    try:
        meta = json.loads(marker.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("pyoxigraph") != ox.__version__:
        return None
    return meta


def ensure_disk_store(
    directory: Path | str,
    graphs: Mapping[str, str],
    statistics: Callable[[Engine], dict] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Path, dict]:
    """The on-disk pyoxigraph store of a build, `<directory>/oxigraph`, written the first time
    from the build's N-Triples files (`graphs`: file stem -> graph IRI, each file into its
    named graph) and reused afterwards: (its path, its marker).

    The store is bulk-loaded into a temporary directory, closed, and renamed into place, so it
    is whole or absent; processes that start together wait on a lock file and the later ones
    find it built. `statistics`, if given, is computed once from the new store and kept in the
    marker, so that servers starting from the store do not count the dataset again."""
    import fcntl

    directory = Path(directory)
    target = directory / DISK_STORE_DIR
    meta = disk_store_info(directory)
    if meta is not None:
        return target, meta
    with open(directory / ".oxigraph.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        meta = disk_store_info(directory)
        if meta is not None:
            return target, meta
        if progress:
            progress(f"writing the on-disk store {target}")
        started = time.perf_counter()
        with staged_directory(target, ".oxigraph-") as tmp:
            store = ox.Store(str(tmp))
            triples: dict[str, int] = {}
            for name, iri in graphs.items():
                graph = ox.NamedNode(str(iri))
                # The build wrote these files from terms a parser has checked already.
                store.bulk_load(
                    path=str(directory / f"{name}.nt"),
                    format=ox.RdfFormat.N_TRIPLES,
                    to_graph=graph,
                    lenient=True,
                )
                counted = store.query(
                    f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"
                )
                triples[str(iri)] = int(next(iter(counted))[0].value)
            store.optimize()
            stats = statistics(OxigraphEngine(store)) if statistics else None
            del store
            gc.collect()  # closes the store (pyoxigraph has no close())
            meta = {
                "pyoxigraph": ox.__version__,
                "graphs": triples,
                "statistics": stats,
                "seconds": round(time.perf_counter() - started, 3),
                "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            (tmp / DISK_STORE_MARKER).write_text(json.dumps(meta, indent=1))
    return target, meta


def open_disk_store(path: Path | str) -> OxigraphEngine:
    """The engine over an on-disk store, opened read-only: any number of processes may open
    the same store at once (nothing writes to it once it is renamed into place)."""
    try:
        return OxigraphEngine(ox.Store.read_only(str(path)))
    except OSError as exc:
        raise ConfigurationError(f"cannot open the store {path}: {_first_line(exc)}") from None


# --------------------------------------------------------------------------- external store

# The Graph Store Protocol URL of the stores the README documents -> their query endpoint.
_GSP_TO_QUERY = [
    (re.compile(r"(.*)/store/?"), r"\1/query"),  # Oxigraph
    (re.compile(r"(.*)/sparql-graph-crud(?:-auth)?/?"), r"\1/sparql"),  # Virtuoso
    (re.compile(r"(.*/repositories/[^/]+)/rdf-graphs/service/?"), r"\1"),  # GraphDB, RDF4J
    (re.compile(r"(.*)/data/?"), r"\1/query"),  # Fuseki
]


def query_endpoint(url: str) -> str:
    """The SPARQL query endpoint of a store given by its Graph Store Protocol URL, for the
    stores the README documents (Oxigraph `/store` -> `/query`, Fuseki `/<dataset>/data` ->
    `/<dataset>/query`, Virtuoso `/sparql-graph-crud` -> `/sparql`, GraphDB
    `/repositories/<id>/rdf-graphs/service` -> `/repositories/<id>`); any other URL is taken
    to be the query endpoint itself."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"not an http(s) URL: {url!r}")
    for pattern, replacement in _GSP_TO_QUERY:
        match = pattern.fullmatch(parts.path)
        if match:
            return urlunsplit(parts._replace(path=match.expand(replacement), query="", fragment=""))
    return url


def redacted(url: str) -> str:
    """A URL fit to print: without the password of its user part."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def sparql_term(term: Identifier) -> str:
    """An RDF term in SPARQL syntax, for a VALUES block."""
    if isinstance(term, URIRef):
        iri = str(term)
        if re.search(r'[\x00-\x20<>"{}|^`\\]', iri):
            raise QueryFailed(f"cannot send the IRI {iri!r} to the store")
        return f"<{iri}>"
    if isinstance(term, Literal):
        text = str(term)
        for char, escaped in (
            ("\\", "\\\\"),
            ('"', '\\"'),
            ("\n", "\\n"),
            ("\r", "\\r"),
            ("\t", "\\t"),
        ):
            text = text.replace(char, escaped)
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype and str(term.datatype) != _XSD_STRING:
            return f'"{text}"^^{sparql_term(URIRef(term.datatype))}'
        return f'"{text}"'
    raise QueryFailed(f"cannot send {term!r} to the store as a parameter")


def _where_group(text: str) -> tuple[int, int, bool]:
    """(index of the `{` that opens the query's WHERE group, index of its `}`, whether the
    group holds a sub-SELECT first), found on the tokens `lexer.scan` reads."""
    braces = parens = 0
    form = None
    saw_where = template_seen = False
    start = -1
    first_word_inside: str | None = None
    for kind, token, at in tokens(text):
        if kind == "word":
            if start >= 0 and braces == 1 and first_word_inside is None:
                first_word_inside = token
            if braces == 0 and parens == 0:
                if form is None and token in FORMS:
                    form = token
                elif token == "WHERE" and form:
                    saw_where = True
        elif token == "(":
            parens += 1
        elif token == ")":
            parens -= 1
        elif token == "{":
            if braces == 0 and parens == 0 and form and start < 0:
                if form != "CONSTRUCT" or template_seen:
                    start = at
                elif saw_where:
                    raise QueryFailed(
                        "parameters cannot be bound in a CONSTRUCT WHERE { } short form "
                        "on an external store: write CONSTRUCT { ... } WHERE { ... }"
                    )
                else:
                    template_seen = True
            braces += 1
        else:
            braces -= 1
            if braces == 0 and start >= 0:
                return start, at, first_word_inside == "SELECT"
    raise QueryFailed("this query has no WHERE group to bind parameters in")


def bind_values(text: str, bindings: Mapping[str, Identifier]) -> str:
    """The query with its parameters bound by a VALUES block at the top of its WHERE group,
    the standard SPARQL 1.1 way every store understands: `{ VALUES (?a) { (<x>) } ... }`. The
    query's FILTERs see the values as pyoxigraph's substitutions would. (When the group is a
    sub-SELECT alone, it is wrapped: `{ VALUES ... { SELECT ... } }`.)"""
    if not bindings:
        return text
    text = decode_codepoints(text)
    names = sorted(str(k) for k in bindings)
    terms = {str(k): v for k, v in bindings.items()}
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise QueryFailed(f"not a variable name: {name!r}")
    block = (
        " VALUES ("
        + " ".join(f"?{n}" for n in names)
        + ") { ("
        + " ".join(sparql_term(terms[n]) for n in names)
        + ") } "
    )
    start, end, subselect = _where_group(text)
    if subselect:
        return text[: start + 1] + block + "{ " + text[start + 1 : end] + " } " + text[end:]
    return text[: start + 1] + block + text[start + 1 :]


_BASE_IRI = re.compile(r"\s*<([^<>\"{}|^`\\\x00-\x20]*)>")


def with_base(text: str, base_iri: str) -> str:
    """The query with its relative IRIs resolved against `base_iri`: its own BASE
    declarations made absolute (each resolved against the one before, as a parser does),
    and a BASE before its prologue unless the prologue starts with one of its own. So a
    query that declares its base is sent with one BASE, not two, which SPARQL allows but not
    every store takes (Virtuoso refuses the second)."""
    parts: list[str] = []
    last, base, first = 0, base_iri, None
    for kind, token, at in tokens(text):
        if kind != "word" or token not in ("BASE", "PREFIX"):
            break  # the prologue ends
        first = first or token
        iri = _BASE_IRI.match(text, at + len(token)) if token == "BASE" else None
        if iri is not None:
            base = urljoin(base, iri.group(1))
            parts += [text[last : iri.start(1)], base]
            last = iri.end(1)
    resolved = "".join(parts) + text[last:]
    return resolved if first == "BASE" and parts else f"BASE <{base_iri}>\n{resolved}"


# A blank node in SPARQL JSON and XML results, to give it a label every parser takes.
_STRING = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
_BNODE_RESULT = {
    "application/sparql-results+json": (
        re.compile(
            rf'\{{\s*"type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*{_STRING}\s*\}}'
            rf'|\{{\s*"value"\s*:\s*{_STRING}\s*,\s*"type"\s*:\s*"bnode"\s*\}}'.encode()
        ),
        b"{",
        b'{"type":"bnode","value":"%s"}',
    ),
    "application/sparql-results+xml": (
        re.compile(rb"<bnode>([^<]*)</bnode>"),
        b"<bnode",
        b"<bnode>%s</bnode>",
    ),
}


def relabelled(chunks: Iterable[bytes], media: str) -> Iterator[bytes]:
    """SPARQL JSON or XML results with every blank node label replaced by `b` and the hex of
    its bytes. A label is opaque and scoped to the results (SPARQL 1.1 Query Results JSON,
    3.2.2), so a store may write any string (Virtuoso: `nodeID://b10000`), while a parser
    may take only Turtle's labels (pyoxigraph does); the same label stays the same node."""
    if media not in _BNODE_RESULT:
        yield from chunks
        return
    pattern, opening, template = _BNODE_RESULT[media]

    def label(match: re.Match) -> bytes:
        found = next(g for g in match.groups() if g is not None)
        return template % (b"b" + found.hex().encode())

    pending = b""
    for chunk in chunks:
        pending += chunk
        # A match starts at an opening: keep the last one (or what may be its start) back.
        cut = pending.rfind(opening)
        if cut < 0:
            cut = max(0, len(pending) - len(opening) + 1)
        yield pattern.sub(label, pending[:cut])
        pending = pending[cut:]
    yield pattern.sub(label, pending)


class _Chunks(io.RawIOBase):
    """A readable stream over an iterator of byte chunks (an HTTP response body), so that
    pyoxigraph parses results as they arrive and the rest is never read past the row cap."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
FORM = "application/x-www-form-urlencoded"


def sparql_statistics(engine: Engine, graphs: Iterable[str], unnamed_triples: int) -> dict:
    """VoID-style counts for the default graph (the union) and each named graph, as
    `executor.dataset_statistics` counts them over rdflib's quads, but by the engine with
    SPARQL aggregates (one query per graph and one for the union)."""

    def counts(pattern: str) -> dict[str, int]:
        answer = engine.execute(f"""SELECT * WHERE {{
  {{ SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?distinct_subjects)
            (COUNT(DISTINCT ?p) AS ?properties) (COUNT(DISTINCT ?o) AS ?distinct_objects)
     WHERE {{ {pattern} }} }}
  {{ SELECT (COUNT(DISTINCT ?s) AS ?entities) WHERE {{ {pattern} FILTER (isIRI(?s)) }} }}
  {{ SELECT (COUNT(DISTINCT ?o) AS ?classes)
     WHERE {{ {pattern} FILTER (?p = <{_RDF_TYPE}>) }} }}
}}""")
        row = dict(zip(answer.variables, answer.rows[0]))
        keys = (
            "triples",
            "entities",
            "classes",
            "properties",
            "distinct_subjects",
            "distinct_objects",
        )
        return {k: int(row[k]) for k in keys}

    named = {}
    for graph in graphs:
        found = counts(f"GRAPH <{graph}> {{ ?s ?p ?o }}")
        if found["triples"]:
            named[graph] = found
    return {
        "default": counts("{ SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"),
        "graphs": dict(sorted(named.items())),
        "unnamed_triples": unnamed_triples,
        "engine": engine.name,
    }


class RemoteEngine(Engine):
    """An external SPARQL 1.1 store, over the SPARQL 1.1 Protocol (POST to its query endpoint).

    The same checks as the local engines come first, before anything is sent: the lexer's
    refusal of updates and SERVICE, then pyoxigraph's parser, so that the store only ever
    receives a text that parses as a SPARQL 1.1 query (its syntax errors are reported as the
    local engine reports them). The default graph is the union of `graphs`: unless the
    request names its own dataset (protocol parameters, or FROM / FROM NAMED in the text),
    every query is sent with default-graph-uri and named-graph-uri set to those graphs, so a
    store that does not union its graphs by default answers as the local engine does and
    other graphs of the store stay out of sight. Parameters travel in a VALUES block
    (`bind_values`). The deadline is the HTTP timeout."""

    name = "remote"

    def __init__(self, url: str, graphs: Iterable[str] = (), timeout: float = 10.0, client=None):
        # httpx (50-200 ms to import) only where a store is used: not in every query worker.
        import httpx

        from .credentials import account

        # The account of the URL's user part, answered as the store's challenge asks.
        self.url, auth = account(query_endpoint(url))
        self.graphs = tuple(str(g) for g in graphs)
        self.timeout = timeout
        self._httpx = httpx
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            headers={"User-Agent": "smpkg"},
            auth=auth,
        )
        self._parser = ox.Store()  # empty: parses queries, never holds data

    # ------------------------------------------------------------------ checks

    def _parse(self, text: str, base_iri: str | None) -> str:
        """The form of a query that parses (SyntaxError / QueryRefused otherwise)."""
        options = {"base_iri": base_iri} if base_iri else {}
        try:
            # Evaluation is lazy (SELECT, CONSTRUCT) or on an empty store (ASK): a parse.
            parsed = self._parser.query(text, **options)
        except SyntaxError as exc:
            raise _syntax_error(text, exc) from None
        except Exception as exc:
            raise QueryFailed(_first_line(exc)) from exc
        if isinstance(parsed, ox.QueryBoolean):
            return "ASK"
        if isinstance(parsed, ox.QuerySolutions):
            return "SELECT"
        return "DESCRIBE" if "DESCRIBE" in scan(text).keywords else "CONSTRUCT"

    def prepare(
        self,
        text: str,
        dataset: DatasetSpec = NO_DATASET,
        bindings: Mapping[str, Identifier] | None = None,
        base_iri: str | None = None,
    ) -> tuple[str, str, list[tuple[str, str]]]:
        """(form, the text to send, the protocol parameters), after every check."""
        check_text(text)
        form = self._parse(text, base_iri)
        sent = bind_values(text, bindings) if bindings else text
        if base_iri:
            sent = with_base(sent, base_iri)  # the protocol has no base parameter
        if sent is not text:
            # What is sent is checked as what was received.
            check_text(sent)
            self._parse(sent, None)
        params: list[tuple[str, str]] = [("query", sent)]
        if dataset.given:
            params += [("default-graph-uri", g) for g in dataset.default_graphs]
            params += [("named-graph-uri", g) for g in dataset.named_graphs]
        elif self.graphs and not scan(text).has_dataset_clause:
            params += [("default-graph-uri", g) for g in self.graphs]
            params += [("named-graph-uri", g) for g in self.graphs]
        return form, sent, params

    # ------------------------------------------------------------------ queries

    def execute(
        self, text, dataset=NO_DATASET, bindings=None, max_rows=None, base_iri=None
    ) -> Answer:
        form, _, params = self.prepare(text, dataset, bindings, base_iri)
        accept = (
            "application/n-triples, text/turtle;q=0.5"
            if form in ("CONSTRUCT", "DESCRIBE")
            else "application/sparql-results+json, application/sparql-results+xml;q=0.5"
        )
        httpx = self._httpx
        try:
            with self._client.stream(
                "POST",
                self.url,
                content=urlencode(params).encode(),
                headers={"Accept": accept, "Content-Type": FORM},
            ) as response:
                if response.status_code != 200:
                    raise self._refusal(response)
                media = response.headers.get("content-type", "").split(";")[0].strip()
                chunks = relabelled(response.iter_bytes(), media.lower())
                body = io.BufferedReader(_Chunks(chunks))
                try:
                    if form in ("CONSTRUCT", "DESCRIBE"):
                        fmt = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.N_TRIPLES
                        parsed = ox.parse(body, format=fmt)
                    else:
                        fmt = (
                            ox.QueryResultsFormat.from_media_type(media)
                            or ox.QueryResultsFormat.JSON
                        )
                        parsed = ox.parse_query_results(body, format=fmt)
                    answer = OxigraphEngine._answer(text, parsed, max_rows)
                except (SyntaxError, ValueError) as exc:
                    raise QueryFailed(
                        f"the store sent a result that does not parse: {_first_line(exc)}"
                    ) from None
        except httpx.TimeoutException:
            raise QueryTimeout(f"the store did not answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise QueryFailed(
                f"cannot reach the store at {redacted(self.url)}: "
                f"{_first_line(exc) if str(exc) else type(exc).__name__}"
            ) from None
        answer.form = form
        return answer

    def _refusal(self, response) -> Exception:
        response.read()
        detail = " ".join(response.text.split())[:300] or response.reason_phrase
        status = response.status_code
        if status == 400:
            return QuerySyntaxError(f"the store refused the query: {detail}")
        if status in (408, 504):
            return QueryTimeout(f"the store stopped the query ({status}): {detail}")
        return QueryFailed(f"the store answered {status}: {detail}")

    def select(self, text: str) -> list[dict[str, Identifier | None]]:
        answer = self.execute(text)
        return [dict(zip(answer.variables, row)) for row in answer.rows]

    def graph_counts(self) -> dict[str, int]:
        """Triples per named graph of `graphs`, as the store holds them."""
        rows = self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        found = {str(r["g"]): int(r["n"]) for r in rows if r["g"] is not None}
        return {g: found.get(g, 0) for g in self.graphs} if self.graphs else found

    def statistics(self) -> dict:
        """The counts `executor.dataset_statistics` makes, made by the store."""
        return sparql_statistics(self, self.graphs or self.graph_names(), unnamed_triples=0)

    def graph_names(self) -> list[str]:
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(str(r["g"]) for r in rows if isinstance(r["g"], URIRef))

    def __len__(self) -> int:
        return self.statistics()["default"]["triples"]

    def close(self) -> None:
        self._client.close()
