"""The HTML page of query results, in the site's frame (api/templates/base.html), for every
route that runs a query for a browser (/sparql, /queries/{name}).

The workers never render HTML: for a browser the route asks them for SPARQL JSON (N-Triples for
a graph) and renders the page here, with `smpkg.results_page` making the table: labels beside
IRIs, values for literals, and every IRI of the dataset linked to this service's own page by
the one mapping rule (`smpkg.describe.Links`, as the resource pages use).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rdflib import Graph
from starlette.requests import Request

from smpkg.describe import rows_from_json
from smpkg.executor import QueryResult
from smpkg.formats import HTML, offered_formats
from smpkg.query_text import form_of_safe
from smpkg.results_page import Table, results_table

from .app import cache
from .app.pages import page_context, search_index
from .negotiation import choose_format
from .routers.resources import links_for
from .snapshot import current as snapshot_of
from .templating import render_page

GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")


@dataclass
class ResultsView:
    """What the page shows of one result."""

    form: str
    table: Table | None = None
    boolean: bool | None = None
    truncated: bool = False
    count: int = 0
    noun: str = "row"
    chart_data: list[dict] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.boolean is not None:
            return "true" if self.boolean else "false"
        return f"{self.count} {self.noun}{'' if self.count == 1 else 's'}"


def wants_page(accept: str | None, format_param: str | Sequence[str] | None, text: str) -> bool:
    """Whether the client gets the HTML page: it asked for text/html by name (or format=html)
    and the query is well-formed enough to have a form (else the executor reports it)."""
    params = [format_param] if isinstance(format_param, str) else list(format_param or [])
    if not params and accept and "*" not in accept and "html" not in accept.lower():
        # Only a range (`*/*`, `text/*`) or a name holding "html" can pick the page: a
        # client naming other types (every SPARQL client) costs no scan, no negotiation.
        return False
    form = form_of_safe(text)
    if form is None:
        return False
    try:
        offered = offered_formats(form) + [HTML]
        return choose_format(accept, params[0] if params else None, offered) is HTML
    except Exception:  # noqa: BLE001 - an unsupported format is the executor's 406
        return False


def data_format(text: str) -> str:
    """What to ask the workers for when the page is rendered here."""
    return "ntriples" if form_of_safe(text) in GRAPH_FORMS else "json"


async def labels_of(request: Request) -> Mapping[str, str]:
    """IRI -> display label of every labelled resource (from the search index, built once per
    dataset version), for IRIs a query gives no label column for."""
    state = snapshot_of(request)

    async def build() -> dict[str, str]:
        index = await search_index(state)
        return {entry.iri: entry.label for entry in index.entries}

    return await cache.of(state).get(state.version, "labels", build)


async def results_view(
    request: Request,
    form: str,
    body: bytes,
    truncated: bool,
    more_labels: Mapping[str, str] | None = None,
) -> ResultsView:
    """The view of a result body in SPARQL JSON (or N-Triples for a graph form);
    `more_labels` names what the search index does not (the classes of a picker)."""
    if form in GRAPH_FORMS:
        graph = Graph().parse(data=body.decode("utf-8"), format="nt")
        variables = ["subject", "predicate", "object"]
        rows = [dict(zip(variables, triple, strict=True)) for triple in sorted(graph)]
        table = await _table(request, variables, rows, more_labels)
        return ResultsView(form, table, None, truncated, len(rows), "triple")
    doc = json.loads(body)
    if "boolean" in doc:
        return ResultsView(form, boolean=bool(doc["boolean"]))
    variables = doc["head"].get("vars", [])
    rows = rows_from_json(body)
    table = await _table(request, variables, rows, more_labels)
    return ResultsView(form, table, None, truncated, len(rows))


async def _table(
    request: Request,
    variables: Sequence[str],
    rows: Sequence[Mapping],
    more_labels: Mapping[str, str] | None,
) -> Table:
    """The table, with the search index's labels only when some IRI has no label column
    (most named queries project their labels; the index is then never waited for)."""
    href = links_for(request).href
    table = results_table(variables, rows, href, more_labels)
    if any(cell.unlabelled for row in table.rows for cell in row):
        labels = {**(more_labels or {}), **(await labels_of(request))}
        table = results_table(variables, rows, href, labels)
    return table


def chart_data(table: Table, x: str, y: str) -> list[dict]:
    """The bars (or a line's points) of a declared chart: the label of column `x` and the
    number of column `y`."""
    names = [c.name for c in table.columns]
    if x not in names and x.removesuffix("Label") in names:
        x = x.removesuffix("Label")
    if x not in names or y not in names:
        return []
    ix, iy = names.index(x), names.index(y)
    bars = []
    for row in table.rows:
        label, value = row[ix], row[iy]
        try:
            number = float(value.value)
            shown = int(number) if number.is_integer() else number
            # A number (a year on a line's axis) by its digits, not as the table groups them.
            name = label.value if label.numeric and label.value else label.text
            bars.append({"label": name, "value": shown, "href": label.href})
        except ValueError:
            continue
    return bars


async def page(request: Request, text: str, result: QueryResult) -> str:
    """The page of a result asked for as `data_format(text)`, for /sparql."""
    view = await results_view(request, result.form, result.body, result.truncated)
    return render_page("results.html", view=view, text=text, **page_context(request, "sparql"))
