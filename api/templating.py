"""Jinja2 templates for the HTML pages (api/templates; their stylesheet and scripts are files
under api/static, as the Content-Security-Policy requires; no CDN, works offline).

Jinja2 is imported when the first page is rendered, not when the service starts: most
requests to an endpoint ask for data, and the import is a noticeable part of start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    # Deferred to the first page (measured: 21 ms of a 0.5 s start-up).
    from jinja2 import Environment, FileSystemLoader, select_autoescape  # noqa: PLC0415

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
