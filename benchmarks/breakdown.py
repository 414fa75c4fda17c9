"""Where an HTTP request's time goes: the same wrk load (4 connections) against

- a bare uvicorn + Starlette app and a bare FastAPI app that return a fixed answer (the
  ceiling of the Python HTTP stack here, with nothing else in the way);
- smpkg's GET /health (routing and the middleware stack, no query);
- smpkg's POST /sparql of a query it has cached (no worker, no engine);
- oxigraph server's POST /query of the same query (the reference).

Beside each run, the CPU time per request of the server process and of its helpers (smpkg's
query workers): wall figures on two shared cores say how fast, these say what each request
costs, and where.

The executor stages (engine, serialisation, the pipe to a worker) are timed in-process by
`benchmarks.worker executor`; validation by `benchmarks.worker validate`.
"""

from __future__ import annotations

from .common import PYTHON, Project, cpu_seconds, free_port, process_tree, run_measured
from .http import _spawn, _wait, nquads, ready_seconds, start_oxigraph, start_smpkg, wrk
from .queries import HTTP_ADHOC


def costed(
    url: str,
    queries: list[str],
    pid: int,
    duration: float,
    connections: int = 4,
    distinct: bool = False,
) -> dict:
    """A wrk run with the CPU milliseconds per request the process `pid`
    spent (`server_cpu_ms`) and its descendants did (`helpers_cpu_ms`)."""
    tree = process_tree(pid)
    before = {p: cpu_seconds(p) for p in tree}
    result = wrk(url, queries, connections, duration, distinct)
    spent = {}
    for p in tree:
        try:
            spent[p] = cpu_seconds(p) - before[p]
        except OSError:  # a worker replaced meanwhile: its time is lost with it
            continue
    requests = max(result["requests"], 1)
    result["server_cpu_ms"] = round(1000 * spent.get(pid, 0.0) / requests, 3)
    result["helpers_cpu_ms"] = round(
        1000 * sum(v for p, v in spent.items() if p != pid) / requests, 3
    )
    return result


def http_stack(project: Project, args) -> list[dict]:
    log_dir = project.root / "logs"
    log_dir.mkdir(exist_ok=True)
    query = HTTP_ADHOC[0].render("breakdown")
    duration = args.duration
    connections = 4
    rows = []

    def record(name: str, result: dict) -> None:
        result["target"] = name
        rows.append(result)

    for app in ("starlette_app", "fastapi_app"):
        port = free_port()
        log = log_dir / f"bare-{app}.log"
        process = _spawn(
            [
                PYTHON,
                "-m",
                "uvicorn",
                f"benchmarks.bare_app:{app}",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            log,
        )
        try:
            url = f"http://127.0.0.1:{port}/sparql"
            _wait(process, url, 60, log)
            wrk(url, [query], 2, 1)
            record(
                f"bare uvicorn + {app.split('_')[0]} (fixed answer)",
                costed(url, [query], process.pid, duration),
            )
        finally:
            process.terminate()
            process.wait(timeout=10)

    nonce = [HTTP_ADHOC[0].text]  # the same query, a new text every request
    server = start_smpkg(project, log_dir, args.workers)
    try:
        base = server.url.rsplit("/", 1)[0]
        wrk(base + "/health", None, 2, 1)
        pid = server.process.pid
        record("smpkg GET /health", costed(base + "/health", [], pid, duration))
        wrk(server.url, [query], 2, 1)
        record("smpkg POST /sparql, cached answer", costed(server.url, [query], pid, duration))
        for c in (1, connections):
            record(
                f"smpkg POST /sparql, uncached (new text each time), c={c}",
                costed(server.url, nonce, pid, duration, connections=c, distinct=True),
            )
    finally:
        server.stop()
    graph_dir = sorted(project.cache.glob("*/build.json"))[0].parent
    oxigraph, _ = start_oxigraph(project, nquads(graph_dir, project.root / "reasoned.nq"), log_dir)
    try:
        pid = oxigraph.process.pid
        wrk(oxigraph.url, [query], 2, 1)
        record("oxigraph POST /query (same query)", costed(oxigraph.url, [query], pid, duration))
        for c in (1, connections):
            record(
                f"oxigraph POST /query, new text each time, c={c}",
                costed(oxigraph.url, nonce, pid, duration, connections=c, distinct=True),
            )
    finally:
        oxigraph.stop()
    return rows


def startup(project: Project, args) -> dict:
    """The start-up of `smpkg serve` from the build cache, in phases: the interpreter, the
    imports of the service, create_app (open the cached build, start the workers, count the
    dataset) and the first /health answer."""
    bare = run_measured([PYTHON, "-c", "pass"], 60)
    imports = run_measured(
        [PYTHON, "-c", "import uvicorn, api.cli; from api import create_app"],
        60,
        env=project.env(),
    )
    worker_imports = run_measured(
        [PYTHON, "-c", "import smpkg.executor, smpkg.build, smpkg.oxigraph_engine, smpkg.formats"],
        60,
        env=project.env(),
    )
    log_dir = project.root / "logs"
    log_dir.mkdir(exist_ok=True)
    runs = []
    for _ in range(3):
        server = start_smpkg(project, log_dir, args.workers)
        runs.append((server.started_seconds, ready_seconds(server)))
        server.stop()
    best = min(runs)
    return {
        "python_seconds": round(bare.seconds, 3),
        "imports_seconds": round(imports.seconds, 3),
        "worker_imports_seconds": round(worker_imports.seconds, 3),
        "create_app_seconds": best[1],
        "to_health_seconds": round(best[0], 3),
        "runs": [round(r[0], 3) for r in runs],
    }
