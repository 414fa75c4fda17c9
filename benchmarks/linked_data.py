"""The linked-data side at scale: resource pages, VoID and a full dump from `smpkg serve`,
beside the same resources fetched as a DESCRIBE from the Oxigraph server over the same data.

    python -m benchmarks.linked_data [--size 1M] [--work-dir DIR] [--requests 200]

The project of the size is made (or reused) by `benchmarks.common.make_project` and built by
`smpkg build` (its products: the on-disk store, the statistics, the derivation index, the
dumps). Then, on 127.0.0.1, each server over one keep-alive connection:

- `smpkg serve` (default settings): the first resource page after start (Turtle, then another
  resource as HTML), then `--requests` distinct resources (IRIs with an `smp:acronym`, drawn
  with a fixed seed) as Turtle and as HTML; the first VoID request and repeats; the full
  N-Quads dump read to the end, with the server's resident memory sampled every 20 ms (the
  server process alone and with its query workers) and the read speed beside two reads of the
  same file: a plain read (from the page cache: memory speed) and an O_DIRECT read (the disk);
  the server's CPU time per page beside each latency;
- `oxigraph serve-read-only --union-default-graph` on the build's own on-disk store (the same
  quads), started beside smpkg once smpkg's first pages are fetched: its first request, then
  `DESCRIBE <iri>` as Turtle for the same resources. The two servers' Turtle pages are
  fetched in ROUNDS rounds of an equal share of the resources, taking turns at going first, so
  that a change of the machine's pace, and whichever server reads a resource's part of the
  store first, falls on both alike.

Figures go to `benchmarks/results/linked-data.json`, the targets to stdout. `python -m
benchmarks.run --parts linked-data` runs the same measurement as a part of the suite, on the
build the build part made, with its rows in the Targets table."""

from __future__ import annotations

import argparse
import http.client
import json
import mmap
import os
import random
import statistics
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from smpkg.build import build
from smpkg.config import Settings
from smpkg.dumps import dump_name
from smpkg.formats import BY_KEY

from .common import (
    PYTHON,
    REPO,
    Project,
    cpu_seconds,
    machine,
    make_project,
    parse_size,
    run_measured,
    say,
    tree_rss_mb,
)
from .http import Server, serve_oxigraph, start_smpkg

ID = "https://w3id.org/smpkg/id/"
SAMPLE = """SELECT DISTINCT ?s WHERE { ?s <https://w3id.org/smpkg/ontology#acronym> ?a
  FILTER(STRSTARTS(STR(?s), "https://w3id.org/smpkg/id/")) } LIMIT 5000"""


class Client:
    """One keep-alive HTTP/1.1 connection; `get` returns (status, seconds, body size)."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def get(self, path: str, accept: str) -> tuple[int, float, int]:
        started = time.perf_counter()
        self.connection.request("GET", path, headers={"Accept": accept})
        response = self.connection.getresponse()
        size = 0
        while block := response.read(1 << 20):
            size += len(block)
        return response.status, time.perf_counter() - started, size


def _ms(values: list[float]) -> dict:
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)

    return {"n": len(values), "p50": at(0.5), "p95": at(0.95), "p99": at(0.99)}


def _timed(client: Client, paths: list[str], accept: str, pid: int | None = None):
    """Each path fetched once: the wall times, and the server's CPU seconds for all of them."""
    times = []
    cpu = cpu_seconds(pid) if pid else 0.0
    for path in paths:
        status, seconds, _ = client.get(path, accept)
        if status != 200:
            raise RuntimeError(f"{path}: {status}")
        times.append(seconds)
    return times, (cpu_seconds(pid) - cpu if pid else None)


def _summary(times: list[float], cpu: float | None) -> dict:
    out = _ms(times)
    if cpu is not None:
        out["server_cpu_ms"] = round(1000 * cpu / len(times), 2)
    return out


def _pages(client: Client, paths: list[str], accept: str, pid: int | None = None) -> dict:
    return _summary(*_timed(client, paths, accept, pid))


def _resources(port: int, count: int, seed: int) -> list[str]:
    client = Client(port)
    query = urllib.parse.urlencode({"query": SAMPLE})
    client.connection.request(
        "GET", f"/sparql?{query}", headers={"Accept": "application/sparql-results+json"}
    )
    rows = json.loads(client.connection.getresponse().read())["results"]["bindings"]
    iris = sorted(row["s"]["value"] for row in rows)
    return random.Random(seed).sample(iris, min(count, len(iris)))


class MemoryWatch:
    """The peak resident memory of a process (alone, and with its descendants)."""

    def __init__(self, pid: int):
        self.pid, self.alone, self.tree = pid, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tree = max(self.tree, tree_rss_mb(self.pid))
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.alone = max(self.alone, int(line.split()[1]) / 1024)
            time.sleep(0.02)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


def _disk_read(path: Path) -> float:
    """MB/s of reading a file in 1 MiB blocks from the page cache (it was just served): the
    speed of memory, not of the disk."""
    started = time.perf_counter()
    with path.open("rb") as handle:
        while handle.read(1 << 20):
            pass
    return path.stat().st_size / (1 << 20) / (time.perf_counter() - started)


def _direct_read(path: Path) -> float:
    """MB/s of reading a file with O_DIRECT in 4 MiB blocks: from the disk itself, whatever
    the page cache holds (the speed a dump not read recently is served at, at best)."""
    buffer = mmap.mmap(-1, 4 << 20)  # page-aligned, as O_DIRECT requires
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    started = time.perf_counter()
    try:
        while os.readv(fd, [buffer]):
            pass
    finally:
        os.close(fd)
    return path.stat().st_size / (1 << 20) / (time.perf_counter() - started)


def measure_smpkg(
    project: Project, build_dir: Path, requests: int, log_dir: Path
) -> tuple[dict, dict]:
    """`smpkg serve` (and, beside it for the Turtle pages, the Oxigraph server): the figures
    of each."""
    server = start_smpkg(project, Path(project.root), workers=2)
    port = server.port
    client = Client(port)
    first = project.mapping.get(f"{ID}programme/thamm") or f"{ID}programme/thamm"
    second = project.mapping.get(f"{ID}programme/mentor-ii") or first
    out: dict = {"started_seconds": round(server.started_seconds, 2)}
    try:
        out["first_turtle_ms"] = round(1000 * client.get(_path(first), "text/turtle")[1], 1)
        out["first_html_ms"] = round(1000 * client.get(_path(second), "text/html")[1], 1)
        iris = _resources(port, requests, seed=0)
        pid = server.process.pid
        say("oxigraph serve-read-only on the same store, beside it")
        out["turtle"], oxigraph = beside_oxigraph(build_dir, iris, client, pid, log_dir)
        out["html"] = _pages(client, [_path(iri) for iri in iris], "text/html", pid)
        status, seconds, _ = client.get("/.well-known/void", "text/turtle")
        if status != 200:
            raise RuntimeError(f"/.well-known/void: {status}")
        out["void_first_ms"] = round(1000 * seconds, 1)
        out["void"] = _pages(client, ["/.well-known/void"] * 50, "text/turtle")
        out["dump"] = _dump(client, server, build_dir)
        out["rss_after_mb"] = server.rss_mb()
    finally:
        server.stop()
    return out, oxigraph


DUMP_READS = 5


def _dump(client: Client, server: Server, build_dir: Path) -> dict:
    """The full N-Quads dump read DUMP_READS times over the same connection: the first read
    and the median (a steady streaming speed; one read on a busy machine says little), each
    file read beside it likewise the median of DUMP_READS."""
    name = dump_name("full", BY_KEY["nquads"])
    reads = []
    with MemoryWatch(server.process.pid) as watch:
        for _ in range(DUMP_READS):
            status, seconds, size = client.get(f"/download/{name}", "application/n-quads")
            if status != 200:
                raise RuntimeError(f"/download/{name}: {status}")
            reads.append(size / (1 << 20) / seconds)
    local = next(build_dir.glob(f"dumps-*/{name}"))
    return {
        "status": status,
        "mb": round(size / (1 << 20), 1),
        "first_mb_per_s": round(reads[0], 1),
        "mb_per_s": round(statistics.median(reads), 1),
        "disk_mb_per_s": round(statistics.median(_disk_read(local) for _ in reads), 1),
        "direct_mb_per_s": round(statistics.median(_direct_read(local) for _ in reads), 1),
        "peak_rss_server_mb": round(watch.alone, 1),
        "peak_rss_with_workers_mb": round(watch.tree, 1),
    }


def _path(iri: str) -> str:
    return "/" + iri[len("https://w3id.org/smpkg/") :]


# The Turtle pages of both servers are fetched in rounds, taking turns at going first: one
# pass each, one after the other, put a change of the machine's pace (another process, the
# CPU's clock) between the two servers, and on a shared machine that moved the p50 by more
# than the two servers differ.
ROUNDS = 5


@dataclass
class _Side:
    """One server's Turtle pages over the rounds."""

    client: Client
    path: Callable[[str], str]  # a resource's IRI -> the path that fetches it
    pid: int
    times: list[float] = field(default_factory=list)
    cpu: float = 0.0

    def fetch(self, iris: list[str]) -> None:
        times, cpu = _timed(self.client, [self.path(i) for i in iris], "text/turtle", self.pid)
        self.times += times
        self.cpu += cpu or 0.0

    def summary(self) -> dict:
        return _summary(self.times, self.cpu)


def beside_oxigraph(
    build_dir: Path, iris: list[str], client: Client, pid: int, log_dir: Path
) -> tuple[dict, dict]:
    """The resources as Turtle from smpkg (on `client`, server process `pid`) and as a
    DESCRIBE from `oxigraph serve-read-only` on the build's own store, started here beside
    it, in ROUNDS rounds; each resource once from each server. Returns (smpkg's Turtle pages,
    Oxigraph's figures)."""
    server = serve_oxigraph(build_dir / "oxigraph", log_dir / "oxigraph-ld.log")
    try:
        theirs = Client(server.port)

        def describe(iri: str) -> str:
            return "/query?" + urllib.parse.urlencode({"query": f"DESCRIBE <{iri}>"})

        out: dict = {"started_seconds": round(server.started_seconds, 2)}
        out["first_turtle_ms"] = round(1000 * theirs.get(describe(iris[0]), "text/turtle")[1], 1)
        mine, other = _Side(client, _path, pid), _Side(theirs, describe, server.process.pid)
        for turn in range(ROUNDS):
            for side in (mine, other) if turn % 2 == 0 else (other, mine):
                side.fetch(iris[turn::ROUNDS])
        out["turtle"] = other.summary()
        out["rounds"] = ROUNDS
        out["rss_after_mb"] = server.rss_mb()
    finally:
        server.stop()
    return mine.summary(), out


def measure(project: Project, build_dir: Path, requests: int) -> dict:
    """Both servers over the build in `build_dir`, with the load average beside the figures
    (wall times on a busy machine say little; the server's CPU time per page says more)."""
    say(f"smpkg serve on {build_dir}")
    loadavg_before = os.getloadavg()
    smpkg, oxigraph = measure_smpkg(project, build_dir, requests, Path(project.root))
    return {
        "size": project.size.label,
        "data_triples": project.data_triples,
        "machine": machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadavg_before": loadavg_before,
        "loadavg_after": os.getloadavg(),
        "smpkg": smpkg,
        "oxigraph": oxigraph,
    }


def target_rows(record: dict) -> list[tuple[str, str, bool | None]]:
    """The targets of the linked-data side (issue 10) against one run: (target, measured,
    met); met is None when the figure is missing."""
    size = record.get("size", "?")
    mine, theirs = record.get("smpkg", {}), record.get("oxigraph", {})
    p50 = mine.get("turtle", {}).get("p50")
    ox_p50 = theirs.get("turtle", {}).get("p50")
    dump = mine.get("dump", {})
    speed, disk, direct = (dump.get(k) for k in ("mb_per_s", "disk_mb_per_s", "direct_mb_per_s"))
    rss = dump.get("peak_rss_server_mb")

    def row(target: str, shown: str, ok) -> tuple[str, str, bool | None]:
        return (f"linked data, {size}: {target}", shown, ok)

    def below(value, limit):
        return None if value is None else value < limit

    cpu = mine.get("turtle", {}).get("server_cpu_ms")
    first = mine.get("first_turtle_ms")
    void_first = mine.get("void_first_ms")
    return [
        row("first resource page after start < 200 ms", f"{first} ms", below(first, 200)),
        row(
            "resource page (Turtle) p50 < 20 ms",
            f"{p50} ms" + (f" ({cpu} ms server CPU)" if cpu is not None else ""),
            below(p50, 20),
        ),
        row(
            "resource page p50 ≤ Oxigraph's DESCRIBE p50",
            f"{p50} ms vs {ox_p50} ms",
            None if p50 is None or ox_p50 is None else p50 <= ox_p50,
        ),
        row("VoID, first request after start < 50 ms", f"{void_first} ms", below(void_first, 50)),
        row(
            "full N-Quads dump ≥ disk speed (O_DIRECT read of the file)",
            f"{speed} MB/s (median of {DUMP_READS}; first {dump.get('first_mb_per_s')}) vs "
            f"{direct} MB/s from the disk, {disk} MB/s from the page cache",
            None if speed is None or direct is None else speed >= direct,
        ),
        row("server resident memory < 500 MB throughout", f"{rss} MB peak", below(rss, 500)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1M")
    parser.add_argument("--work-dir", default="/tmp/smpkg-linked-data")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    project = make_project(parse_size(args.size), Path(args.work_dir), seed=0)
    say(f"building {project.root} (cached when unchanged)")
    built = run_measured(
        [PYTHON, "-m", "smpkg.cli", "--root", str(project.root), "build"], 7200, env=project.env()
    )
    if built.returncode != 0:
        raise SystemExit(built.stderr[-2000:])
    settings = Settings.from_env(root=project.root, cache_dir=project.cache)
    kg = build(settings)
    result = {
        **measure(project, kg.directory, args.requests),
        "build": kg.version,
        "reasoning": kg.report.as_dict(),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "linked-data.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    for target, shown, ok in target_rows(result):
        print(f"{target}: {shown} ({'met' if ok else 'not met' if ok is False else '-'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
