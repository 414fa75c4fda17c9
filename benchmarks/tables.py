"""Markdown cells and tables of the benchmark's report, and the build table: every step of
`smpkg build`, the linked-data products included, in wall and CPU seconds."""

from __future__ import annotations

# The steps of a build in the order it runs them, as the worker reports them: the table,
# the plot and the 1M target name the same ones.
PRODUCT_STEPS = ("store", "statistics", "search", "documents", "explanations", "dumps", "void")
BUILD_STEPS = ("parse", "validate", "reason", "write", *PRODUCT_STEPS, "index")


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def mb(value) -> str:
    return "–" if value is None else f"{value:,.0f} MB"


def table(header: list[str], rows: list[list]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def step_seconds(steps: dict, step: str) -> float | None:
    """A step's seconds in a worker's `steps` (or `cpu_steps`); parsing is two entries."""
    if step == "parse":
        parts = [steps.get("parse ontology"), steps.get("parse data")]
        return None if all(p is None for p in parts) else sum(p or 0 for p in parts)
    return steps.get(step)


def _cell(build: dict, step: str) -> str:
    if step == "validate" and build.get("validation_skipped"):
        return "skipped"
    wall = step_seconds(build.get("steps", {}), step)
    cpu = step_seconds(build.get("cpu_steps", {}), step)
    return fmt(wall) if cpu is None else f"{fmt(wall)} ({fmt(cpu)})"


def _load(build: dict) -> str:
    before, after = build.get("loadavg_before"), build.get("loadavg_after")
    if not before:
        return "–"
    return f"{before[0]:.1f} → {after[0]:.1f}" if after else f"{before[0]:.1f}"


def build_table(results: dict) -> str:
    """One row a build size: each step's wall seconds (CPU seconds in brackets, when the
    worker measured them), the total, the machine's load, memory and the service's start."""
    rows = []
    for b in results.get("build", []):
        total = fmt(b.get("total_seconds")) if "total_seconds" in b else b.get("error", "–")
        rows.append(
            [
                b["size"],
                fmt(b["data_triples"]),
                *(_cell(b, step) if b.get("steps") else "–" for step in BUILD_STEPS),
                total,
                fmt(b.get("cpu_seconds")),
                _load(b),
                mb(b.get("peak_rss_mb")),
                f"{b['serve_start_seconds']:.2f} s" if "serve_start_seconds" in b else "–",
                mb(b.get("serve_rss_mb")),
            ]
        )
    header = [
        "size",
        "data triples",
        *(f"{step} s" for step in BUILD_STEPS),
        "total s",
        "CPU s",
        "load (1 min)",
        "peak memory",
        "serve start",
        "serve memory",
    ]
    note = (
        "Seconds of wall time, CPU seconds of the build process (with the sort(1) it runs for "
        "the dumps) in brackets. `write`: the N-Triples files; `store`, `statistics`, "
        "`search`, `explanations`, `dumps`: the linked-data products (`smpkg/products.py`); "
        "`index`: opening the service's store afterwards. Total: wall seconds of all of them; CPU s: "
        "the whole worker process. Load: the machine's load average before → after.\n\n"
    )
    return note + table(header, rows)
