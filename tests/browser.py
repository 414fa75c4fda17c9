"""The browser side of the end-to-end tests: Debian's /usr/bin/chromium driven by Playwright
for Python through `executable_path` (never `playwright install`), and one tab that records
what every page must not do. The fixtures that use it (`browser`, `app_server`, `visit`)
live in conftest.py so that every tests/test_e2e_*.py module shares one browser and one
service."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("SMPKG_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_PATH = "/__e2e__/axe.min.js"  # answered by the test's route handler, never by the app
WIDTHS = (1280, 375)
# The site's main menu, in order, on every page (tests/test_app_site.py, test_e2e_site.py).
SITE_MENU = [
    "Browse",
    "Pictures",
    "Compare",
    "Named queries",
    "Editor",
    "SPARQL",
    "Ontology",
    "Downloads",
]
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  (window.__cspViolations = window.__cspViolations || []).push(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


class Visit:
    """One browser tab on the service, recording what every page must not do."""

    def __init__(self, browser, server, tmp_path: Path):
        self.server = server
        self.origin = urlsplit(server.url)
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.tmp_path = tmp_path
        self.outside: list[str] = []
        self.console: list[str] = []
        self.page.add_init_script(CSP_LISTENER)
        self.page.route("**/*", self._route)
        self.page.on(
            "console",
            lambda msg: self.console.append(msg.text) if msg.type == "error" else None,
        )
        self.page.on("pageerror", lambda exc: self.console.append(f"uncaught: {exc}"))

    def _route(self, route) -> None:
        url = urlsplit(route.request.url)
        if (url.hostname, url.port) != (self.origin.hostname, self.origin.port):
            self.outside.append(route.request.url)
            route.abort()
        elif url.path == AXE_PATH:
            route.fulfill(path=str(AXE), content_type="text/javascript; charset=utf-8")
        else:
            route.continue_()

    def goto(self, path: str) -> None:
        response = self.page.goto(self.server.url + path)
        assert response is not None and response.ok, (path, response and response.status)

    def check(self, name: str) -> None:
        """The rules of every page, then screenshots at both widths."""
        page = self.page
        page.wait_for_load_state("networkidle")
        assert self.outside == [], f"{name}: requests left 127.0.0.1: {self.outside}"
        violations = page.evaluate("window.__cspViolations || []")
        assert violations == [], f"{name}: CSP violations: {violations}"
        assert self.console == [], f"{name}: console errors: {self.console}"
        page.add_script_tag(url=self.server.url + AXE_PATH)
        found = page.evaluate(
            """async () => {
                const result = await axe.run(document, {
                  runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
                });
                return result.violations
                  .filter((v) => v.impact === "serious" || v.impact === "critical")
                  .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target).join(", ")}`);
            }"""
        )
        assert found == [], f"{name}: accessibility violations: {found}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{name}: the page is {overflow}px wider than {width}px"
        page.set_viewport_size({"width": 1280, "height": 900})

    def close(self) -> None:
        self.context.close()


def launch(playwright):
    """Debian's Chromium, headless, with nothing that phones home."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
