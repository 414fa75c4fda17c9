"""The remote-store client: an external SPARQL 1.1 store (Oxigraph server, Virtuoso, Fuseki,
GraphDB...) answering over the SPARQL 1.1 Protocol, behind the same checks as the local
engines."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import Identifier

from .engine import (
    NO_DATASET,
    Answer,
    DatasetSpec,
    Engine,
    first_line,
)
from .errors import ConfigurationError, QueryFailed, QuerySyntaxError, QueryTimeout
from .guard import check_query
from .oxigraph_engine import OxigraphEngine
from .query_text import bind_values, with_base
from .statistics import sparql_statistics

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


FORM = "application/x-www-form-urlencoded"


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
        # Deferred: only a process that talks to an external store needs httpx, and its
        # import is a noticeable share of a query worker's start otherwise.
        import httpx  # noqa: PLC0415 - a worker's start-up (above)

        from .credentials import account  # noqa: PLC0415 - imports httpx

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

    # ------------------------------------------------------------------ checks

    @property
    def held_graphs(self) -> frozenset[str]:
        """The graphs served from the store: the only ones FROM / FROM NAMED may name."""
        return frozenset(self.graphs)

    def prepare(
        self,
        text: str,
        dataset: DatasetSpec = NO_DATASET,
        bindings: Mapping[str, Identifier] | None = None,
        base_iri: str | None = None,
    ) -> tuple[str, str, list[tuple[str, str]]]:
        """(form, the text to send, the protocol parameters), after every check."""
        held = None if dataset.given else self.held_graphs
        checked = check_query(text, held, base_iri)
        sent = bind_values(text, bindings) if bindings else text
        if base_iri:
            sent = with_base(sent, base_iri)  # the protocol has no base parameter
        if sent is not text:
            # What is sent is checked as what was received.
            check_query(sent, held)
        params: list[tuple[str, str]] = [("query", sent)]
        if dataset.given:
            params += [("default-graph-uri", g) for g in dataset.default_graphs]
            params += [("named-graph-uri", g) for g in dataset.named_graphs]
        elif self.graphs and not checked.has_dataset_clause:
            params += [("default-graph-uri", g) for g in self.graphs]
            params += [("named-graph-uri", g) for g in self.graphs]
        return checked.form, sent, params

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
                    parsed: object
                    if form in ("CONSTRUCT", "DESCRIBE"):
                        rdf = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.N_TRIPLES
                        parsed = ox.parse(body, format=rdf)
                    else:
                        results = (
                            ox.QueryResultsFormat.from_media_type(media)
                            or ox.QueryResultsFormat.JSON
                        )
                        parsed = ox.parse_query_results(body, format=results)
                    answer = OxigraphEngine._answer(text, parsed, max_rows)
                except (SyntaxError, ValueError) as exc:
                    raise QueryFailed(
                        f"the store sent a result that does not parse: {first_line(exc)}"
                    ) from None
        except httpx.TimeoutException:
            raise QueryTimeout(f"the store did not answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise QueryFailed(
                f"cannot reach the store at {redacted(self.url)}: "
                f"{first_line(exc) if str(exc) else type(exc).__name__}"
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
        return [dict(zip(answer.variables, row, strict=True)) for row in answer.rows]

    def graph_counts(self) -> dict[str, int]:
        """Triples per named graph of `graphs`, as the store holds them."""
        rows = self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        found = {str(r["g"]): int(str(r["n"])) for r in rows if r["g"] is not None}
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
