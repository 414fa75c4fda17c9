"""The researchers' web app, timed at the curated size and at a million triples:

    python -m benchmarks.webapp --work-dir /tmp/smpkg-bench --update-readme
    python -m benchmarks.webapp --sizes curated --runs 3        # a smoke run (a minute)

Per size (`benchmarks.common` sizes; the project and its build are kept under `--work-dir`
and reused by the next run, as `benchmarks.run` does):

1. **search in-process** (`benchmarks.search` in a subprocess): the service created
   in-process over the build, its index obtained as the first search obtains it (loaded from
   the build's stored index, `smpkg.search_product`; its load time and CPU time reported),
   then the query mix timed as `SearchIndex.search` alone and as `GET /api/search` through
   the ASGI app; then the index as the build makes it (`--from-store`: rows read from the
   build's store, built, written, loaded), over the same mix;
2. `smpkg serve` started on the build, and each page (`/`, a programme's resource page, the
   network picture of that programme) loaded once in Chromium before anything else has asked
   for it (`first`: the service builds its per-snapshot tables then), then `--runs` times
   (`benchmarks.pages`);
3. **search over HTTP**: the first `/api/search` (it loads the index in the running service),
   then the same query mix, one request at a time on one keep-alive connection, timed at the
   client (so loopback and the client's parsing are included: an upper bound of the server's
   time per query).

Raw results: `<out>/webapp.json` (every sample); the tables: `<out>/webapp.md`, and with
`--update-readme` the section of benchmarks/README.md between its webapp markers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

from smpkg.config import DEFAULT_BASE

from .common import (
    PYTHON,
    Project,
    Size,
    cpu_seconds,
    machine,
    make_project,
    parse_sizes,
    run_measured,
    say,
)
from .http import start_smpkg
from .pages import CHROMIUM, Page, time_pages
from .run import built_directory, compile_bytecode
from .search import LIMIT, Query, by_kind, percentiles
from .webapp_report import render, update_readme

RESULTS = Path(__file__).resolve().parent / "results"
# The programme the pages show: THAMM on the curated graph, its counterpart on a synthetic
# one (benchmarks.synthetic maps every named-query example to one).
PROGRAMME = "https://w3id.org/smpkg/id/programme/thamm"
# A function, not an expression: the page's CSP forbids the eval that an expression needs.
NETWORK_DRAWN = (
    "() => { const e = document.getElementById('network');"
    " return !!e && Number(e.dataset.nodes) > 0; }"
)


def app_pages(project: Project, base_iri: str = DEFAULT_BASE) -> list[Page]:
    programme = project.mapping.get(PROGRAMME, PROGRAMME)
    return [
        Page("home", "/"),
        Page("resource page (programme)", "/" + programme.removeprefix(base_iri)),
        Page(
            "network (programme)",
            "/pictures/network?focus=" + quote(programme, safe=""),
            ready=NETWORK_DRAWN,
        ),
    ]


def search_in_process(project: Project, queries: int, seed: int, timeout: float) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        target = Path(handle.name)
    try:
        measured = run_measured(
            [PYTHON, "-m", "benchmarks.search", "--root", str(project.root)]
            + ["--queries", str(queries), "--seed", str(seed), "--out", str(target)],
            timeout,
            env=project.env(),
        )
        if measured.returncode != 0 or measured.timed_out:
            raise RuntimeError(f"benchmarks.search failed: {measured.stderr[-3000:]}")
        result = json.loads(target.read_text())
    finally:
        target.unlink(missing_ok=True)
    result["peak_rss_mb"] = round(measured.max_rss_mb, 1)
    return result


def failure_reason(message: str) -> str:
    """The reason a subprocess gave: its last error of smpkg's own (a query past its deadline,
    say) rather than what broke after it (the workers' pipes), else its last line."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    own = [line for line in lines if line.startswith("smpkg.errors.")]
    return (own or lines or ["failed"])[-1][:300]


def search_over_http(base_url: str, server_pid: int, queries: list[Query]) -> dict:
    with httpx.Client(base_url=base_url, timeout=600) as client:
        started = time.perf_counter()
        client.get("/api/search", params={"q": "a", "limit": str(LIMIT)}).raise_for_status()
        first = time.perf_counter() - started
        if not queries:
            return {"first_request_seconds": first, "error": "no query mix to replay"}
        samples = []
        cpu_before = cpu_seconds(server_pid)
        for q in queries:
            started = time.perf_counter()
            r = client.get("/api/search", params={"q": q.text, "limit": str(LIMIT)})
            samples.append(time.perf_counter() - started)
            r.raise_for_status()
        server_cpu = cpu_seconds(server_pid) - cpu_before
    return {
        "first_request_seconds": first,
        "request": percentiles(samples),
        "request_by_kind": by_kind(queries, samples),
        # The server process's CPU time over the replay, per query (a mean: /proc counts
        # in clock ticks).
        "server_cpu_ms_per_query": server_cpu * 1000 / max(1, len(queries)),
    }


def search_from_store(project: Project, args) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        target = Path(handle.name)
    store = built_directory(project, args.build_timeout) / "oxigraph"
    try:
        measured = run_measured(
            [PYTHON, "-m", "benchmarks.search", "--from-store", str(store)]
            + ["--queries", str(args.queries), "--seed", str(args.seed), "--out", str(target)],
            args.build_timeout,
            env=project.env(),
        )
        if measured.returncode != 0 or measured.timed_out:
            return {"error": failure_reason(measured.stderr)}
        result = json.loads(target.read_text())
    finally:
        target.unlink(missing_ok=True)
    result["peak_rss_mb"] = round(measured.max_rss_mb, 1)
    return result


def measure_size(size: Size, args) -> dict:
    project = make_project(size, args.work_dir, args.seed)
    started = time.perf_counter()
    built_directory(project, args.build_timeout)
    record: dict = {
        "size": size.label,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadavg_before": os.getloadavg(),
        "data_triples": project.data_triples,
        "build_or_reuse_seconds": round(time.perf_counter() - started, 1),
    }
    say(f"webapp {size.label}: search in-process")
    try:
        search = search_in_process(project, args.queries, args.seed, args.build_timeout)
    except RuntimeError as exc:
        search = {"error": failure_reason(str(exc))}
    queries = [Query(**q) for q in search.pop("queries", [])]
    record["search"] = search
    say(f"webapp {size.label}: the index alone, built from the store")
    record["search_store"] = search_from_store(project, args)
    log_dir = project.root / "logs"
    log_dir.mkdir(exist_ok=True)
    server = start_smpkg(project, log_dir, args.workers)
    base_url = server.url.removesuffix("/sparql")
    try:
        record["serve_start_seconds"] = round(server.started_seconds, 2)
        pages = app_pages(project)
        say(f"webapp {size.label}: pages in Chromium ({args.runs} runs each)")
        record["pages"] = time_pages(base_url, pages, args.runs, args.visit_timeout * 1000)
        say(f"webapp {size.label}: search over HTTP")
        try:
            record["search_http"] = search_over_http(
                base_url, server.process.pid, queries[: args.http_queries]
            )
        except httpx.HTTPError as exc:
            record["search_http"] = {"error": failure_reason(str(exc))}
        record["serve_rss_mb"] = server.rss_mb()
    finally:
        server.stop()
    return record


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="curated,1M", help="sizes (curated, 20k, 1M...)")
    p.add_argument("--runs", type=int, default=9, help="loads of each page after the first")
    p.add_argument("--queries", type=int, default=3000, help="queries of the search mix")
    p.add_argument(
        "--http-queries", type=int, default=1000, help="of them, asked over HTTP as well"
    )
    p.add_argument("--workers", type=int, default=2, help="query workers of the service")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--visit-timeout", type=float, default=180, help="seconds a page may take to load"
    )
    p.add_argument(
        "--merge",
        action="store_true",
        help="keep the other sizes of the results file (measure some sizes again)",
    )
    p.add_argument("--build-timeout", type=float, default=3600)
    p.add_argument("--work-dir", type=Path, help="where projects are kept (default: temporary)")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--update-readme", action="store_true")
    return p


def chromium_version() -> str | None:
    try:
        done = subprocess.run(
            [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="smpkg-webapp-"))
    args.out.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    results: dict = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {**machine(), "chromium": chromium_version()},
        "loadavg_before": os.getloadavg(),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "sizes": [],
    }
    sizes = parse_sizes(args.sizes)
    previous = args.out / "webapp.json"
    if args.merge and previous.exists():
        measuring = {size.label for size in sizes}
        kept = json.loads(previous.read_text())["sizes"]
        results["sizes"] = [s for s in kept if s["size"] not in measuring]
    began = time.perf_counter()
    for size in sizes:
        results["sizes"].append(measure_size(size, args))
        results["loadavg_after"] = os.getloadavg()
        results["seconds"] = round(time.perf_counter() - began, 1)
        (args.out / "webapp.json").write_text(json.dumps(results, indent=1) + "\n")
    tables = render(results)
    (args.out / "webapp.md").write_text(tables)
    if args.update_readme:
        update_readme(tables)
    print(tables)
    return 0


if __name__ == "__main__":
    sys.exit(main())
