"""What the benchmark runs in a subprocess of its own, so that its time and peak memory are
measured alone and a run past its budget can be stopped: `python -m benchmarks.worker ...`.

Every subcommand prints JSON lines on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path


def _emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def _settings(root: str, **overrides):
    from smpkg.config import Settings

    return Settings.from_env(root=Path(root), **overrides)


def cmd_build(args) -> None:
    """`smpkg build --force`, then loading the built graph into an oxigraph store (index)."""
    from smpkg.build import build, cpu_seconds, open_engine

    settings = _settings(args.root)
    if os.environ.get("BENCH_SKIP_VALIDATION"):
        # Past --validate-up-to: the build as `smpkg build` runs it, but with validation
        # answering "conforms" at once (its cost at scale is measured by the breakdown).
        import smpkg.build
        import smpkg.validate
        from smpkg.validate import ValidationReport

        def conforms(*args, **kwargs):
            return ValidationReport([])

        # build() imports validate from smpkg.validate when it runs (or at import time, in
        # older versions): replace it in both places.
        smpkg.validate.validate = conforms
        smpkg.build.validate = conforms
    started, cpu_started = time.perf_counter(), cpu_seconds()
    kg = build(settings, force=True)
    built = time.perf_counter() - started
    steps = dict(kg.timings)
    steps["write"] = round(built - sum(kg.timings.values()), 3)
    cpu_steps = dict(kg.cpu_timings)
    cpu_steps["write"] = round(cpu_seconds() - cpu_started - sum(cpu_steps.values()), 3)
    extra = {}
    t0, c0 = time.perf_counter(), cpu_seconds()
    try:
        # The index the service opens: the build's on-disk oxigraph store, with the dataset
        # statistics, written the first time a server starts on the build (or here).
        from smpkg.disk_store import DISK_STORE_DIR, open_disk_store
        from smpkg.serving import prepare_store
        from smpkg.statistics import dataset_statistics

        prepare_store(kg, settings)
        steps["index"] = round(time.perf_counter() - t0, 3)
        cpu_steps["index"] = round(cpu_seconds() - c0, 3)
        engine = open_disk_store(kg.directory / DISK_STORE_DIR)
        t1 = time.perf_counter()
        dataset_statistics(engine)
        extra["statistics_seconds"] = round(time.perf_counter() - t1, 3)
        extra["index_kind"] = "on-disk store (bulk load, optimize, dataset statistics)"
    except ImportError:  # an smpkg without on-disk stores: the in-memory load
        engine = open_engine(kg, "oxigraph")
        steps["index"] = round(time.perf_counter() - t0, 3)
        cpu_steps["index"] = round(cpu_seconds() - c0, 3)
        extra["index_kind"] = "in-memory store"
    report = kg.report.as_dict()
    _emit(
        {
            "steps": steps,
            # CPU seconds of this process per step (the build's own, with sort(1)'s in the
            # dumps): the measure that a loaded machine does not inflate.
            "cpu_steps": cpu_steps,
            "build_seconds": round(built, 3),
            "total_seconds": round(built + steps["index"], 3),
            "asserted": report["asserted"],
            "inferred": report["inferred"],
            "closure": report["closure"],
            "reasoner": report["reasoner"],
            "store_quads": len(engine),
            "warnings": kg.warnings,
            "directory": str(kg.directory),
            **extra,
        }
    )


def cmd_closure(args) -> None:
    """One reasoner on one project's data: time, sizes, and the inferred triples on disk."""
    from smpkg.build import input_files
    from smpkg.load import load_turtle
    from smpkg.reason import reason, reason_fast

    settings = _settings(args.root)
    files = input_files(settings)
    ontology = load_turtle(files["ontology"], settings.root).graph
    data = load_turtle(files["data"], settings.root).graph
    started = time.perf_counter()
    if args.reasoner == "owlrl":
        inferred, report = reason(ontology + data)
    else:
        inferred, report, _ = reason_fast(ontology, data)
    seconds = time.perf_counter() - started
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in inferred)
    Path(args.out).write_text("".join(lines), encoding="utf-8")
    _emit(
        {
            "reasoner": args.reasoner,
            "seconds": round(seconds, 3),
            "asserted": len(ontology) + len(data),
            "data": len(data),
            "closure": report.closure,
            "inferred": len(inferred),
        }
    )


def _service_engine(kg, settings, kind: str):
    """The engine a query worker of the service opens: for oxigraph, the build's on-disk
    store (written here if no server has yet); for rdflib, the N-Triples files in memory."""
    from smpkg.build import open_engine

    if kind == "oxigraph":
        try:
            from smpkg.disk_store import DISK_STORE_DIR, open_disk_store
            from smpkg.serving import prepare_store

            prepare_store(kg, settings)
            return open_disk_store(kg.directory / DISK_STORE_DIR), "on-disk store"
        except ImportError:
            pass
    return open_engine(kg, kind), "in memory"


def _timed(fn, budget: float, max_reps: int, min_reps: int = 3) -> list[float]:
    samples = []
    spent = 0.0
    while len(samples) < max_reps:
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        samples.append(dt)
        spent += dt
        if spent >= budget and len(samples) >= min_reps:
            break
        if dt > budget:  # one run is over the whole budget: one sample is all we take
            break
    return samples


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def cmd_latency(args) -> None:
    """In-process latency of every named query and the ad-hoc set on one engine: execution
    and serialisation to SPARQL JSON (what a query worker does for a request)."""
    from smpkg.build import build
    from smpkg.formats import BY_KEY, serialize_answer
    from smpkg.queries import load_named_queries

    from .queries import ADHOC, example_values, inline

    settings = _settings(args.root)
    mapping = json.loads(args.mapping) if args.mapping else {}
    kg = build(settings)
    t0 = time.perf_counter()
    engine, store = _service_engine(kg, settings, args.engine)
    _emit(
        {
            "kind": "open",
            "engine": args.engine,
            "store": store,
            "seconds": round(time.perf_counter() - t0, 3),
        }
    )
    fmt_json, fmt_turtle = BY_KEY["json"], BY_KEY["turtle"]

    def measure(kind: str, name: str, text: str, bindings: dict, check_inline: bool = False):
        def once():
            answer = engine.execute(text, bindings=bindings or None, max_rows=settings.max_rows)
            serialize_answer(answer, fmt_turtle if answer.is_graph else fmt_json)
            return answer

        try:
            first = once()
            samples = _timed(once, args.budget, args.max_reps)
        except Exception as exc:  # noqa: BLE001 - reported, the next query runs
            _emit(
                {
                    "kind": kind,
                    "name": name,
                    "engine": args.engine,
                    "error": f"{type(exc).__name__}: {exc}"[:300],
                }
            )
            return
        rows = (
            len(first.triples)
            if first.is_graph
            else (int(bool(first.boolean)) if first.form == "ASK" else len(first.rows))
        )
        record = {
            "kind": kind,
            "name": name,
            "engine": args.engine,
            "n": len(samples),
            "p50_ms": round(_pct(samples, 50) * 1000, 3),
            "p99_ms": round(_pct(samples, 99) * 1000, 3),
            "mean_ms": round(statistics.fmean(samples) * 1000, 3),
            "rows": rows,
        }
        if check_inline and bindings:
            named = queries[name]
            inlined = engine.execute(inline(named, bindings), max_rows=settings.max_rows)
            record["inline_rows_equal"] = len(inlined.rows) == len(first.rows)
        _emit(record)

    queries = load_named_queries(settings.queries_dir)
    for name, named in sorted(queries.items()):
        bindings = named.bindings(example_values(named, mapping))
        measure("named", name, named.text, bindings, check_inline=True)
    for adhoc in ADHOC:
        measure("adhoc", adhoc.name, adhoc.render("0"), {})


def cmd_executor(args) -> None:
    """Where a request's time goes below HTTP: the engine alone, execution + serialisation,
    and the same query through the executor (pickling, the pipe to a worker process and back),
    uncached (a nonce makes every text new) and cached."""
    from smpkg.build import build
    from smpkg.cache import QUERY_MIN_USES
    from smpkg.executor import QueryExecutor, Source
    from smpkg.formats import BY_KEY, serialize_answer

    from .queries import ADHOC

    settings = _settings(args.root)
    kg = build(settings)
    engine, store = _service_engine(kg, settings, "oxigraph")
    adhoc = {q.name: q for q in ADHOC}[args.query]
    counter = iter(range(10**9))
    fmt = BY_KEY["json"]
    accept = "application/sparql-results+json"

    from smpkg.build import open_engine

    memory = open_engine(kg, "oxigraph")

    def engine_only():
        engine.execute(adhoc.render(str(next(counter))), max_rows=settings.max_rows)

    def memory_only():
        memory.execute(adhoc.render(str(next(counter))), max_rows=settings.max_rows)

    def engine_serialise():
        answer = engine.execute(adhoc.render(str(next(counter))), max_rows=settings.max_rows)
        serialize_answer(answer, fmt)

    executor = QueryExecutor(
        Source.of_graph(kg, "oxigraph"),
        workers=1,
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
        version=kg.version,
    )
    executor.start()
    try:

        def through_executor():
            executor.execute_blocking(adhoc.render(str(next(counter))), accept=accept)

        cached_text = adhoc.render("cached")
        for _ in range(QUERY_MIN_USES):  # kept from this use on
            executor.execute_blocking(cached_text, accept=accept)

        def cached():
            executor.execute_blocking(cached_text, accept=accept)

        for name, fn in (
            ("engine.execute, in-memory store", memory_only),
            (f"engine.execute, {store}", engine_only),
            (f"engine.execute + serialise JSON, {store}", engine_serialise),
            ("executor, uncached (pipe to a worker)", through_executor),
            ("executor, cached (no worker)", cached),
        ):
            for _ in range(20):
                fn()  # warm up
            samples = _timed(fn, args.budget, 100_000, 50)
            _emit(
                {
                    "stage": name,
                    "query": args.query,
                    "n": len(samples),
                    "p50_ms": round(_pct(samples, 50) * 1000, 4),
                    "p99_ms": round(_pct(samples, 99) * 1000, 4),
                    "per_second_one_thread": round(len(samples) / sum(samples), 1),
                }
            )
    finally:
        executor.close()


def cmd_validate(args) -> None:
    """Validation broken down: the compiled validator's parts (store, shapes, each check on
    the store), then, up to --pyshacl-up-to asserted triples, the pySHACL reference (and the
    checks on rdflib) for comparison. Peak memory is the process's, so run one per size."""
    import resource

    from smpkg.build import input_files
    from smpkg.load import load_turtle
    from smpkg.validate import load_checks, load_shapes, validate

    settings = _settings(args.root)
    files = input_files(settings)
    ontology = load_turtle(files["ontology"], settings.root).graph
    t0 = time.perf_counter()
    data = load_turtle(files["data"], settings.root)
    size = len(data.triples)  # no rdflib graph: the compiled validator does not make one
    _emit(
        {
            "part": "parse data (pyoxigraph, not part of validation)",
            "seconds": round(time.perf_counter() - t0, 3),
            "data": size,
        }
    )
    shapes = load_shapes(Path(args.shapes) if args.shapes else settings.shapes_dir)
    checks = load_checks(Path(args.checks) if args.checks else settings.checks_dir)
    validators = ["compiled"] + (["pyshacl"] if size <= args.pyshacl_up_to else [])
    found = {}
    for validator in validators:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        timings: dict = {}
        t0 = time.perf_counter()
        report = validate(data, ontology, shapes, checks, validator=validator, timings=timings)
        total = time.perf_counter() - t0
        for part, seconds in timings.items():
            _emit({"validator": validator, "part": part, "seconds": seconds})
        _emit(
            {
                "validator": validator,
                "part": "total",
                "seconds": round(total, 3),
                "data": size,
                "violations": report.violation_count,
                "warnings": len(report.warnings),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                "peak_rss_before_mb": before // 1024,
            }
        )
        found[validator] = {
            (f.severity, f.focus, f.source, f.path, f.value) for f in report.findings
        }
    if len(found) == 2:
        _emit(
            {
                "part": "compiled vs pyshacl",
                "same_findings": found["compiled"] == found["pyshacl"],
                "only_compiled": len(found["compiled"] - found["pyshacl"]),
                "only_pyshacl": len(found["pyshacl"] - found["compiled"]),
            }
        )


def main(argv=None) -> None:
    top = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build")
    p.add_argument("root")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("closure")
    p.add_argument("root")
    p.add_argument("reasoner", choices=["owlrl", "compiled"])
    p.add_argument("out")
    p.set_defaults(func=cmd_closure)
    p = sub.add_parser("latency")
    p.add_argument("root")
    p.add_argument("engine", choices=["oxigraph", "rdflib"])
    p.add_argument("--mapping", default="")
    p.add_argument("--budget", type=float, default=1.0)
    p.add_argument("--max-reps", type=int, default=200)
    p.set_defaults(func=cmd_latency)
    p = sub.add_parser("executor")
    p.add_argument("root")
    p.add_argument("--query", default="initiatives-of-a-country")
    p.add_argument("--budget", type=float, default=2.0)
    p.set_defaults(func=cmd_executor)
    p = sub.add_parser("validate")
    p.add_argument("root")
    p.add_argument(
        "--pyshacl-up-to",
        type=int,
        default=300_000,
        help="run the pySHACL reference only up to this many asserted triples",
    )
    p.add_argument("--shapes", help="shapes directory (default: the root's)")
    p.add_argument("--checks", help="checks directory (default: the root's)")
    p.set_defaults(func=cmd_validate)
    args = top.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
