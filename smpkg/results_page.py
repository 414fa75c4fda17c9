"""Query results as an HTML page in the outline of the site's frame, with its stylesheet (no
script, no inline style), rendered from the Jinja2 template `smpkg/templates/results.html`,
escaping on."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from rdflib import BNode, Literal, URIRef

from .engine import Answer

if TYPE_CHECKING:
    from jinja2 import Template

TEMPLATES = Path(__file__).parent / "templates"


class Cell(NamedTuple):
    text: str
    href: str | None = None  # a link, for http(s) IRIs only
    note: str = ""  # a literal's language tag or datatype


@lru_cache(maxsize=1)
def _template() -> Template:
    # Deferred: the server process imports this module with the worker's records, and
    # Jinja2 is a noticeable part of its start-up (tests/test_api_routing.py checks that a
    # service starts without it); the workers load it when they warm up.
    from jinja2 import Environment, FileSystemLoader, select_autoescape  # noqa: PLC0415

    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("results.html")


def cell(term: object) -> Cell:
    if term is None:
        return Cell("")
    if isinstance(term, URIRef):
        safe = str(term).startswith(("http://", "https://"))
        return Cell(str(term), str(term) if safe else None)
    if isinstance(term, BNode):
        return Cell(f"_:{term}")
    if isinstance(term, Literal):
        note = (
            f"@{term.language}" if term.language else f"^^{term.datatype}" if term.datatype else ""
        )
        return Cell(str(term), note=note)
    return Cell(str(term))


def html_results(answer: Answer, text: str, link: str | None = None) -> bytes:
    """The page of `answer` to the query `text`; `link` is where the row-cap note points."""
    header: list[str] = []
    rows: list[list[Cell]] = []
    boolean = None
    if answer.form == "ASK":
        boolean = bool(answer.boolean)
        summary = "true" if boolean else "false"
    else:
        if answer.is_graph:
            header, terms = ["subject", "predicate", "object"], answer.triples
        else:
            header, terms = [str(v) for v in answer.variables], answer.rows
        rows = [[cell(t) for t in row] for row in terms]
        noun = "triple" if answer.is_graph else "row"
        summary = f"{len(rows)} {noun}{'' if len(rows) == 1 else 's'}"
    page = _template().render(
        form=answer.form,
        summary=summary,
        truncated=answer.truncated,
        link=link or "#truncated",
        boolean=boolean,
        header=header,
        rows=rows,
        query=text,
    )
    return page.encode("utf-8")
