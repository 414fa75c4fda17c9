"""The command line on a tiny project: every subcommand, its formats and its errors."""

import csv
import errno
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA
from rdflib import Dataset, Graph

from smpkg import build
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


# --------------------------------------------------------------------------- the cache directory
# Hole 8 of issue 13: a cache directory that is read-only, forbidden or full made the command
# line print a traceback, and only after the whole build. Each case runs the real command in a
# subprocess; read-only and full filesystems are tmpfs mounts in a private mount namespace
# (`unshare -rm`: nothing is mounted outside the subprocess), so they work as root, where a
# chmod alone forbids nothing.

REPO = Path(__file__).resolve().parents[1]
SETPRIV = shutil.which("setpriv")


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(
    not _namespaces_work(),
    reason="needs `unshare -rm` (user and mount namespaces) to mount a tmpfs for the test",
)


def _smpkg(root: Path, cache: Path, *args: str, mount: str | None = None, wrap=()):
    """Run `smpkg --root root <args>` with its cache in `cache`; `mount` is shell run first
    in a private mount namespace (with $M the cache's parent)."""
    command = [*wrap, sys.executable, "-m", "smpkg.cli", "--root", str(root), *args]
    if mount is not None:
        command = ["unshare", "-rm", "sh", "-c", f'M="$0"; {mount} && exec "$@"']
        command += [str(cache.parent), *wrap, sys.executable, "-m", "smpkg.cli"]
        command += ["--root", str(root), *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"SMPKG_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        timeout=120,
    )


def _refused_before_building(result, *reasons: str) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no progress: nothing was parsed or reasoned
    line = lines[0]
    assert line.startswith("smpkg: error: the cache directory ")
    assert "SMPKG_CACHE_DIR" in line
    assert any(reason in line for reason in reasons), line
    return line


@needs_mounts
def test_read_only_cache_is_refused_before_building(project, tmp_path):
    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    result = _smpkg(
        project.root, mount_point / "cache", "build", mount='mount -t tmpfs -o ro tmpfs "$M"'
    )
    _refused_before_building(result, "Read-only file system")


@needs_mounts
def test_read_only_cache_holding_the_build_is_read(project, tmp_path):
    cache = tmp_path / "cache" / "smpkg"
    assert _smpkg(project.root, cache, "build").returncode == 0
    # The same cache, now read-only: the finished build is read, nothing is written.
    result = _smpkg(
        project.root,
        cache,
        "query",
        "ASK { ?s ?p ?o }",
        mount='mount --bind "$M" "$M" && mount -o remount,bind,ro "$M"',
    )
    assert result.returncode == 0, result.stderr
    assert "true" in result.stdout.lower()


def test_cache_under_a_file_is_refused_before_building(project, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    line = _refused_before_building(
        _smpkg(project.root, blocker / "cache", "build"), "Not a directory", "File exists"
    )
    assert str(blocker) in line


def test_forbidden_cache_is_refused_before_building(project, tmp_path):
    forbidden = tmp_path / "forbidden"
    forbidden.mkdir()
    forbidden.chmod(0)
    wrap: tuple[str, ...] = ()
    if os.geteuid() == 0:
        # Root reads and writes through any mode bits (CAP_DAC_OVERRIDE): the command runs
        # without those capabilities, as anyone else would.
        if SETPRIV is None:
            pytest.skip("running as root without setpriv: cannot drop CAP_DAC_OVERRIDE")
        caps = "-dac_override,-dac_read_search"
        wrap = (SETPRIV, f"--inh-caps={caps}", f"--bounding-set={caps}")
    try:
        result = _smpkg(project.root, forbidden / "cache", "build", wrap=wrap)
    finally:
        forbidden.chmod(0o755)
    _refused_before_building(result, "Permission denied")
    assert not (forbidden / "cache").exists()


@needs_mounts
def test_full_cache_is_refused_before_building(project, tmp_path):
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    # A 16 KiB tmpfs, filled to the last byte.
    fill = 'mount -t tmpfs -o size=16k tmpfs "$M" && (head -c 16384 /dev/zero > "$M/fill"; true)'
    result = _smpkg(project.root, mount_point / "cache", "build", mount=fill)
    _refused_before_building(result, "No space left on device")


@pytest.mark.parametrize(
    "code, reason",
    [
        (errno.ENOSPC, "No space left on device"),
        (errno.EROFS, "Read-only file system"),
        (errno.EACCES, "Permission denied"),
    ],
)
def test_disk_failing_during_the_build_is_one_line(run, project, monkeypatch, code, reason):
    # The disk fills (or turns read-only, or forbidden) after the check, while the build
    # writes: simulated at the write call, since a disk cannot be made to fill on cue.
    def failing_write(path, triples):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(build, "write_ntriples", failing_write)
    status, _, err = run("build")
    assert status == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("smpkg: error: cannot go on: ") and reason in last
    assert ".nt" in last  # names the file it could not write
    assert "Traceback" not in err
    # The half-written build was removed: a cache entry is whole or absent.
    assert not [p for p in project.cache_path.rglob("*") if p.name.startswith(".build-")]


def test_bad_setting_exits_2_before_any_work(project, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "smpkg.cli", "--root", str(project.root), "build"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={
            "SMPKG_CACHE_DIR": str(tmp_path / "c"),
            "SMPKG_QUERY_TIMEOUT": "-1",
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(REPO),
        },
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "smpkg: error: SMPKG_QUERY_TIMEOUT must be positive"
    ]
