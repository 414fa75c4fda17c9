"""The command line on a tiny project: every subcommand, its formats and its errors."""

import csv
import io
import json
import subprocess
import sys

import pytest
from conftest import DATA
from rdflib import Dataset, Graph

from smpkg.cli import main


@pytest.fixture
def run(project, monkeypatch, capsysbinary):
    monkeypatch.setenv("SMPKG_CACHE_DIR", str(project.cache_path))

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(["--root", str(project.root), *args])
        out, err = capsysbinary.readouterr()
        return code, out.decode(), err.decode()

    return invoke


def test_build_reports_counts_and_cache(run):
    code, out, err = run("build")
    assert code == 0
    assert "cold" in out and "inferred triples kept:" in out
    assert "dropped vocabulary" in out
    assert "reasoning" in err  # progress goes to stderr
    code, out, _ = run("build")
    assert "from cache" in out


QUERY = "SELECT ?s WHERE { ?s <http://example.org/partOf> <http://example.org/c> } ORDER BY ?s"


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_query_formats(run, engine):
    code, out, _ = run("--engine", engine, "query", QUERY, "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows == [["s"], ["http://example.org/a"], ["http://example.org/b"]]
    _, out, _ = run("--engine", engine, "query", QUERY, "--format", "json")
    doc = json.loads(out)
    assert [b["s"]["value"] for b in doc["results"]["bindings"]] == [
        "http://example.org/a",
        "http://example.org/b",
    ]
    _, out, _ = run("--engine", engine, "query", QUERY, "--format", "tsv")
    assert out.splitlines() == ["?s", "<http://example.org/a>", "<http://example.org/b>"]
    _, out, _ = run("--engine", engine, "query", QUERY)
    assert "(2 rows)" in out


def test_asserted_only_leaves_inferences_out(run):
    _, out, _ = run("query", QUERY, "--format", "csv", "--asserted-only")
    assert list(csv.reader(io.StringIO(out))) == [["s"], ["http://example.org/b"]]


def test_query_from_rq_file(run, tmp_path):
    path = tmp_path / "q.rq"
    path.write_text(QUERY)
    code, out, _ = run("query", str(path), "--format", "csv")
    assert code == 0 and "http://example.org/a" in out


def test_stats_counts_asserted_and_inferred(run):
    code, out, _ = run("stats")
    assert code == 0
    line = next(line for line in out.splitlines() if "example.org/Initiative" in line)
    assert line.split()[-3:] == ["0", "3", "3"]


@pytest.mark.parametrize(
    "fmt, parser, quads",
    [
        ("turtle", "turtle", False),
        ("ntriples", "nt", False),
        ("jsonld", "json-ld", False),
        ("rdfxml", "xml", False),
        ("nquads", "nquads", True),
        ("trig", "trig", True),
    ],
)
def test_export_round_trips(run, tmp_path, fmt, parser, quads):
    target = tmp_path / f"out.{fmt}"
    code, _, _ = run("export", "--format", fmt, "-o", str(target))
    assert code == 0
    if quads:
        ds = Dataset()
        ds.parse(target, format=parser)
        names = {str(g.identifier) for g in ds.graphs() if len(g)}
        assert {
            "https://w3id.org/smpkg/graph/asserted",
            "https://w3id.org/smpkg/graph/inferred",
            "https://w3id.org/smpkg/graph/ontology",
        } <= names
    else:
        g = Graph().parse(target, format=parser)
        assert len(g) > 8


def test_export_part_to_stdout(run):
    code, out, _ = run("export", "--format", "ntriples", "--part", "asserted")
    assert code == 0
    assert len(Graph().parse(data=out, format="nt")) == 8


def test_validate_exit_codes(run, project):
    assert run("validate")[0] == 0
    (project.data_dir / "bad.ttl").write_text(
        "@prefix ex: <http://example.org/> .\nex:n a ex:Programme .\n"
    )
    code, out, _ = run("validate")
    assert code == 1
    assert "http://example.org/n" in out
    assert "a programme needs a label" in out
    assert "data/bad.ttl" in out


def test_errors_are_one_line_without_traceback(project, tmp_path):
    (project.data_dir / "broken.ttl").write_text(
        "@prefix ex: <http://example.org/> .\nex:a ex:b .\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "smpkg.cli", "--root", str(project.root), "build"],
        capture_output=True,
        text=True,
        env={"SMPKG_CACHE_DIR": str(tmp_path / "c"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("smpkg: error: ") and "broken.ttl:2" in last


def test_bad_query_is_one_clear_line(run):
    code, _, err = run("query", "SELECT * WHERE {")
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("smpkg: error: ")


def test_update_is_refused(run):
    code, _, err = run("query", "INSERT DATA { <http://a> <http://b> <http://c> }")
    assert code == 1 and "read-only" in err


def test_format_check_and_rewrite(run, project):
    path = project.data_dir / "programmes.ttl"
    assert path.read_text() == DATA
    code, out, _ = run("format", "--check", str(path))
    assert code == 1 and "would reformat" in out
    code, _, _ = run("format", str(path))
    assert code == 0
    assert run("format", "--check", str(path))[0] == 0
