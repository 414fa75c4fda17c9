"""The README's screenshots: one PNG per main view of the web app in docs/screenshots/, taken
in Debian's Chromium (as the end-to-end tests drive it, tests/browser.py) at 1280 px wide, the
viewport only, then reduced to a 256-colour palette so the repository stays small.

    python tests/screenshots.py                      # every view, on a service started here
    python tests/screenshots.py network timeline     # some views
    python tests/screenshots.py editor=/sparql/edit  # a view at another address
    python tests/screenshots.py --url http://127.0.0.1:8000 home

Without --url the script starts `smpkg serve` over the repository's graph on 127.0.0.1, as the
browser tests do. A view whose page does not answer 200 (one not built yet) is reported and
left out; the exit status is then 1, so a view can be added once its page exists.
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from pathlib import Path

# browser and conftest: this script sits beside the tests and shares their browser and
# service (tests/ is its sys.path[0] when it is run as a file).
from browser import CHROMIUM, launch
from conftest import LiveServer
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SIZE = {"width": 1280, "height": 800}
NETWORK_DRAWN = "() => Number(document.getElementById('network').dataset.nodes) > 0"


@dataclass(frozen=True)
class View:
    path: str
    title: str
    ready: str = ""  # a JavaScript predicate to wait for, when a script draws the view
    press: str = ""  # a selector to press Enter on once ready (to show the view in use)


VIEWS: dict[str, View] = {
    "home": View("/", "Home: what the graph holds, search, entry points"),
    "search": View("/search?q=nurse", "Search: ranked hits with their kind and summary"),
    "browse": View(
        "/browse/programmes?destination=country%3ADEU",
        "Browse: programmes filtered by facets, with downloads",
    ),
    "resource": View("/id/programme/palim", "A programme's page: its summary first"),
    "network": View(
        "/pictures/network?focus=country%3AMAR", "Network of a country", ready=NETWORK_DRAWN
    ),
    "timeline": View("/pictures/timeline", "Timeline of programmes"),
    "corridors": View(
        "/pictures/corridors",
        "Corridors on a map and as flows",
        ready="() => document.querySelector('#corridor-flows path.corridor') !== null",
        press="#corridor-flows path.corridor",
    ),
    "matrix": View("/pictures/components", "Programmes against the five SMP components"),
    "compare": View(
        "/compare?items=prog%3Apalim%2Cprog%3Aiom-match", "Two programmes side by side"
    ),
    "named-query": View(
        "/queries/initiatives-by-destination", "A named query as a form, its answer as a table"
    ),
    "editor": View("/editor", "The SPARQL editor"),
}


def small_png(raw: bytes) -> bytes:
    """The screenshot as a palette PNG: a fraction of the size, the text as sharp."""
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    reduced = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    reduced.save(out, format="PNG", optimize=True)
    return out.getvalue()


def shoot(page, base: str, name: str, view: View, out: Path) -> bool:
    response = page.goto(base + view.path)
    if response is None or response.status != 200:
        status = response.status if response else "no response"
        print(f"{name}: {view.path} answered {status}; left out", file=sys.stderr)
        return False
    page.wait_for_load_state("networkidle")
    if view.ready:
        page.wait_for_function(view.ready)
    if view.press:
        page.locator(view.press).first.press("Enter")
        page.wait_for_load_state("networkidle")
    target = out / f"{name}.png"
    target.write_bytes(small_png(page.screenshot()))
    print(f"{name}: {target.relative_to(ROOT)} ({target.stat().st_size // 1024} KiB)")
    return True


def chosen_views(args: list[str]) -> dict[str, View]:
    if not args:
        return dict(VIEWS)
    views = {}
    for arg in args:
        name, _, path = arg.partition("=")
        if name not in VIEWS and not path:
            raise SystemExit(f"unknown view {name!r}; known: {', '.join(VIEWS)} (or NAME=PATH)")
        known = VIEWS.get(name, View("", name))
        views[name] = View(path or known.path, known.title, known.ready, known.press)
    return views


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("views", nargs="*", help="VIEW or VIEW=PATH (default: every view)")
    parser.add_argument("--url", help="a running service (default: start one here)")
    parser.add_argument("--out", type=Path, default=OUT)
    options = parser.parse_args(argv)
    views = chosen_views(options.views)
    if not CHROMIUM.exists():
        raise SystemExit("Chromium is absent: install Debian's chromium (apt-get install chromium)")
    # Deferred: --help and a bad view name answer without Playwright.
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    server = None if options.url else LiveServer().wait_ready()
    base = options.url.rstrip("/") if options.url else server.url
    options.out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            chromium = launch(playwright)
            page = chromium.new_context(viewport=SIZE).new_page()
            done = [shoot(page, base, name, view, options.out) for name, view in views.items()]
            chromium.close()
    finally:
        if server:
            server.stop()
    return 0 if all(done) else 1


if __name__ == "__main__":
    sys.exit(main())
