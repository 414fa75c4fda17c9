"""HTTP throughput and latency with wrk, on 127.0.0.1, against smpkg, `oxigraph
serve-read-only` and rdflib-endpoint serving the same reasoned data.

One server runs at a time (the others are stopped), with the same query texts, the same
request (POST application/sparql-query, Accept application/sparql-results+json) and the same
wrk settings; each load test is bounded by `duration`.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from smpkg.namespaces import GRAPH_FILES, graph_file

from .common import PYTHON, REPO, Project, free_port, run_measured, say, tree_rss_mb

HERE = Path(__file__).resolve().parent
ACCEPT = "application/sparql-results+json"


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    url: str  # the query endpoint
    started_seconds: float
    log: Path

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 80

    def rss_mb(self) -> float:
        return round(tree_rss_mb(self.process.pid), 1)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)


def _wait(process: subprocess.Popen, probe: str, limit: float, log: Path) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}: {log.read_text()[-2000:]}"
            )
        if _status(probe) == 200:
            return time.perf_counter() - started
        time.sleep(0.02)
    raise RuntimeError(f"no answer from {probe} within {limit:.0f} s: {log.read_text()[-2000:]}")


def _status(url: str) -> int | None:
    """The status of a GET of `url`, None while nothing answers. With the standard library's
    client: `httpx.get` makes a TLS context on every call, about 39 ms of CPU, and polled
    every 20 ms it took most of a core from the server whose start-up it timed."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=2)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", target)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def _spawn(args: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    # The child gets its own copy of the descriptor; ours can close once it has started.
    with open(log, "w") as handle:
        return subprocess.Popen(
            args, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True
        )


def nquads(graph_dir: Path, target: Path) -> Path:
    """The built graph's three N-Triples files as one N-Quads file (same triples, same
    named graphs) for the other two servers."""
    if target.exists():
        return target
    tmp = target.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        for name, iri in GRAPH_FILES.items():
            suffix = f" <{iri}> .\n"
            with open(graph_file(graph_dir, name), encoding="utf-8") as source:
                for line in source:
                    line = line.rstrip()
                    if line.endswith(" ."):
                        out.write(line[:-2] + suffix)
    tmp.rename(target)
    return target


def start_smpkg(project: Project, log_dir: Path, workers: int, processes: int = 1) -> Server:
    """`smpkg serve` (with `--workers N` server processes when processes > 1), each with
    `workers` query workers (SMPKG_QUERY_WORKERS)."""
    port = free_port()
    name = "smpkg" if processes <= 1 else f"smpkg-w{processes}"
    log = log_dir / f"{name}.log"
    env = project.env(SMPKG_QUERY_WORKERS=str(workers))
    args = [
        PYTHON,
        "-m",
        "api.cli",
        "--root",
        str(project.root),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    if processes > 1:
        args += ["--workers", str(processes)]
    started = time.perf_counter()
    process = _spawn(args, log, env)
    _wait(process, f"http://127.0.0.1:{port}/health", 600, log)
    return Server(
        name, process, f"http://127.0.0.1:{port}/sparql", time.perf_counter() - started, log
    )


def smpkg_processes(name: str) -> int | None:
    """1 for "smpkg", N for "smpkg-wN" (`smpkg serve --workers N`), None otherwise."""
    if name == "smpkg":
        return 1
    if name.startswith("smpkg-w") and name[7:].isdigit():
        return int(name[7:])
    return None


def ready_seconds(server: Server) -> float | None:
    """What `smpkg serve` reports as the time of create_app (open the build, start the
    workers), from its log."""
    found = re.findall(r"ready in ([\d.]+) s", server.log.read_text())
    return float(found[-1]) if found else None


def start_oxigraph(project: Project, quads: Path, log_dir: Path) -> tuple[Server, float]:
    location = project.root / "oxigraph-store"
    load_seconds = 0.0
    if not (location / "CURRENT").exists():
        shutil.rmtree(location, ignore_errors=True)
        measured = run_measured(
            ["oxigraph", "load", "--location", str(location), "--file", str(quads)], 3600
        )
        if measured.returncode != 0:
            raise RuntimeError(f"oxigraph load failed: {measured.stderr[-2000:]}")
        load_seconds = measured.seconds
    return serve_oxigraph(location, log_dir / "oxigraph.log"), load_seconds


def serve_oxigraph(location: Path, log: Path) -> Server:
    """`oxigraph serve-read-only --union-default-graph` on the store at `location`, once it
    answers."""
    port = free_port()
    started = time.perf_counter()
    args = ["oxigraph", "serve-read-only", "--location", str(location)]
    process = _spawn([*args, "--bind", f"127.0.0.1:{port}", "--union-default-graph"], log)
    _wait(process, f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", 600, log)
    return Server(
        "oxigraph", process, f"http://127.0.0.1:{port}/query", time.perf_counter() - started, log
    )


def start_rdflib_endpoint(quads: Path, log_dir: Path) -> Server:
    port = free_port()
    log = log_dir / "rdflib-endpoint.log"
    started = time.perf_counter()
    exe = shutil.which("rdflib-endpoint") or "rdflib-endpoint"
    process = _spawn([exe, "serve", str(quads), "--host", "127.0.0.1", "--port", str(port)], log)
    # Its endpoint is at / (SparqlEndpoint's default path), whatever its --help says.
    _wait(process, f"http://127.0.0.1:{port}/?query=ASK%7B%7D", 1800, log)
    return Server(
        "rdflib-endpoint", process, f"http://127.0.0.1:{port}/", time.perf_counter() - started, log
    )


def answer_size(url: str, query: str) -> int | None:
    """Rows (SELECT) of one answer, to check that every server answers alike."""
    try:
        response = httpx.post(
            url,
            content=query.encode(),
            timeout=120,
            headers={"Content-Type": "application/sparql-query", "Accept": ACCEPT},
        )
        if response.status_code != 200:
            return None
        body = response.json()
        return (
            len(body["results"]["bindings"])
            if "results" in body
            else int(bool(body.get("boolean")))
        )
    except (httpx.HTTPError, ValueError, KeyError):
        return None


def wrk(
    url: str, queries: list[str] | None, connections: int, duration: float, distinct: bool = False
) -> dict:
    """One wrk run: req/s and latency percentiles from the Lua script's done(). Without
    queries, plain GET requests of the URL."""
    with tempfile.TemporaryDirectory(prefix="smpkg-wrk-") as tmp:
        body_file = Path(tmp) / "queries.txt"
        body_file.write_text("\n#--SMPKG-QUERY--\n".join(queries or []), encoding="utf-8")
        script = HERE / "wrk" / "sparql.lua"
        env = {
            **os.environ,
            "WRK_QUERIES": str(body_file),
            "WRK_DISTINCT": "1" if distinct else "0",
            "WRK_ACCEPT": ACCEPT,
            # Unique to this run: each wrk process counts from 1 again, and without it the
            # warm-up's texts came back in the measured run, answered by the response cache.
            "WRK_RUN": uuid.uuid4().hex[:12],
        }
        threads = max(1, min(connections, 2))
        args = [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{duration:g}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ]
        proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=duration + 90)
    result = None
    load = os.getloadavg()[0]
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
    if result is None:
        raise RuntimeError(f"wrk gave no result: {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
    seconds = result["duration_us"] / 1e6
    errors = sum(result["errors"].values())
    return {
        "connections": connections,
        "requests": result["requests"],
        "rps": round(result["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(result["p50_us"] / 1000, 2),
        "p99_ms": round(result["p99_us"] / 1000, 2),
        "errors": errors,
        "error_detail": result["errors"],
        "seconds": round(seconds, 2),
        "loadavg_1min_after": round(load, 2),
    }


# Each workload at each connection count is measured on every server in ROUNDS rounds of
# an equal share of the duration, the servers' order reversed from one round to the next:
# measured one server after the other, minutes apart, a change of the machine's pace (other
# jobs on a shared host, the CPU's clock) fell on one server and not the other, and moved a
# ratio by more than a fifth between two runs of the same code. Two rounds of five seconds
# were still too few: the pace changes within seconds (one server's two rounds of one run
# differed by a third while the other's by 3 %), so the rounds are short and many.
ROUNDS = 5


def round_plan(duration: float) -> tuple[int, int]:
    """(rounds, seconds of each) for a load test of `duration` seconds: wrk takes whole
    seconds, so up to ROUNDS rounds of at least one second."""
    whole = max(1, int(duration))
    rounds = min(ROUNDS, whole)
    return rounds, whole // rounds


def run_http(
    project: Project,
    graph_dir: Path,
    workloads: list[dict],
    connections: list[int],
    duration: float,
    servers: list[str],
    workers: int,
    log_dir: Path,
) -> dict:
    """Every workload at every connection count against every server: the servers are
    started one after the other and then run side by side, each measured while the others
    wait idle, in rounds (`round_plan`)."""
    quads = nquads(graph_dir, project.root / "reasoned.nq")
    out: dict = {
        "servers": {},
        "workloads": [w["name"] for w in workloads],
        "rounds": round_plan(duration)[0],
    }
    running: dict[str, Server] = {}
    try:
        for name in servers:
            say(f"http {project.size.label}: starting {name}")
            running[name], out["servers"][name] = _start_server(
                name, project, quads, workers, log_dir
            )
        for workload in workloads:
            rows = {name: answer_size(s.url, workload["queries"][0]) for name, s in running.items()}
            for c in connections:
                say(f"  {workload['name']} c={c}: {', '.join(running)}")
                for name, result in _rounds(running, workload, c, duration).items():
                    result.update({"workload": workload["name"], "rows": rows[name]})
                    out["servers"][name]["runs"].append(result)
        for name, server in running.items():
            out["servers"][name]["rss_mb"] = server.rss_mb()
    finally:
        for server in running.values():
            server.stop()
    return out


def _start_server(
    name: str, project: Project, quads: Path, workers: int, log_dir: Path
) -> tuple[Server, dict]:
    load_seconds = None
    if smpkg_processes(name):
        server = start_smpkg(project, log_dir, workers, smpkg_processes(name))
    elif name == "oxigraph":
        server, load_seconds = start_oxigraph(project, quads, log_dir)
    else:
        server = start_rdflib_endpoint(quads, log_dir)
    record: dict = {"start_seconds": round(server.started_seconds, 3), "runs": []}
    if load_seconds:
        record["load_seconds"] = round(load_seconds, 3)
    return server, record


def _rounds(running: dict[str, Server], workload: dict, c: int, duration: float) -> dict:
    """One workload at `c` connections on every running server, in rounds (`round_plan`):
    each server's figures over its rounds (`combined`)."""
    names = list(running)
    results: dict[str, list[dict]] = {name: [] for name in names}
    rounds, seconds = round_plan(duration)
    for turn in range(rounds):
        for name in names if turn % 2 == 0 else names[::-1]:
            url = running[name].url
            if turn == 0:
                # A short warm-up (fills caches where a server has them, as in service).
                wrk(url, workload["queries"], min(c, 2), 1, workload["distinct"])
            results[name].append(wrk(url, workload["queries"], c, seconds, workload["distinct"]))
    return {name: combined(runs) for name, runs in results.items()}


def combined(rounds: list[dict]) -> dict:
    """wrk's figures of several rounds as one run: requests, errors and seconds added up, the
    rate over them all; the latency percentiles are the rounds' own, weighted by their
    requests (wrk reports percentiles, not the latencies they come from)."""
    requests = sum(r["requests"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)

    def weighted(key: str) -> float:
        if not requests:
            return max(r[key] for r in rounds)
        return round(sum(r[key] * r["requests"] for r in rounds) / requests, 2)

    detail: dict[str, int] = {}
    for r in rounds:
        for kind, count in r["error_detail"].items():
            detail[kind] = detail.get(kind, 0) + count
    return {
        "connections": rounds[0]["connections"],
        "requests": requests,
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": weighted("p50_ms"),
        "p99_ms": weighted("p99_ms"),
        "errors": sum(r["errors"] for r in rounds),
        "error_detail": detail,
        "seconds": round(seconds, 2),
        "loadavg_1min_after": rounds[-1]["loadavg_1min_after"],
        "rounds_rps": [r["rps"] for r in rounds],
    }
