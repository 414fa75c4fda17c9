"""`smpkg publish --to URL`: the built dataset into each real store the tests start (the
Oxigraph server, and OpenLink Virtuoso through its digest-authenticated endpoint) through the
Graph Store Protocol, one PUT per named graph, checked by reading the counts back."""

from __future__ import annotations

import httpx
import pytest
from conftest import OxigraphServer, free_port, isomorphic
from rdflib import Graph

from smpkg.cli import main
from smpkg.namespaces import GRAPH_FILES, graph_file
from smpkg.publish import PublishError, publish
from smpkg.remote_store import query_endpoint

FOREIGN = "http://example.org/graph/not-smpkg"


def local_counts(kg) -> dict[str, int]:
    return {str(iri): len(getattr(kg, name)) for name, iri in GRAPH_FILES.items()}


@pytest.fixture(scope="module")
def server(external_store):
    # A graph that is not the build's: publishing must leave it alone.
    external_store.put(FOREIGN, b'<http://example.org/a> <http://example.org/b> "c" .\n')
    return external_store


def test_each_named_graph_arrives_whole(server, smp_graph):
    result = publish(smp_graph, server.store)
    expected = local_counts(smp_graph)
    assert result.query_url == server.query  # derived from the GSP URL, without the account
    assert result.graphs == expected and result.remote == expected and result.verified
    # Read back by the server itself, not through smpkg.
    counts = server.graph_counts()
    assert {g: counts.get(g) for g in expected} == expected
    assert counts[FOREIGN] == 1


def test_publishing_again_replaces_rather_than_adds(server, smp_graph):
    publish(smp_graph, server.store)
    publish(smp_graph, server.store)
    counts = server.graph_counts()
    assert {g: counts[g] for g in local_counts(smp_graph)} == local_counts(smp_graph)
    assert counts[FOREIGN] == 1


def test_the_same_triples_not_only_as_many(server, smp_graph):
    """The asserted graph in the store is the build's, term for term (blank nodes aside,
    which a store names as it likes: the graphs are isomorphic)."""
    publish(smp_graph, server.store)
    r = httpx.get(
        server.gsp,
        params={"graph": str(GRAPH_FILES["asserted"])},
        headers={"Accept": "application/n-triples"},
        auth=server.auth,
        timeout=30,
    )
    assert r.status_code == 200
    remote = Graph().parse(data=r.text, format="nt")
    assert len(remote) == len(smp_graph.asserted)
    assert isomorphic(remote, smp_graph.asserted)


def test_the_command_line(server, smp_graph, capsys):
    assert main(["publish", "--to", server.store, "--format", "turtle"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    for graph, count in local_counts(smp_graph).items():
        assert f"<{graph}>: {count} triples, {count} in the store" in out
    assert f"SMPKG_STORE_URL={server.query}" in out
    if server.auth is not None:
        assert server.store.split("@")[0].rsplit(":", 1)[1] not in out + captured.err


def test_a_wrong_password_is_refused_by_the_store(virtuoso_server, smp_graph):
    url = f"http://{virtuoso_server.USER}:wrong@" + virtuoso_server.gsp.split("://", 1)[1]
    with pytest.raises(PublishError, match=r"refused the ontology graph: 401"):
        publish(smp_graph, url, verify=False)


def test_a_refused_upload_names_the_graph_and_the_status(server, smp_graph):
    with pytest.raises(PublishError, match=r"refused the ontology graph: (404|405|501)"):
        publish(smp_graph, server.url + "/no-such-endpoint", verify=False)


def test_an_unreachable_store_is_one_clear_error(smp_graph, capsys):
    url = f"http://127.0.0.1:{free_port()}/store"
    with pytest.raises(PublishError, match="cannot reach the store"):
        publish(smp_graph, url)
    assert main(["publish", "--to", url]) == 1
    assert "smpkg: error: cannot reach the store" in capsys.readouterr().err


def test_graphs_that_share_a_blank_node_are_refused(tmp_path):
    class Fake:
        def path(self, name):
            return graph_file(tmp_path, name)

    for name in GRAPH_FILES:
        Fake().path(name).write_text(f'<http://e/{name}> <http://e/p> "x" .\n')
    Fake().path("asserted").write_text("_:b1 <http://e/p> <http://e/o> .\n")
    Fake().path("inferred").write_text("_:b1 <http://e/q> <http://e/o> .\n")
    with pytest.raises(PublishError, match="share the blank node _:b1"):
        publish(Fake(), "http://127.0.0.1:9/store")


@pytest.mark.parametrize(
    "gsp,query",
    [
        ("http://h:7878/store", "http://h:7878/query"),  # Oxigraph
        ("http://h:3030/smpkg/data", "http://h:3030/smpkg/query"),  # Fuseki
        ("http://h:8890/sparql-graph-crud", "http://h:8890/sparql"),  # Virtuoso
        ("http://h:8890/sparql-graph-crud-auth", "http://h:8890/sparql"),
        (
            "http://h:7200/repositories/smpkg/rdf-graphs/service",
            "http://h:7200/repositories/smpkg",
        ),  # GraphDB
        ("https://h/sparql?key=v", "https://h/sparql?key=v"),  # already a query endpoint
    ],
)
def test_the_query_endpoint_of_each_documented_store(gsp, query):
    assert query_endpoint(gsp) == query


def test_an_in_memory_server_too(smp_graph):
    """The fixture's server keeps its data on disk; an in-memory one takes the same PUTs."""
    other = OxigraphServer()
    try:
        result = publish(smp_graph, other.store)
        assert result.verified
    finally:
        other.stop()


def test_what_a_graph_store_is_sent(smp_graph):
    """Method, URL, media type and credentials of each upload, against a recording stub."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    result = publish(
        smp_graph,
        "http://store.example/repositories/r/rdf-graphs/service",
        user="smpkg",
        password="s3cret",
        verify=False,
        transport=httpx.MockTransport(handler),
    )
    assert result.query_url == "http://store.example/repositories/r"
    assert [(r.method, r.url.params["graph"]) for r in seen] == [
        ("PUT", str(iri)) for iri in GRAPH_FILES.values()
    ]
    for request, name in zip(seen, GRAPH_FILES, strict=True):
        assert request.headers["content-type"] == "application/n-triples; charset=utf-8"
        assert request.headers["authorization"].startswith("Basic ")
        assert request.read() == smp_graph.path(name).read_bytes()


def test_digest_authentication_answers_the_challenge(smp_graph):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        if not request.headers.get("authorization", "").startswith("Digest "):
            return httpx.Response(
                401, headers={"WWW-Authenticate": 'Digest realm="SPARQL", nonce="abc", qop="auth"'}
            )
        request.read()
        return httpx.Response(201)

    publish(
        smp_graph,
        "http://store.example/sparql-graph-crud-auth",
        user="dba",
        password="dba",
        auth_scheme="digest",
        verify=False,
        media="turtle",
        transport=httpx.MockTransport(handler),
    )
    # Challenged once; httpx answers the later uploads with the same nonce straight away.
    assert [a.split(" ")[0] for a in seen] == ["", "Digest", "Digest", "Digest"]


def test_the_scheme_the_store_asks_for_wins(smp_graph, monkeypatch):
    """Basic sent up front (the default) and the store asking for Digest: answered with
    Digest, the account from the URL's user part and the password from the environment,
    and no request line carries the credentials."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers.get("authorization", ""), str(request.url)))
        if not request.headers.get("authorization", "").startswith("Digest "):
            return httpx.Response(
                401, headers={"WWW-Authenticate": 'Digest realm="SPARQL", nonce="n", qop="auth"'}
            )
        names = {str(iri): name for name, iri in GRAPH_FILES.items()}
        assert request.read() == smp_graph.path(names[request.url.params["graph"]]).read_bytes()
        return httpx.Response(201)

    monkeypatch.setenv("SMPKG_STORE_PASSWORD", "from-env")
    result = publish(
        smp_graph,
        "http://smpkg@store.example/sparql-graph-crud-auth",
        verify=False,
        transport=httpx.MockTransport(handler),
    )
    assert result.query_url == "http://store.example/sparql"
    assert [a.split(" ")[0] for a, _ in seen][:2] == ["Basic", "Digest"]
    assert 'username="smpkg"' in seen[1][0]
    assert all(url.startswith("http://store.example/sparql-graph-crud-auth?") for _, url in seen)


def test_passwords_are_not_printed(capsys, monkeypatch):
    monkeypatch.setenv("SMPKG_STORE_PASSWORD", "s3cret")
    url = f"http://smpkg:s3cret@127.0.0.1:{free_port()}/store"
    assert main(["publish", "--to", url]) == 1
    captured = capsys.readouterr()
    assert "s3cret" not in captured.out + captured.err
    assert "cannot reach the store at http://127.0.0.1:" in captured.err  # no account part
