"""The smpkg benchmark suite, in one command:

    python -m benchmarks.run            # everything at the default sizes (about an hour)
    python -m benchmarks.run --quick    # a smoke run: the curated size, short load tests

See benchmarks/README.md for what is measured and the latest results. Parts (`--parts`):

- build      `smpkg build` per size in a subprocess: parse, validate, reason, write, the
             linked-data products (store, statistics, search, explanations, dumps) and
             index, in wall and CPU seconds, peak memory (ru_maxrss), the load average, and
             the start-up of `smpkg serve` from the built store;
- closure    OWL 2 RL closure by owlrl (the reference; skipped where its predicted time
             exceeds --owlrl-budget) and by the compiled reasoner, and whether they are equal;
- latency    in-process p50/p99 of every named query and the ad-hoc set, on the oxigraph and
             the rdflib engine (execution + serialisation to SPARQL JSON);
- http       wrk against smpkg, `oxigraph serve-read-only` and rdflib-endpoint serving the
             same reasoned data: a repeated named query, and distinct ad-hoc queries (no two
             requests alike), at each connection count, the servers side by side and
             measured in turn, in rounds (`http.round_plan`: five of a fifth of the
             duration, fewer for a short one), each in the order of the round before
             reversed;
- breakdown  where the time goes: the HTTP stack alone (bare uvicorn apps, smpkg's routes,
             cached and uncached), the executor (engine, serialisation, the pipe to a worker,
             the result cache) and the start-up of the service in phases;
- validation pySHACL and each data-quality check timed on their own, per size;
- linked-data resource pages, VoID and the full dump from `smpkg serve` beside the same
             resources as a DESCRIBE from `oxigraph serve-read-only` (benchmarks.linked_data),
             at --linked-data-size, on the build the build part made when there is one.

Results: benchmarks/results/latest.json (every figure), latest.md (the tables),
latest.png (the plot); --update-readme writes the tables into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from smpkg.build import cache_key, input_files
from smpkg.config import Settings
from smpkg.queries import load_named_queries

from .breakdown import http_stack, startup
from .common import (
    PYTHON,
    REPO,
    Project,
    Size,
    machine,
    make_project,
    parse_size,
    parse_sizes,
    run_measured,
    say,
)
from .http import run_http, start_smpkg
from .linked_data import measure as measure_linked_data
from .queries import HTTP_ADHOC, example_values, inline
from .report import render_tables, write_outputs

RESULTS = Path(__file__).resolve().parent / "results"
ALL_PARTS = ("build", "closure", "latency", "http", "breakdown", "validation", "linked-data")
NAMED_FOR_HTTP = "initiatives-by-origin"


# --------------------------------------------------------------------------- build


def built_directory(project: Project, timeout: float) -> Path:
    """The project's built graph of the current code (building it once if no part has yet):
    the cache entry of its inputs' key, not any older entry beside it (a change of the build's
    products makes a new entry)."""
    settings = Settings.from_env({}, root=project.root, cache_dir=project.cache)
    expected = settings.cache_path / cache_key(settings, input_files(settings))[:16]
    if (expected / "build.json").exists():
        return expected
    say(f"building {project.size.label} for the other parts")
    measured = run_measured(
        [PYTHON, "-m", "smpkg.cli", "--root", str(project.root), "build"],
        timeout,
        env=project.env(),
    )
    if measured.returncode != 0:
        raise RuntimeError(f"build of {project.size.label} failed: {measured.stderr[-3000:]}")
    return expected


def part_build(project: Project, args) -> dict:
    skip_validation = project.data_triples > args.validate_up_to
    if project.cache.exists():
        shutil.rmtree(project.cache)
    say(
        f"build {project.size.label} ({project.data_triples} data triples"
        f"{', validation skipped' if skip_validation else ''})"
    )
    env = project.env()
    if skip_validation:
        env["BENCH_SKIP_VALIDATION"] = "1"
    load_before = os.getloadavg()
    measured = run_measured(
        [PYTHON, "-m", "benchmarks.worker", "build", str(project.root)], args.build_timeout, env=env
    )
    record = {
        "size": project.size.label,
        "data_triples": project.data_triples,
        "scale": project.scale,
        "generate_seconds": project.generate_seconds,
        "validation_skipped": skip_validation,
        "peak_rss_mb": round(measured.max_rss_mb, 1),
        "wall_seconds": round(measured.seconds, 3),
        "cpu_seconds": measured.cpu_seconds,
        # The machine may be shared: wall time means little without its load.
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    if measured.timed_out:
        record["error"] = f"stopped at the {args.build_timeout:g} s limit"
        return record
    lines = measured.json_lines()
    if measured.returncode != 0 or not lines:
        record["error"] = measured.stderr.strip().splitlines()[-1:] or ["failed"]
        return record
    record.update(lines[-1])
    # The service, started from the store just built (the build cache), until /health.

    log_dir = project.root / "logs"
    log_dir.mkdir(exist_ok=True)
    try:
        server = start_smpkg(project, log_dir, args.workers)
        record["serve_start_seconds"] = round(server.started_seconds, 3)
        record["serve_rss_mb"] = server.rss_mb()
        server.stop()
    except RuntimeError as exc:
        record["serve_error"] = str(exc)[-500:]
    return record


# --------------------------------------------------------------------------- closure


def part_closure(project: Project, args, owlrl_rate: list) -> dict:
    """owlrl and the compiled reasoner on the same data; owlrl_rate carries the seconds per
    asserted triple owlrl took on the largest size so far, to predict the next."""
    out_dir = project.root / "closure"
    out_dir.mkdir(exist_ok=True)
    record = {"size": project.size.label, "data_triples": project.data_triples}
    for reasoner in ("compiled", "owlrl"):
        if reasoner == "owlrl" and owlrl_rate:
            predicted = owlrl_rate[-1] * (project.data_triples + 900)
            if predicted > args.owlrl_budget:
                record["owlrl"] = {
                    "skipped": f"predicted {predicted:.0f} s > budget {args.owlrl_budget:g} s"
                }
                continue
        say(f"closure {project.size.label}: {reasoner}")
        target = out_dir / f"{reasoner}.nt"
        limit = args.owlrl_budget if reasoner == "owlrl" else args.build_timeout
        measured = run_measured(
            [
                PYTHON,
                "-m",
                "benchmarks.worker",
                "closure",
                str(project.root),
                reasoner,
                str(target),
            ],
            limit,
            env=project.env(),
        )
        if measured.timed_out:
            record[reasoner] = {"skipped": f"stopped at the budget of {limit:g} s"}
            continue
        lines = measured.json_lines()
        if measured.returncode != 0 or not lines:
            record[reasoner] = {"error": measured.stderr.strip().splitlines()[-1:]}
            continue
        result = lines[-1]
        result["peak_rss_mb"] = round(measured.max_rss_mb, 1)
        record[reasoner] = result
        record["asserted"] = result["asserted"]
        if reasoner == "owlrl":
            owlrl_rate.append(result["seconds"] / result["asserted"])
    fast, ref = record.get("compiled", {}), record.get("owlrl", {})
    if "seconds" in fast and "seconds" in ref:
        a = (out_dir / "compiled.nt").read_text(encoding="utf-8")
        b = (out_dir / "owlrl.nt").read_text(encoding="utf-8")
        record["equal"] = a == b
        if not record["equal"]:
            sa, sb = set(a.splitlines()), set(b.splitlines())
            record["only_compiled"] = sorted(sa - sb)[:5]
            record["only_owlrl"] = sorted(sb - sa)[:5]
        record["speedup"] = round(ref["seconds"] / fast["seconds"], 1)
    return record


# --------------------------------------------------------------------------- latency


def part_latency(project: Project, args) -> dict:
    built_directory(project, args.build_timeout)
    record = {"size": project.size.label, "data_triples": project.data_triples, "engines": {}}
    engines = ["oxigraph"] + (["rdflib"] if project.data_triples <= args.rdflib_up_to else [])
    for engine in engines:
        say(f"latency {project.size.label}: {engine}")
        measured = run_measured(
            [
                PYTHON,
                "-m",
                "benchmarks.worker",
                "latency",
                str(project.root),
                engine,
                "--mapping",
                json.dumps(project.mapping),
                "--budget",
                str(args.query_budget),
            ],
            args.latency_timeout,
            env=project.env(),
        )
        lines = measured.json_lines()
        record["engines"][engine] = {
            "open_seconds": next(
                (line["seconds"] for line in lines if line.get("kind") == "open"), None
            ),
            "queries": [line for line in lines if line.get("kind") in ("named", "adhoc")],
            "complete": not measured.timed_out and measured.returncode == 0,
        }
    return record


# --------------------------------------------------------------------------- http


def http_workloads(project: Project) -> list[dict]:

    named = load_named_queries(project.root / "queries")[NAMED_FOR_HTTP]
    bindings = named.bindings(example_values(named, project.mapping))
    return [
        {
            "name": f"repeated named query ({NAMED_FOR_HTTP})",
            "key": "repeated",
            "queries": [inline(named, bindings)],
            "distinct": False,
        },
        {
            "name": f"distinct ad-hoc queries ({len(HTTP_ADHOC)} shapes, unique nonce)",
            "key": "distinct",
            "queries": [q.text for q in HTTP_ADHOC],
            "distinct": True,
        },
    ]


def part_http(project: Project, args) -> dict:

    graph_dir = built_directory(project, args.build_timeout)
    log_dir = project.root / "logs"
    log_dir.mkdir(exist_ok=True)
    workloads = http_workloads(project)
    servers = list(args.servers)
    if project.data_triples > args.rdflib_up_to and "rdflib-endpoint" in servers:
        servers.remove("rdflib-endpoint")
    result = run_http(
        project,
        graph_dir,
        workloads,
        args.connections,
        args.duration,
        servers,
        args.workers,
        log_dir,
    )
    result["size"] = project.size.label
    result["data_triples"] = project.data_triples
    result["keys"] = {w["name"]: w["key"] for w in workloads}
    result["loadavg_after"] = os.getloadavg()
    return result


# --------------------------------------------------------------------------- breakdown


def part_breakdown(project: Project, args) -> dict:

    built_directory(project, args.build_timeout)
    record = {"size": project.size.label, "data_triples": project.data_triples}
    say(f"breakdown {project.size.label}: executor stages")
    measured = run_measured(
        [PYTHON, "-m", "benchmarks.worker", "executor", str(project.root)], 600, env=project.env()
    )
    record["executor"] = measured.json_lines()
    say(f"breakdown {project.size.label}: HTTP stack")
    record["http_stack"] = http_stack(project, args)
    say(f"breakdown {project.size.label}: start-up")
    record["startup"] = startup(project, args)
    return record


def part_validation(project: Project, args) -> dict:
    """Validation broken down: the compiled validator's parts, then (up to
    --pyshacl-up-to) the pySHACL reference, each line printed as it ends, so that a run
    stopped at the limit keeps what it measured."""
    say(f"validation breakdown {project.size.label}")
    measured = run_measured(
        [
            PYTHON,
            "-m",
            "benchmarks.worker",
            "validate",
            str(project.root),
            "--pyshacl-up-to",
            str(args.pyshacl_up_to),
        ],
        args.validation_timeout,
        env=project.env(),
    )
    parts = measured.json_lines()
    if measured.timed_out:
        parts.append(
            {"part": "(stopped at the limit)", "stopped": True, "seconds": args.validation_timeout}
        )
    return {
        "size": project.size.label,
        "data_triples": project.data_triples,
        "peak_rss_mb": round(measured.max_rss_mb, 1),
        "parts": parts,
    }


# --------------------------------------------------------------------------- main


def part_linked_data(project: Project, args) -> dict:
    """The linked-data side at one size, on the build the build part made (built now when
    no part has)."""
    return measure_linked_data(
        project, built_directory(project, args.build_timeout), args.linked_data_requests
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--parts",
        default=",".join(ALL_PARTS),
        help=f"comma-separated parts to run (default: all of {', '.join(ALL_PARTS)})",
    )
    p.add_argument(
        "--build-sizes",
        default="curated,1x,10x,100x,1M",
        help="sizes for the build part: curated (the repository's data), Nx (N times "
        "the curated size, synthetic) or a number of data triples (20k, 1M)",
    )
    p.add_argument("--closure-sizes", default="2k,20k,200k", help="sizes for the closure part")
    p.add_argument("--latency-sizes", default="curated,20k", help="sizes for the latency part")
    p.add_argument("--http-sizes", default="curated,20k", help="sizes for the HTTP part")
    p.add_argument(
        "--breakdown-sizes",
        default="curated",
        help="sizes for the breakdown (HTTP stack, executor stages, start-up)",
    )
    p.add_argument(
        "--validation-sizes",
        default="curated,10x,100x,1M",
        help="sizes for the validation breakdown (the compiled validator's parts, "
        "and the pySHACL reference up to --pyshacl-up-to)",
    )
    p.add_argument(
        "--pyshacl-up-to",
        default="30k",
        help="largest size validated by the pySHACL reference as well",
    )
    p.add_argument(
        "--validation-timeout",
        type=float,
        default=1500.0,
        help="seconds per size for the validation breakdown",
    )
    p.add_argument(
        "--linked-data-size", default="1M", help="size for the linked-data part (one size)"
    )
    p.add_argument(
        "--linked-data-requests",
        type=int,
        default=200,
        help="distinct resources fetched per format in the linked-data part",
    )
    p.add_argument("--connections", default="1,4,16", help="wrk connection counts")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per wrk load test")
    p.add_argument(
        "--servers",
        default="smpkg,smpkg-w2,oxigraph,rdflib-endpoint",
        help="servers for the HTTP part: smpkg (`smpkg serve`), smpkg-wN (`smpkg "
        "serve --workers N`), oxigraph, rdflib-endpoint",
    )
    p.add_argument(
        "--workers", type=int, default=2, help="smpkg query workers (SMPKG_QUERY_WORKERS)"
    )
    p.add_argument(
        "--owlrl-budget",
        type=float,
        default=400.0,
        help="seconds owlrl may take per size; sizes predicted to exceed it are skipped",
    )
    p.add_argument(
        "--validate-up-to",
        default="all",
        help="largest size (data triples) whose build includes validation; larger "
        "builds skip it (default: every build validates)",
    )
    p.add_argument(
        "--rdflib-up-to",
        default="60k",
        help="largest size served by the rdflib engine / rdflib-endpoint",
    )
    p.add_argument("--build-timeout", type=float, default=3600.0, help="seconds per build")
    p.add_argument(
        "--latency-timeout",
        type=float,
        default=900.0,
        help="seconds per engine for the latency part",
    )
    p.add_argument(
        "--query-budget",
        type=float,
        default=1.0,
        help="seconds of repetitions per query in the latency part",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    p.add_argument(
        "--work-dir",
        help="where the temporary projects go (kept, and reused by the "
        "next run with the same seed, when given)",
    )
    p.add_argument("--out", default=str(RESULTS), help="results directory")
    p.add_argument(
        "--update-readme",
        action="store_true",
        help="write the tables and the plot into benchmarks/README.md",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: curated size only (closure at 2k), 2 s load tests, 1 and 4 connections",
    )
    return p


def _triples(text: str) -> int:
    if text == "all":
        return int(1e12)
    size = parse_size(text)
    return size.triples if size.triples is not None else int(1e12)


def compile_bytecode() -> None:
    """Write the bytecode of the repository's packages before anything is timed. An
    installed package has it (pip compiles at install time); a checkout run with
    PYTHONDONTWRITEBYTECODE=1, or just edited, would compile every changed module from
    source at each start of a server, and the start-up figures would measure that."""
    for package in ("smpkg", "api"):
        compileall.compile_dir(REPO / package, quiet=1)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.quick:
        args.build_sizes, args.closure_sizes = "curated", "2k"
        args.latency_sizes = args.http_sizes = args.breakdown_sizes = "curated"
        args.validation_sizes = "curated"
        args.linked_data_size, args.linked_data_requests = "curated", 50
        args.duration, args.connections, args.query_budget = 2.0, "1,4", 0.3
        args.owlrl_budget = min(args.owlrl_budget, 120)
    args.connections = [int(c) for c in args.connections.split(",")]
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    args.validate_up_to = _triples(args.validate_up_to)
    args.pyshacl_up_to = _triples(args.pyshacl_up_to)
    args.rdflib_up_to = _triples(args.rdflib_up_to)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(ALL_PARTS)
    if unknown:
        raise SystemExit(f"unknown part(s): {', '.join(sorted(unknown))}")
    if "http" in parts and not shutil.which("wrk"):
        raise SystemExit("the http part needs wrk (Debian: apt-get install wrk)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="smpkg-bench-"))
    work.mkdir(parents=True, exist_ok=True)

    results = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "loadavg_before": os.getloadavg(),
        "settings": {k: v for k, v in vars(args).items() if k not in ("func",)},
        "build": [],
        "closure": [],
        "latency": [],
        "http": [],
        "breakdown": [],
        "validation": [],
        "linked_data": [],
    }
    projects: dict[str, Project] = {}

    def project(size: Size) -> Project:
        if size.label not in projects:
            projects[size.label] = make_project(size, work, args.seed)
        return projects[size.label]

    def save() -> None:
        write_outputs(results, out, update_readme=args.update_readme)

    started = time.perf_counter()
    try:
        rate: list = []  # owlrl's seconds per triple so far, to skip sizes over its budget
        steps = [
            ("closure", args.closure_sizes, lambda p: part_closure(p, args, rate)),
            ("build", args.build_sizes, lambda p: part_build(p, args)),
            ("latency", args.latency_sizes, lambda p: part_latency(p, args)),
            ("http", args.http_sizes, lambda p: part_http(p, args)),
            ("breakdown", args.breakdown_sizes, lambda p: part_breakdown(p, args)),
            ("validation", args.validation_sizes, lambda p: part_validation(p, args)),
            ("linked-data", args.linked_data_size, lambda p: part_linked_data(p, args)),
        ]
        for part, sizes, run in steps:
            if part in parts:
                for size in parse_sizes(sizes):
                    results[part.replace("-", "_")].append(run(project(size)))
                    save()
    finally:
        results["seconds"] = round(time.perf_counter() - started, 1)
        save()
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)

    print(render_tables(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
