"""The README's examples, extracted from README.md and run as written against a live server
(only the port is changed), so the documentation cannot drift from the code."""

from __future__ import annotations

import csv
import gzip
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, smp_settings
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDF

README = Path(__file__).resolve().parents[1] / "README.md"


def example(name: str) -> str:
    """The fenced block that follows `<!-- example: NAME -->` in the README."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- example: {re.escape(name)} -->\s*```\w*\n(.*?)```", text, re.S)
    assert match, f"README.md has no example named {name!r}"
    return match.group(1)


@pytest.fixture(scope="module")
def smp_server(serve):
    smp_settings()
    return serve(engine="oxigraph")


def run_shell(script: str, port: int, cwd: Path | None = None) -> str:
    if shutil.which("curl") is None:
        pytest.fail("curl is needed to run the README's curl examples")
    done = subprocess.run(
        ["bash", "-c", script.replace("8340", str(port))],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quick_start_has_exactly_two_commands():
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", quick, re.S)
    assert [b.strip() for b in blocks] == [
        "pip install -e '.[test]' && npm ci && npm ci --prefix tests/clients && smpkg serve",
        "python -m pytest",
    ]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "python -m pytest" in ci and "npm ci" in ci


def test_curl_example(smp_server):
    table = list(csv.reader(io.StringIO(run_shell(example("curl"), smp_server.port))))
    assert table[0] == ["graph", "triples"]
    graphs = {row[0]: int(row[1]) for row in table[1:]}
    assert set(graphs) == {
        f"https://w3id.org/smpkg/graph/{g}" for g in ("asserted", "inferred", "ontology")
    }
    assert all(n > 0 for n in graphs.values())


def test_sparqlwrapper_example(smp_server):
    code = example("sparqlwrapper").replace("8340", str(smp_server.port))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    rows = [line.rsplit(" ", 1) for line in done.stdout.strip().splitlines()]
    assert 1 <= len(rows) <= 10
    counts = {origin: int(n) for origin, n in rows}
    assert counts["Morocco"] >= 5
    assert list(counts.values()) == sorted(counts.values(), reverse=True)


def test_named_query_example(smp_server):
    table = list(csv.reader(io.StringIO(run_shell(example("named-query"), smp_server.port))))
    header, rows = table[0], table[1:]
    assert "initiative" in header
    column = header.index("initiative")
    found = {row[column] for row in rows}
    for slug in ("thamm", "mentor-ii", "palim"):
        assert f"https://w3id.org/smpkg/id/programme/{slug}" in found


def test_iri_as_html_example(smp_server):
    page = run_shell(example("iri-html"), smp_server.port)
    assert page.startswith("<!DOCTYPE html>")
    assert "Mediterranean Network for Training Orientation to Regular migration II" in page
    assert '<script type="application/ld+json">' in page
    assert "<code>prp-spo2</code>" in page  # why MENTOR II is funded by the EU


def test_iri_as_turtle_example(smp_server):

    text = run_shell(example("iri-turtle"), smp_server.port)
    graph = Graph().parse(data=text, format="turtle")
    mentor = URIRef("https://w3id.org/smpkg/id/programme/mentor-ii")
    smp = "https://w3id.org/smpkg/ontology#"
    # SMP-like, not SMP: the seed only implies the kind (docs/modelling.md, section 5).
    assert (mentor, RDF.type, URIRef(smp + "SMPLikeInitiative")) in graph
    assert (
        mentor,
        URIRef(smp + "fundedBy"),
        URIRef("https://w3id.org/smpkg/id/organisation/european-union"),
    ) in graph


def test_dump_example(smp_server, tmp_path):

    out = run_shell(example("dump"), smp_server.port, cwd=tmp_path)
    assert out.strip() == "smpkg-full.nq.gz: OK"
    ds = Dataset()
    ds.parse(data=gzip.decompress((tmp_path / "smpkg-full.nq.gz").read_bytes()), format="nquads")
    assert len(ds.graph("https://w3id.org/smpkg/graph/asserted")) > 1000


def test_the_tour_shows_every_main_view():
    """Each view tests/screenshots.py takes is shown in the README, and each image the README
    shows exists."""
    text = README.read_text(encoding="utf-8")
    shown = set(re.findall(r"\(docs/screenshots/([\w-]+)\.png\)", text))
    views = set(
        re.findall(
            r'^    "([\w-]+)": View\(', (ROOT / "tests" / "screenshots.py").read_text(), re.M
        )
    )
    assert len(views) >= 11
    assert views == shown
    for name in shown:
        assert (ROOT / "docs" / "screenshots" / f"{name}.png").stat().st_size > 10_000
