"""Time to a usable page: the web app's pages loaded in Debian's Chromium (/usr/bin/chromium,
headless, driven by Playwright for Python through `executable_path`; never `playwright
install`).

Each visit opens a new browser context (an empty HTTP cache, as a first visit has), loads the
page and reads the browser's own Navigation Timing entry: the first byte of the HTML
(`responseStart`), `DOMContentLoaded` (its handlers done: the page can be read and used) and
`load` (every script, stylesheet and image too). A page with a picture drawn by script
names a `ready` function (the network's nodes are on the canvas); the time it became true is
read from `performance.now()` in the page, on the same clock. Requests to any host but the
service's are counted (there must be none).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VISIT_TIMEOUT_MS = 180_000
# A picture not drawn by then is reported as not drawn (its data call failed, say).
READY_TIMEOUT_MS = 60_000
NAVIGATION = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  return {ttfb: n.responseStart, dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd,
          status: n.responseStatus || 0};
}"""


@dataclass(frozen=True)
class Page:
    """A page to time: a name for the tables, its path on the service, and a script function
    (`() => ...`; the pages' CSP forbids evaluating an expression) that returns true once its
    picture is drawn (None: DOMContentLoaded is enough)."""

    name: str
    path: str
    ready: str | None = None


class Visit(NamedTuple):
    """One page load, in milliseconds from the start of the navigation."""

    ttfb_ms: float
    dcl_ms: float
    load_ms: float
    ready_ms: float | None
    status: int
    off_host: int  # requests to another host (must be 0)


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median and nearest-rank 95th percentile (with few runs, the p95 is the slowest but
    one or the slowest), with the extremes."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, -(-95 * len(ordered) // 100) - 1))
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "p95": ordered[rank],
        "min": ordered[0],
        "max": ordered[-1],
    }


def visit(browser: Browser, base_url: str, page: Page, timeout_ms: float) -> Visit:
    """One load; one that has not finished after `timeout_ms` is all `inf`, status 0."""
    host = urlsplit(base_url).netloc
    off_host: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        tab.on(
            "request",
            lambda r: off_host.append(r.url) if urlsplit(r.url).netloc != host else None,
        )
        try:
            tab.goto(base_url + page.path, wait_until="load", timeout=timeout_ms)
        except PlaywrightTimeout:
            return Visit(math.inf, math.inf, math.inf, None, 0, len(off_host))
        nav = tab.evaluate(NAVIGATION)
        ready = None
        if page.ready and nav["status"] == 200:  # an error page draws no picture
            try:
                tab.wait_for_function(page.ready, timeout=READY_TIMEOUT_MS)
                ready = float(tab.evaluate("performance.now()"))
            except PlaywrightTimeout:
                ready = None
        return Visit(
            float(nav["ttfb"]),
            float(nav["dcl"]),
            float(nav["load"]),
            ready,
            int(nav["status"]),
            len(off_host),
        )
    finally:
        context.close()


def summarise(visits: Sequence[Visit]) -> dict[str, dict[str, float]]:
    out = {
        "ttfb_ms": summary([v.ttfb_ms for v in visits]),
        "dcl_ms": summary([v.dcl_ms for v in visits]),
        "load_ms": summary([v.load_ms for v in visits]),
    }
    drawn = [v.ready_ms for v in visits if v.ready_ms is not None]
    if drawn:
        out["ready_ms"] = summary(drawn)
    return out


def time_pages(
    base_url: str, pages: Sequence[Page], runs: int, timeout_ms: float = VISIT_TIMEOUT_MS
) -> dict[str, dict]:
    """Each page visited once on a service that has not built its per-snapshot tables yet
    (`first`), then `runs` times (`visits`, summarised; a load that timed out counts as
    `inf`, so it is the slowest)."""
    results: dict[str, dict] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=FLAGS, headless=True
        )
        try:
            first = {page.name: visit(browser, base_url, page, timeout_ms) for page in pages}
            for page in pages:
                visits = [visit(browser, base_url, page, timeout_ms) for _ in range(runs)]
                results[page.name] = {
                    "path": page.path,
                    "first": first[page.name]._asdict(),
                    "visits": [v._asdict() for v in visits],
                    "statuses": sorted({v.status for v in (first[page.name], *visits)}),
                    "off_host_requests": sum(v.off_host for v in (first[page.name], *visits)),
                    **summarise(visits),
                }
        finally:
            browser.close()
    return results
