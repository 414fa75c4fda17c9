"""`smpkg publish --to URL`: the built dataset into an external SPARQL 1.1 store.

Each named graph of the build (ontology, asserted, inferred) is uploaded with the SPARQL 1.1
Graph Store HTTP Protocol: `PUT <URL>?graph=<graph IRI>` with the graph's N-Triples file as
the body, which replaces whatever the store held in that graph (graphs of the store other
than these three are left alone). Then, when the store's query endpoint is known (given with
`query_url`, or derived from the URL for the stores the README documents, see
`remote_store.query_endpoint`), each graph's triple count in the store is checked against the
build's.

The documented stores (README, "Scaling out"), Graph Store Protocol URL -> query endpoint:

- Oxigraph: `http://host:7878/store` -> `http://host:7878/query`
- Fuseki: `http://host:3030/<dataset>/data` -> `http://host:3030/<dataset>/query`
- Virtuoso: `http://host:8890/sparql-graph-crud-auth` -> `http://host:8890/sparql`
- GraphDB: `http://host:7200/repositories/<id>/rdf-graphs/service` ->
  `http://host:7200/repositories/<id>`

An account on the store comes from the URL's user part (`http://user:password@host/...`) or
`user`, with the password from the URL, `password` or SMPKG_STORE_PASSWORD; it is answered
with whichever scheme the store's challenge names, Basic or Digest (`credentials`), and the
URL is printed and used without it.

Blank nodes are scoped to one upload, so a blank node shared by two graphs would become two;
the build's graphs share none, and `publish` refuses to upload graphs that do.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .credentials import account
from .credentials import password_from_env as password_from_env
from .errors import ConfigurationError, SmpkgError
from .namespaces import GRAPH_FILES
from .remote_store import RemoteEngine, query_endpoint, redacted

Progress = Callable[[str], None]

# The media types a Graph Store Protocol endpoint is sent: N-Triples, or the same bytes as
# Turtle (N-Triples is a subset of Turtle) for stores that do not take N-Triples.
MEDIA_TYPES = {"ntriples": "application/n-triples", "turtle": "text/turtle"}
_BNODE = re.compile(rb"(?:^|\s)(_:[A-Za-z0-9_\-.]+)")


class PublishError(SmpkgError):
    """The store refused an upload, or does not hold what was uploaded."""


@dataclass
class Published:
    gsp_url: str
    query_url: str | None
    graphs: dict[str, int] = field(default_factory=dict)  # graph IRI -> local triples
    remote: dict[str, int] | None = None  # graph IRI -> triples in the store (when checked)
    seconds: float = 0.0

    @property
    def verified(self) -> bool:
        return self.remote is not None and self.remote == self.graphs


def graph_url(gsp_url: str, graph: str) -> tuple[str, dict[str, str]]:
    """The URL and query parameters that address one graph of a Graph Store Protocol
    endpoint (indirect identification: `?graph=<IRI>`)."""
    return gsp_url, {"graph": graph}


def _count_and_labels(path: Path) -> tuple[int, set[bytes]]:
    triples, labels = 0, set[bytes]()
    with open(path, "rb") as f:
        for line in f:
            stripped = line.strip()
            if not stripped or stripped.startswith(b"#"):
                continue
            triples += 1
            if b"_:" in line:
                labels.update(m.group(1) for m in _BNODE.finditer(line))
    return triples, labels


def _count_graphs(kg, result: Published) -> None:
    """The triples of each graph file; refuses graphs that share a blank node."""
    seen: dict[bytes, str] = {}
    for name, iri in GRAPH_FILES.items():
        count, labels = _count_and_labels(kg.path(name))
        result.graphs[str(iri)] = count
        shared = next((label for label in labels if label in seen), None)
        if shared is not None:
            raise PublishError(
                f"the {seen[shared]} and {name} graphs share the blank node {shared.decode()}, "
                "which separate uploads would split in two"
            )
        seen.update((label, name) for label in labels)


def _upload(kg, result: Published, auth, media: str, timeout: float, transport, say) -> None:
    """PUT each graph file to the store's Graph Store Protocol endpoint."""
    gsp_url = result.gsp_url
    with httpx.Client(
        timeout=httpx.Timeout(timeout, connect=10.0),
        auth=auth,
        follow_redirects=False,
        transport=transport,
        headers={"User-Agent": "smpkg"},
    ) as client:
        for name, iri in GRAPH_FILES.items():
            path = kg.path(name)
            say(f"PUT {result.graphs[str(iri)]} triples into <{iri}>")
            url, params = graph_url(gsp_url, str(iri))
            try:
                with open(path, "rb") as body:
                    # Streamed; read whole first only with an account (StoreAuth), whose
                    # challenge may ask for the upload again.
                    response = client.put(
                        url,
                        params=params,
                        content=body,
                        headers={"Content-Type": f"{MEDIA_TYPES[media]}; charset=utf-8"},
                    )
            except httpx.HTTPError as exc:
                raise PublishError(
                    f"cannot reach the store at {redacted(gsp_url)}: {exc}"
                ) from None
            if response.status_code not in (200, 201, 204):
                detail = " ".join(response.text.split())[:300]
                raise PublishError(
                    f"the store refused the {name} graph: {response.status_code} {detail}".rstrip()
                )


def _verify(result: Published, auth, timeout: float) -> None:
    """Ask the store's query endpoint how many triples each graph holds now."""
    assert result.query_url is not None
    engine = RemoteEngine(result.query_url, list(result.graphs), timeout=min(timeout, 120.0))
    try:
        engine._client.auth = auth  # the same account reads back what it wrote
        result.remote = engine.graph_counts()
    finally:
        engine.close()
    if not result.verified:
        differ = ", ".join(
            f"<{g}>: {result.remote.get(g, 0)} in the store, {n} here"
            for g, n in result.graphs.items()
            if result.remote.get(g) != n
        )
        raise PublishError(f"the store does not hold what was uploaded: {differ}")


def publish(
    kg,
    gsp_url: str,
    *,
    query_url: str | None = None,
    media: str = "ntriples",
    user: str | None = None,
    password: str | None = None,
    auth_scheme: str = "basic",
    timeout: float = 600.0,
    verify: bool = True,
    progress: Progress | None = None,
    transport=None,
) -> Published:
    """Upload the three named graphs of a build (`build.KnowledgeGraph`) to the store's Graph
    Store Protocol endpoint `gsp_url`, then check the store's counts when its query endpoint
    is known. Raises PublishError naming the graph and the store's answer."""
    say = progress or (lambda _: None)
    if media not in MEDIA_TYPES:
        raise ConfigurationError(f"--format must be one of {', '.join(MEDIA_TYPES)}")
    if auth_scheme not in ("basic", "digest"):
        raise ConfigurationError("--auth must be basic or digest")
    gsp_url, auth = account(gsp_url, user, password, basic_first=auth_scheme == "basic")
    try:
        derived = query_endpoint(gsp_url)
    except ConfigurationError:
        raise ConfigurationError(f"--to must be an http(s) URL, not {gsp_url!r}") from None
    if query_url is None and derived != gsp_url:
        query_url = derived
    started = time.perf_counter()
    result = Published(gsp_url, query_url)

    _count_graphs(kg, result)
    _upload(kg, result, auth, media, timeout, transport, say)
    if verify and query_url:
        _verify(result, auth, timeout)
    result.seconds = time.perf_counter() - started
    return result
