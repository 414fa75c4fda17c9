"""Shared fixtures: sample datasets, an in-process app (TestClient), live servers (uvicorn in
a subprocess on 127.0.0.1), and the W3C test data from ../shared.

Tests that need ../shared skip with a clear reason when it is absent, except in CI (CI=true),
where they fail instead: there the suite must run whole.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import browser as tab
import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Dataset, Graph, Namespace, URIRef
from rdflib.namespace import RDFS

from api import create_app
from smpkg.build import build, input_files
from smpkg.config import Settings
from smpkg.load import load_turtle
from smpkg.publish import publish
from smpkg.validate import load_shapes


def canonical(graph: Graph) -> frozenset[str]:
    """The graph's statements with blank nodes labelled by RDFC-1.0 (pyoxigraph): two graphs
    are isomorphic exactly when these sets are equal. rdflib's own `isomorphic` takes minutes
    on the thousands of blank nodes the evidence brings (its reified statements)."""
    dataset = ox.Dataset(ox.parse(graph.serialize(format="nt"), format=ox.RdfFormat.N_TRIPLES))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return frozenset(str(quad) for quad in dataset)


def isomorphic(a: Graph, b: Graph) -> bool:
    """rdflib.compare.isomorphic, through RDFC-1.0 canonical forms (see `canonical`)."""
    return canonical(a) == canonical(b)


ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
W3C_PROTOCOL = SHARED / "w3c" / "protocol"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

EX = "http://example.org/"
PEOPLE = EX + "graph/people"
PLACES = EX + "graph/places"
ITEMS = EX + "graph/items"
ITEM_COUNT = 40

# A small dataset with known answers: a default graph and three named graphs.
SAMPLE_TRIG = (
    f"""@prefix ex: <{EX}> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:alice a ex:Person ; ex:name "Alice" ; ex:knows ex:bob .

<{PEOPLE}> {{
  ex:bob a ex:Person ; ex:name "Bob"@en ; ex:age 42 .
  ex:carol a ex:Person ; ex:name "Carol" ; ex:note "tab\\there, \\"quoted\\", comma" .
}}

<{PLACES}> {{
  ex:paris a ex:City ; ex:label "Paris"@fr .
}}

<{ITEMS}> {{
"""
    + "".join(
        f'  ex:item{i} a ex:Item ; ex:index {i} ; ex:label "item {i}" .\n'
        for i in range(1, ITEM_COUNT + 1)
    )
    + "}\n"
)

# Strings on which regex "^(a+)+$" backtracks catastrophically in Python's re.
RUNAWAY_TTL = f"""@prefix ex: <{EX}> .
""" + "".join(
    f'ex:s{i} ex:text "{"a" * (36 + i)}b" ; ex:n {i} ; ex:m {i * 2} .\n' for i in range(40)
)


def pytest_addoption(parser):
    parser.addoption(
        "--hours",
        type=float,
        default=0.0,
        help="run the security campaign's long version for this many hours (tests marked "
        "campaign; see README, Security and limits); 0: the short version CI runs",
    )


def pytest_collection_modifyitems(config, items):
    hours = float(config.getoption("--hours"))
    if hours:
        # A long campaign outlasts the per-test timeout on purpose.
        for item in items:
            if item.get_closest_marker("campaign"):
                item.add_marker(pytest.mark.timeout(int(hours * 3600 * 1.5) + 600))


@pytest.fixture(scope="session")
def campaign_hours(request) -> float:
    """How long the campaign's long version runs (0: the short version)."""
    return float(request.config.getoption("--hours"))


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:rdflib.*")
    coverage = config.pluginmanager.getplugin("_cov")
    if coverage is not None and not whole_suite(config):
        # A few tests cover a few modules: the figure is printed, the floor (pyproject's
        # [tool.coverage.report] fail_under) is for the whole suite.
        coverage.options.cov_fail_under = None


def whole_suite(config) -> bool:
    """Whether this run selects every test: no narrower path than tests/, no -k, -m, --lf or
    --deselect."""
    here = config.invocation_params.dir
    paths = {(here / arg.split("::")[0]).resolve() for arg in config.args}
    option = config.option
    return paths <= {ROOT, ROOT / "tests"} and not (
        "::" in "".join(config.args)
        or option.keyword
        or option.markexpr
        or option.deselect
        or getattr(option, "lf", False)
    )


def require_shared(path: Path = W3C_PROTOCOL) -> Path:
    """The path under ../shared, or skip (fail in CI) saying it is absent."""
    if not path.exists():
        message = (
            f"{path} is absent: these tests read data kept in ../shared beside the "
            "repository (README.md, 'What the tests need', says how to get it)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- datasets

# A tiny project: the build, the command line and reloading are tested on it.
TINY_ONTOLOGY = """@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:partOf a owl:ObjectProperty, owl:TransitiveProperty .
ex:hasPart owl:inverseOf ex:partOf .
ex:Programme a owl:Class ; rdfs:subClassOf ex:Initiative .
"""
DATA = """@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:a a ex:Programme ; rdfs:label "A" ; ex:partOf ex:b .
ex:b a ex:Programme ; rdfs:label "B" ; ex:partOf ex:c .
ex:c a ex:Programme ; rdfs:label "C" .
"""
TINY_SHAPES = """@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:ProgrammeShape a sh:NodeShape ; rdfs:label "programme" ;
  sh:targetClass ex:Programme ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "a programme needs a label" ] .
"""
TINY_CHECK = """#+ summary: No programme is part of itself.
#+ description: Cycles in partOf.
#+ tags: [quality]
PREFIX ex: <http://example.org/>
SELECT ?focus ?message WHERE { ?focus ex:partOf ?focus . BIND("part of itself" AS ?message) }
"""


@pytest.fixture
def project(tmp_path) -> Settings:
    """A tiny project of its own (an ontology, a shape, a check, three programmes) with
    its own build cache; its data file holds DATA."""
    root = tmp_path / "project"
    (root / "ontology" / "shapes").mkdir(parents=True)
    (root / "ontology" / "checks").mkdir()
    (root / "data").mkdir()
    (root / "ontology" / "onto.ttl").write_text(TINY_ONTOLOGY)
    (root / "ontology" / "shapes" / "programmes.ttl").write_text(TINY_SHAPES)
    (root / "ontology" / "checks" / "no-self-part.rq").write_text(TINY_CHECK)
    (root / "data" / "programmes.ttl").write_text(DATA)
    return Settings(root=root, cache_dir=tmp_path / "cache")


@pytest.fixture(scope="session")
def sample_trig(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.trig"
    path.write_text(SAMPLE_TRIG, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def runaway_ttl(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("runaway") / "runaway.ttl"
    path.write_text(RUNAWAY_TTL, encoding="utf-8")
    return path


def w3c_graph_data() -> dict[str, Path]:
    """Graph name -> file, from every ut:graphData of the protocol manifest."""
    ut = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
    manifest = require_shared() / "manifest.ttl"
    g = Graph()
    g.parse(manifest, format="turtle", publicID=manifest.as_uri())
    out = {}
    for node in g.objects(None, ut.graphData):
        file_iri = g.value(node, ut.graph)
        name = g.value(node, RDFS.label)
        out[str(name)] = Path(str(file_iri).removeprefix("file://"))
    return out


@pytest.fixture(scope="session")
def w3c_nquads(tmp_path_factory) -> Path:
    """The manifest's data files as one N-Quads file, each under its rdfs:label graph name."""
    ds = Dataset()
    for name, path in sorted(w3c_graph_data().items()):
        ds.graph(URIRef(name)).parse(path, format="nt")
    target = tmp_path_factory.mktemp("w3c") / "w3c-protocol.nq"
    ds.serialize(target, format="nquads", encoding="utf-8")
    return target


# --------------------------------------------------------------------------- in-process app


def make_settings(**overrides):

    values = {"query_workers": 2, "query_timeout": 10.0}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def sample_app(sample_trig):
    """The service over the sample dataset (oxigraph, row cap 25, 16 KiB request limit)."""
    app = create_app(
        make_settings(dataset=(sample_trig,), max_rows=25, max_request_bytes=16 * 1024)
    )
    yield app
    app.state.snapshot.executor.close()


@pytest.fixture(scope="session")
def client(sample_app):

    with TestClient(sample_app) as test_client:
        yield test_client


# --------------------------------------------------------------------------- live servers


class LiveServer:
    """`python -m api.cli serve` in a subprocess on 127.0.0.1 and a free port."""

    def __init__(
        self,
        *,
        engine: str = "oxigraph",
        dataset: list[Path] | None = None,
        timeout: float | None = None,
        workers: int = 2,
        env: dict | None = None,
        args: list[str] | None = None,
    ):
        self.engine = engine
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.endpoint = self.url + "/sparql"
        self.started = time.monotonic()
        extra = list(args or [])
        args = [
            sys.executable,
            "-m",
            "api.cli",
            "--engine",
            engine,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ] + extra
        if dataset:
            args += ["--dataset", *map(str, dataset)]
        if timeout:
            args += ["--timeout", str(timeout)]
        full_env = {**os.environ, "SMPKG_QUERY_WORKERS": str(workers), **(env or {})}
        full_env.pop("SMPKG_DATASET", None)
        self._stderr: list[str] = []
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        for line in self.process.stderr:
            self._stderr.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr[-50:])

    def wait_ready(self, limit: float = 120.0) -> LiveServer:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"smpkg serve exited with {self.process.returncode}:\n{self.stderr}"
                )
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    self.ready_after = time.monotonic() - self.started
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"smpkg serve did not answer within {limit:.0f} s:\n{self.stderr}")

    def health(self) -> dict:
        return httpx.get(self.url + "/health", timeout=5).json()

    def wait_workers(self, limit: float = 30.0) -> dict:
        """Wait until every worker is back (after a timeout killed one)."""
        deadline = time.monotonic() + limit
        doc = self.health()
        while time.monotonic() < deadline:
            doc = self.health()
            if doc["workers"]["ready"] == doc["workers"]["configured"]:
                return doc
            time.sleep(0.1)
        raise AssertionError(f"workers did not come back: {doc}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def serve():
    """A factory of live servers for one test module: `serve(engine=..., dataset=[...])`
    starts one (or several, with `serve.many`) and stops them all after the module."""
    started: list[LiveServer] = []

    def start(**kwargs) -> LiveServer:
        server = LiveServer(**kwargs)
        started.append(server)
        return server.wait_ready()

    def many(*kwargs_list: dict) -> list[LiveServer]:
        servers = [LiveServer(**kw) for kw in kwargs_list]
        started.extend(servers)
        return [s.wait_ready() for s in servers]

    start.many = many  # type: ignore[attr-defined]
    yield start
    for server in started:
        server.stop()


# --------------------------------------------------------------------------- the sources, parsed


@pytest.fixture(scope="session")
def settings():
    """Settings for the repository's own sources (ontology, shapes, checks, data)."""
    return Settings(root=Path(__file__).resolve().parents[1])


@pytest.fixture(scope="session")
def ontology(settings):
    """The ontology files, parsed (not built)."""
    return load_turtle(input_files(settings)["ontology"], settings.root).graph


@pytest.fixture(scope="session")
def curated(settings):
    """The curated data files, parsed (not built): a `Sources`."""
    return load_turtle(input_files(settings)["data"], settings.root)


@pytest.fixture(scope="session")
def shapes(settings):

    return load_shapes(settings.shapes_dir)


# --------------------------------------------------------------------------- the SMP graph


def smp_settings():
    """Settings for the repository's own graph, built once (then served from the build cache).
    The curated graph must build: a failure here is a failure of the data, never a skip."""
    settings = Settings.from_env(query_workers=2)
    build(settings)
    return settings


@pytest.fixture(scope="session")
def smp_graph():
    """The repository's built KnowledgeGraph (ontology, asserted and inferred graphs)."""
    return build(smp_settings())


@pytest.fixture(scope="session")
def smp_app():
    """The service over the repository's graph, in-process (for TestClient)."""
    app = create_app(smp_settings())
    yield app
    app.state.snapshot.executor.close()


@pytest.fixture(scope="session")
def smp_client(smp_app):

    with TestClient(smp_app) as test_client:
        yield test_client


# --------------------------------------------------------------------------- external stores

STORES = ["oxigraph", "virtuoso"]


def missing(message: str):
    """Skip saying what is missing and how to get it (fail in CI, which installs it)."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


class ExternalStore:
    """A SPARQL 1.1 store the tests start on 127.0.0.1: `store` is its Graph Store Protocol
    URL as `smpkg publish --to` takes it (with the publishing account as userinfo when the
    store needs one), `gsp` the same URL without credentials (what `SMPKG_STORE_URL` is given,
    the query endpoint derived from it), `query` its query endpoint and `auth` what a test
    sends to write through the Graph Store Protocol itself."""

    name = ""
    url = store = gsp = query = ""
    auth: httpx.Auth | None = None
    process: subprocess.Popen
    published = ""  # the version of the build published to it in this run

    def publish_build(self, kg) -> None:
        """Publish the build to the store, once a run: every module that needs it there
        finds it (the stores last the session; no test writes the build's graphs)."""
        if self.published != kg.version:
            publish(kg, self.store)
            self.published = kg.version

    def _wait(self, limit: float) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                r = httpx.get(self.query, params={"query": "ASK {}"}, timeout=2)
                if r.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {limit:.0f} s")

    def select(self, text: str, **params) -> list[dict]:
        """Bindings, straight from the server (not through smpkg)."""
        r = httpx.post(
            self.query,
            data={"query": text, **params},
            timeout=30,
            headers={"Accept": "application/sparql-results+json"},
        )
        r.raise_for_status()
        return r.json()["results"]["bindings"]

    def graph_counts(self) -> dict[str, int]:
        rows = self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        return {r["g"]["value"]: int(r["n"]["value"]) for r in rows}

    def put(self, graph: str, ntriples: bytes) -> None:
        """Replace one graph of the store (Graph Store Protocol), not through smpkg."""
        r = httpx.put(
            self.gsp,
            params={"graph": graph},
            content=ntriples,
            headers={"Content-Type": "application/n-triples"},
            auth=self.auth,
            timeout=60,
        )
        assert r.status_code in (200, 201, 204), r.text

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class OxigraphServer(ExternalStore):
    """`oxigraph serve` (the `oxigraph` package of the test dependencies) on 127.0.0.1 and a
    free port, with its data in `location` (in memory without one)."""

    name = "oxigraph"

    def __init__(self, location: Path | None = None):

        exe = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
        if not Path(exe).exists():
            missing("the oxigraph server is not installed (pip install -e '.[test]')")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.store = self.gsp = self.url + "/store"
        self.query = self.url + "/query"
        args = [exe, "serve", "--bind", f"127.0.0.1:{self.port}"]
        if location is not None:
            args += ["--location", str(location)]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait(30)


# Virtuoso's configuration for the tests: everything in one directory, both listeners on
# loopback, no plugins, replication or zero-config announcements, and result sets large
# enough for a whole graph (the packaged default cuts them at 10,000 rows).
VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 20
CheckpointInterval = 0
CaseMode = 2
DirsAllowed = {dir}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}/www
MaxClientConnections = 20
ServerThreads = 20
EnabledDavVSP = 0
HTTPProxyEnabled = 0
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
"""


class VirtuosoServer(ExternalStore):
    """OpenLink Virtuoso (Debian's virtuoso-opensource-7) in a fresh database under
    `directory`, on two free loopback ports. Publishing goes to its authenticated Graph Store
    Protocol endpoint (`/sparql-graph-crud-auth`, HTTP digest) as an account made for the
    run with the SPARQL_UPDATE role and nothing else; queries go to `/sparql` as its
    anonymous, read-only user. The dba password is changed to a random one at start."""

    name = "virtuoso"
    USER = "smpkg"

    def __init__(self, directory: Path):
        exe, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
        if not exe or not isql:
            missing(
                "OpenLink Virtuoso is not installed "
                "(apt-get install virtuoso-opensource-7, as .ci/run does)"
            )
        self.dir = directory
        (directory / "www").mkdir(parents=True, exist_ok=True)
        sql_port, http_port = free_port(), free_port()
        ini = directory / "virtuoso.ini"
        ini.write_text(
            VIRTUOSO_INI.format(dir=directory, sql_port=sql_port, http_port=http_port),
            encoding="utf-8",
        )
        self.url = f"http://127.0.0.1:{http_port}"
        self.query = self.url + "/sparql"
        self.gsp = self.url + "/sparql-graph-crud-auth"
        self.password = secrets.token_hex(12)
        self.store = (
            f"http://{self.USER}:{self.password}@127.0.0.1:{http_port}/sparql-graph-crud-auth"
        )
        self.auth = httpx.DigestAuth(self.USER, self.password)
        self.process = subprocess.Popen(
            [exe, "+foreground", "+configfile", str(ini)],
            cwd=directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait(120)
        statements = (
            f"DB.DBA.USER_CREATE('{self.USER}', '{self.password}'); "
            f'GRANT SPARQL_UPDATE TO "{self.USER}"; '
            f"USER_CHANGE_PASSWORD('dba', 'dba', '{secrets.token_hex(12)}');"
        )
        done = subprocess.run(
            [isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={statements}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0 or "Error" in done.stdout + done.stderr:
            self.stop()
            raise RuntimeError(f"isql could not create the account: {done.stdout}{done.stderr}")


def start_store(name: str, directory: Path) -> ExternalStore:
    return OxigraphServer(directory) if name == "oxigraph" else VirtuosoServer(directory)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory):
    """One Virtuoso for the whole run (it takes seconds to start), stopped after it."""
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """One Oxigraph server for the whole run, stopped after it."""
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph-server"))
    yield server
    server.stop()


@pytest.fixture(scope="module", params=STORES)
def external_store(request) -> ExternalStore:
    """Each external store in turn (the tests of a module run once per store)."""
    return request.getfixturevalue(f"{request.param}_server")


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def app_server():
    """One service over the repository's graph for every browser test of the session."""
    server = LiveServer().wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for one tests/test_e2e_*.py module. Per module, not per session:
    Playwright's sync API keeps an event loop running on the main thread while it is open,
    and later tests that run their own loop (asyncio.run) would fail."""
    if not tab.CHROMIUM.exists():
        missing("Chromium is absent: install Debian's chromium (apt-get install chromium)")
    if not tab.AXE.exists():
        missing("node_modules/axe-core is absent: run `npm ci` in the repository")
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        # Inside the fixture: without Playwright, only the browser tests fail, saying how.
        missing("Playwright for Python is absent: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        launched = tab.launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def visit(browser, app_server, tmp_path):
    """A fresh tab on the service; `visit.check(name)` applies every page's rules."""
    opened = tab.Visit(browser, app_server, tmp_path)
    yield opened
    opened.close()
