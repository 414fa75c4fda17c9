"""The W3C SPARQL 1.1 Protocol tests (../shared/w3c/protocol/manifest.ttl), run against the live
service on BOTH engines, and on each external store the tests start (the Oxigraph server and
OpenLink Virtuoso) behind `SMPKG_STORE_URL`.

The manifest's data files are served as named graphs (`smpkg serve --dataset` of an N-Quads file
written from its ut:graphData; on a store, uploaded into it beside the published build). Every request of every test is sent as the manifest encodes it
(method, path with `/sparql/` replaced by our endpoint path, headers, body in its declared
character encoding), and the response is checked against mf:expectedStatus, mf:expectedFormat
and mf:expectedBoolean. All `query_*` and `bad_*` tests must pass as written. The endpoint is
read-only, so in each `update_*` test every update request must get a 4xx, and the query that
follows must show that nothing changed.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import httpx
import pytest
from conftest import STORES, W3C_PROTOCOL, require_shared, w3c_graph_data
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDF

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
ENGINES = ["oxigraph", "rdflib"]
BACKENDS = ENGINES + [f"{store}-store" for store in STORES]
# Where a store behind the service departs from SPARQL 1.1, which no client can mend: these
# tests are expected to fail there (strictly: once the store answers right, they pass and
# the entry must go).
DEVIATIONS = {
    "virtuoso-store": dict.fromkeys(
        [
            "update_dataset_default_graph",
            "update_dataset_default_graphs",
            "update_dataset_named_graphs",
            "update_dataset_full",
            "update_base_uri",
        ],
        "Virtuoso 7.2 answers true to an ASK whose GRAPH names a graph outside the "
        "request's named graphs (here: the graphs a refused update would have written)",
    ),
}
BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = BOOLEAN_TYPES + ("text/csv", "text/tab-separated-values")
RDF_TYPES = {
    "application/rdf+xml": "xml",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]  # acceptable status classes: 2, 3, 4...
    fmt: str | None
    boolean: bool | None

    @property
    def is_update(self) -> bool:
        ctype = self.headers.get("content-type", "")
        return (
            ctype.startswith("application/sparql-update")
            or (self.body is not None and self.body.startswith(b"update="))
            or "update=" in self.path
        )


@dataclass
class ProtocolTest:
    name: str
    title: str
    requests: list[HttpRequest] = field(default_factory=list)


def load_manifest() -> list[ProtocolTest]:
    path = W3C_PROTOCOL / "manifest.ttl"
    if not path.exists():
        return []
    g = Graph()
    g.parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(g, g.value(manifest, MF.entries)):
        name = str(entry).rsplit("#", 1)[-1]
        test = ProtocolTest(name, str(g.value(entry, MF.name)))
        action = g.value(entry, MF.action)
        for req in Collection(g, g.value(action, HT.requests)):
            headers = {}
            header_list = g.value(req, HT.headers)
            if header_list is not None:
                for header in Collection(g, header_list):
                    headers[str(g.value(header, HT.fieldName)).lower()] = str(
                        g.value(header, HT.fieldValue)
                    )
            body_node = g.value(req, HT.body)
            body = None
            if body_node is not None:
                encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(g.value(body_node, CNT.chars)).encode(encoding)
            resp = g.value(req, HT.resp)
            statuses = {
                int(str(s).rsplit("StatusCode", 1)[1][0])
                for s in g.objects(resp, MF.expectedStatus)
            }
            fmt = g.value(resp, MF.expectedFormat)
            boolean = g.value(resp, MF.expectedBoolean)
            test.requests.append(
                HttpRequest(
                    method=str(g.value(req, HT.methodName)),
                    path=str(g.value(req, HT.absolutePath)),
                    headers=headers,
                    body=body,
                    statuses=statuses,
                    fmt=str(fmt) if fmt is not None else None,
                    boolean=boolean.toPython() if boolean is not None else None,
                )
            )
        tests.append(test)
    return tests


TESTS = load_manifest()


@pytest.fixture(scope="module")
def servers(serve, w3c_nquads):
    """The service for each backend, started when a test first needs it."""
    started: dict = {}

    def service(backend: str, request: pytest.FixtureRequest):
        if backend in started:
            return started[backend]
        if backend in ENGINES:
            engines = serve.many(*({"engine": e, "dataset": [w3c_nquads]} for e in ENGINES))
            started.update(zip(ENGINES, engines, strict=True))
            return started[backend]
        store = request.getfixturevalue(backend.replace("-store", "_server"))
        for graph, path in sorted(w3c_graph_data().items()):
            store.put(graph, path.read_bytes())
        store.publish_build(request.getfixturevalue("smp_graph"))
        started[backend] = serve(env={"SMPKG_STORE_URL": store.gsp})
        return started[backend]

    return service


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def parse_boolean(response: httpx.Response) -> bool:
    media = media_type(response)
    assert media in BOOLEAN_TYPES, f"a boolean result cannot be {media!r}"
    if media.endswith("json"):
        return json.loads(response.text)["boolean"]
    root = ET.fromstring(response.content)
    node = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert node is not None, "no <boolean> in the XML result"
    return node.text.strip() == "true"


def check_tabular(response: httpx.Response) -> None:
    media = media_type(response)
    assert media in TABULAR_TYPES, f"a SELECT result cannot be {media!r}"
    if media.endswith("json"):
        assert "bindings" in json.loads(response.text)["results"]
    elif media.endswith("xml"):
        ET.fromstring(response.content).find("{http://www.w3.org/2005/sparql-results#}results")
    elif media == "text/csv":
        assert next(csv.reader(io.StringIO(response.text)))
    else:
        assert response.text.splitlines()[0].startswith("?")


def check_rdf(response: httpx.Response) -> None:
    media = media_type(response)
    assert media in RDF_TYPES, f"an RDF result cannot be {media!r}"
    Graph().parse(data=response.text, format=RDF_TYPES[media])


def send(client: httpx.Client, request: HttpRequest) -> httpx.Response:
    assert request.path.startswith("/sparql/")
    path = "/sparql" + request.path[len("/sparql/") :]
    return client.request(request.method, path, headers=request.headers, content=request.body)


def check(request: HttpRequest, response: httpx.Response, read_only_followup: bool) -> None:
    where = f"{request.method} {request.path} -> {response.status_code}: {response.text[:300]}"
    if read_only_followup:
        # The update before it was refused: the dataset is unchanged, the ASK is false.
        assert response.status_code // 100 == 2, where
        assert parse_boolean(response) is False, where
        return
    assert response.status_code // 100 in request.statuses, where
    if request.fmt == "boolean":
        value = parse_boolean(response)
        if request.boolean is not None:
            assert value is request.boolean, where
    elif request.fmt == "tabular":
        check_tabular(response)
    elif request.fmt == "RDF":
        check_rdf(response)
    if response.status_code >= 400:
        assert "Traceback" not in response.text
        assert response.text.strip(), "an error needs a message"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("test", TESTS or [None], ids=[t.name for t in TESTS] or ["manifest"])
def test_w3c_protocol(servers, backend, test, request):
    require_shared()
    assert test is not None
    server = servers(backend, request)
    deviation = DEVIATIONS.get(backend, {}).get(test.name)
    if deviation:
        request.applymarker(pytest.mark.xfail(reason=deviation, strict=True))
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for request in test.requests:
            response = send(client, request)
            if test.name.startswith("update_"):
                if request.is_update:
                    where = f"{request.method} {request.path} -> {response.status_code}"
                    assert 400 <= response.status_code < 500, where
                    assert "read-only" in response.text, response.text
                else:
                    check(request, response, read_only_followup=request.boolean is True)
            else:
                check(request, response, read_only_followup=False)


def test_the_manifest_has_every_test():
    require_shared()
    names = [t.name for t in TESTS]
    assert len(names) == 34
    assert sum(n.startswith("query_") for n in names) == 13
    assert sum(n.startswith("bad_") for n in names) == 14
    assert sum(n.startswith("update_") for n in names) == 7
