"""Query results as a table for people: the data of the results page (the page itself, in
the site's frame, is rendered by the service: api/results.py).

What people see differs from what machines get: an IRI shows its label (the query's own
`?xLabel` column beside `?x`, else the label the caller knows) and links where `href` says
(the service's own page for an IRI of the dataset); a literal shows its value, never its
datatype IRI or language tag; a `?xLabel` column folded into its `?x` column is not repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from .describe import compact, literal_text

NUMERIC = frozenset(
    {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long, XSD.nonNegativeInteger}
)
LABEL_SUFFIX = "Label"


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None  # where a link goes (None: no link)
    title: str = ""  # the compact IRI behind a label
    numeric: bool = False
    value: str = ""  # the plain value (a number's digits), for charts and sorting
    unlabelled: bool = False  # an IRI shown by its compact form, for want of a label


@dataclass(frozen=True)
class Column:
    name: str  # the SPARQL variable
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    rows: list[list[Cell]]


def label_columns(variables: Sequence[str]) -> dict[str, str]:
    """`x` -> `xLabel` for each variable whose label the query projects beside it."""
    names = set(variables)
    return {v: v + LABEL_SUFFIX for v in variables if v + LABEL_SUFFIX in names}


def cell(
    term: Node | None,
    href: Callable[[URIRef], str | None],
    label: str | None = None,
) -> Cell:
    if term is None:
        return Cell("")
    if isinstance(term, URIRef):
        short = compact(str(term))
        return Cell(
            label or short, href(term), title=short if label else str(term), unlabelled=not label
        )
    if isinstance(term, BNode):
        return Cell("(blank node)")
    if isinstance(term, Literal):
        numeric = term.datatype in NUMERIC
        return Cell(literal_text(term), numeric=numeric, value=str(term))
    return Cell(str(term))


def results_table(
    variables: Sequence[str],
    rows: Sequence[Mapping[str, Node]],
    href: Callable[[URIRef], str | None],
    labels: Mapping[str, str] | None = None,
) -> Table:
    """The table of SELECT rows (variable -> term): labels beside IRIs, values for literals.
    `href(iri)` is where an IRI links; `labels` names IRIs the query gave no label for."""
    known = labels or {}
    folded = label_columns(variables)
    shown = [v for v in variables if v not in set(folded.values())]
    table_rows = []
    for row in rows:
        cells = []
        for name in shown:
            term = row.get(name)
            label_term = row.get(folded[name]) if name in folded else None
            label = str(label_term) if label_term is not None else None
            if label is None and isinstance(term, URIRef):
                label = known.get(str(term))
            cells.append(cell(term, href, label))
        table_rows.append(cells)
    columns = [
        Column(name, bool(table_rows) and all(r[i].numeric or not r[i].text for r in table_rows))
        for i, name in enumerate(shown)
    ]
    return Table(columns, table_rows)
