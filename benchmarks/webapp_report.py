"""The web app benchmark's tables (benchmarks.webapp), and their place in benchmarks/README.md
(between the webapp markers, so that the rest of the file is left as it is)."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- webapp:begin -->", "<!-- webapp:end -->"
# Server time per search query, p99 (issue 12): by data triples up to which it applies.
SEARCH_TARGETS_MS = ((100_000, 20.0), (float("inf"), 100.0))


def search_target_ms(data_triples: int) -> float:
    return next(ms for up_to, ms in SEARCH_TARGETS_MS if data_triples <= up_to)


def ms(value: float | None) -> str:
    if value is None:
        return "–"
    if value == float("inf"):
        return "timed out"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def spread(p: dict) -> str:
    return f"{ms(p['p50_ms'])} / {ms(p['p95_ms'])} / {ms(p['p99_ms'])}"


def _machine(results: dict) -> str:
    m = results["machine"]
    before = ", ".join(f"{x:.1f}" for x in results["loadavg_before"])
    after = ", ".join(f"{x:.1f}" for x in results.get("loadavg_after", ()))
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, {m['os']}; Python "
        f"{m['python']}; {m.get('chromium') or 'Chromium'}. Run started {results['started']}, "
        f"took {results.get('seconds', 0):,.0f} s. The machine was shared with other jobs "
        f"while it ran (load average {before} before, {after} after), so the tails (p95, p99) "
        f"hold their pauses."
    )


def _verdict(p99_ms: float, target: float) -> str:
    return "**met**" if p99_ms < target else "**missed**"


def _search_rows(sizes: list[dict]) -> list[str]:
    rows = [
        "| graph | data triples | resources / names | index ready | index p50 / p95 / p99 "
        "| request in-process p50 / p95 / p99 | its CPU time p50 / p95 / p99 "
        "| request over HTTP p50 / p95 / p99 (server CPU, mean) | target: p99 "
        "| verdict: wall / CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        s, h = size["search"], size["search_http"]
        target = search_target_ms(size["data_triples"])
        if "error" in s or "error" in h:
            failed = s.get("error") or h.get("error")
            rows.append(
                f"| {size['size']} | {size['data_triples']:,} | – | failed: {failed} "
                "| – | – | – | – "
                f"| < {target:g} ms | **missed** |"
            )
            continue
        rows.append(
            f"| {size['size']} | {size['data_triples']:,} | {s['entries']:,} / {s['names']:,} "
            f"| {_index_ready(s)} (HTTP: {h['first_request_seconds']:.2f} s) "
            f"| {spread(s['index'])} | {spread(s['request'])} | {spread(s['request_cpu'])} "
            f"| {spread(h['request'])} ({ms(h['server_cpu_ms_per_query'])}) "
            f"| < {target:g} ms | {_verdict(s['request']['p99_ms'], target)} / "
            f"{_verdict(s['request_cpu']['p99_ms'], target)} |"
        )
    return rows


def _index_ready(s: dict) -> str:
    """How long the service took to have its index, and from where (older results: the
    build through the query workers)."""
    if "index_load_seconds" not in s:
        return f"{s['index_build_seconds']:.1f} s"
    return (
        f"{s['index_load_seconds']:.2f} s, CPU {s['index_load_cpu_seconds']:.2f} s "
        f"({s.get('index_source', '?')})"
    )


def _timed(s: dict, name: str) -> str:
    """`<name>_seconds` in wall time, with its CPU time when recorded."""
    cpu = s.get(f"{name}_cpu_seconds")
    wall = f"{s[name + '_seconds']:.2f} s"
    return wall if cpu is None else f"{wall} (CPU {cpu:.2f} s)"


def _store_rows(sizes: list[dict]) -> list[str]:
    rows = [
        "| graph | resources / names | rows read | index build | file written / loaded "
        "| index p50 / p95 / p99 | its CPU time p50 / p95 / p99 | target: p99 "
        "| verdict: wall / CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        s = size.get("search_store")
        if not s:
            continue
        if "error" in s:
            rows.append(f"| {size['size']} | failed: {s['error']} | | | | | | | |")
            continue
        target = search_target_ms(size["data_triples"])
        rows.append(
            f"| {size['size']} | {s['entries']:,} / {s['names']:,} "
            f"| {_timed(s, 'rows_read')} | {_timed(s, 'index_build')} "
            f"| {_timed(s, 'index_write') if 'index_write_seconds' in s else '–'} / "
            f"{_timed(s, 'index_load') if 'index_load_seconds' in s else '–'} "
            f"| {spread(s['index'])} | {spread(s['index_cpu'])} | < {target:g} ms "
            f"| {_verdict(s['index']['p99_ms'], target)} / "
            f"{_verdict(s['index_cpu']['p99_ms'], target)} |"
        )
    return rows


def _store_section(sizes: list[dict]) -> list[str]:
    if not any(size.get("search_store") for size in sizes):
        return []
    return [
        "The index as the build makes it (`smpkg.search_product`; `benchmarks.search "
        "--from-store`), in the benchmark's process: the search queries' rows read from the "
        "build's on-disk store without their ORDER BY, the index built, its file written and "
        "loaded back as the server loads it, then the same mix on it.",
        "",
        *_store_rows(sizes),
        "",
    ]


def _kind_rows(sizes: list[dict]) -> list[str]:
    rows = [
        "| graph | kind | queries | index p50 / p99 | request in-process p50 / p99 "
        "| request over HTTP p50 / p99 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for size in sizes:
        s, h = size["search"], size["search_http"]
        if "error" in s or "error" in h:
            continue
        for kind, index in s["index_by_kind"].items():
            request = s["request_by_kind"][kind]
            http = h["request_by_kind"].get(kind)
            over_http = f"{ms(http['p50_ms'])} / {ms(http['p99_ms'])}" if http else "–"
            rows.append(
                f"| {size['size']} | {kind} | {index['n']} "
                f"| {ms(index['p50_ms'])} / {ms(index['p99_ms'])} "
                f"| {ms(request['p50_ms'])} / {ms(request['p99_ms'])} | {over_http} |"
            )
    return rows


def _page_rows(sizes: list[dict]) -> list[str]:
    rows = [
        "| graph | page | first visit: first byte / DCL / load | DOMContentLoaded median / p95 "
        "| load median / p95 | first byte median | picture drawn median / p95 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        for name, page in size["pages"].items():
            first = page["first"]
            drawn = page.get("ready_ms")
            rows.append(
                f"| {size['size']} | {name} (`{page['path'][:60]}`) "
                f"| {ms(first['ttfb_ms'])} / {ms(first['dcl_ms'])} / {ms(first['load_ms'])} "
                f"| {ms(page['dcl_ms']['median'])} / {ms(page['dcl_ms']['p95'])} "
                f"| {ms(page['load_ms']['median'])} / {ms(page['load_ms']['p95'])} "
                f"| {ms(page['ttfb_ms']['median'])} "
                f"| {ms(drawn['median']) + ' / ' + ms(drawn['p95']) if drawn else '–'} |"
            )
    return rows


def render(results: dict) -> str:
    sizes = results["sizes"]
    runs = sizes[0]["pages"] and next(iter(sizes[0]["pages"].values()))["dcl_ms"]["n"]
    lines = [
        "### Machine",
        "",
        _machine(results),
        "",
        "### Search: server time per query (ms)",
        "",
        *_search_rows(sizes),
        "",
        "*index*: `SearchIndex.search` alone; *request in-process*: `GET /api/search` through "
        "the ASGI app in the benchmark's process (the server's whole time, no network; the "
        "target applies to it), in wall time and in the thread's CPU time (without the waits "
        "for a core); *over HTTP*: the running `smpkg serve` on 127.0.0.1, timed at the client, "
        "with the server process's CPU time per query. *Index ready*: "
        "the time the service in-process took to have its index at the first search (loaded "
        "from the build's stored index, or built from the search queries through the query "
        "workers where there is none; the source is named), and the first `/api/search` of "
        "the running service (which does the same).",
        "",
        *_store_section(sizes),
        "By kind of query:",
        "",
        *_kind_rows(sizes),
        "",
        f"### Time to a usable page (ms, Chromium, {runs} loads each after the first)",
        "",
        *_page_rows(sizes),
        "",
        "From the start of the navigation, by the browser's Navigation Timing, each load in a "
        "new browser context (empty cache). *First visit*: the page's first load after the "
        "service started, when it builds what it caches per snapshot. *Picture drawn*: the "
        "network's nodes on the canvas. p95 is nearest-rank over the loads.",
        "",
    ]
    statuses = {
        f"{size['size']} {name}": page["statuses"]
        for size in sizes
        for name, page in size["pages"].items()
        if page["statuses"] != [200] or page["off_host_requests"]
    }
    if statuses:
        lines += [f"Pages that did not answer 200 alone, or asked another host: {statuses}", ""]
    return "\n".join(lines)


def update_readme(tables: str, readme: Path = README) -> None:
    """Put `tables` between the markers (the markers must be there)."""
    text = readme.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n\n{tables.strip()}\n\n{END}{tail}")
