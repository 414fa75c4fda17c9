"""Browsing a kind of resource as a table filtered by facets.

The records come from the rows of the `browse-*` queries of smpkg/app_queries (one row per
resource, facet and value, run by the caller over the served data). A selection keeps, for
each facet, the values asked for: a record matches when, for every facet with a selection, it
has one of the selected values (OR within a facet, AND across facets), and when its dates
overlap the years asked for. The count of a facet value is the number of records that would
match if that value were selected too, with the selection of the other facets applied
(disjunctive faceting): the numbers beside the boxes say what ticking one would give.

Values are named in URLs by their CURIE (`country:DEU`, `smp:PilotProject`), so a filtered
page's address is readable and stable.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .dates import at_precision
from .describe import compact
from .errors import ParameterError
from .queries import NamedQuery, load_query_file

QUERY_DIR = Path(__file__).parent / "app_queries"
SMP = "https://w3id.org/smpkg/ontology#"


@dataclass(frozen=True)
class Facet:
    name: str  # the URL parameter and the query's ?facet
    title: str


@dataclass(frozen=True)
class Kind:
    """A browsable kind: its URL name, its class, and its facets (shown in this order)."""

    name: str
    title: str
    singular: str
    class_iri: str
    facets: tuple[Facet, ...]
    columns: tuple[str, ...]  # facet names shown as columns, after the name


PROGRAMME_FACETS = (
    Facet("destination", "Destination country"),
    Facet("origin", "Origin country"),
    Facet("partner", "Partner country"),
    Facet("country", "Country, in any role"),
    Facet("sector", "Sector"),
    Facet("occupation", "Occupation"),
    Facet("kind", "Kind"),
    Facet("model", "Partnership model"),
    Facet("framework", "Framework"),
    Facet("funder", "Funder"),
    Facet("implementer", "Implementer"),
    Facet("status", "Status"),
)
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "programmes",
            "Programmes",
            "programme",
            SMP + "Initiative",
            PROGRAMME_FACETS,
            ("kind", "origin", "destination", "sector", "funder", "status", "start", "end"),
        ),
        Kind(
            "organisations",
            "Organisations",
            "organisation",
            SMP + "Organisation",
            (Facet("kind", "Kind"),),
            ("kind", "programmes"),
        ),
        Kind(
            "countries",
            "Countries",
            "country",
            SMP + "Country",
            (Facet("kind", "Kind"),),
            ("kind", "programmes"),
        ),
        Kind(
            "frameworks",
            "Frameworks",
            "framework",
            SMP + "PolicyInstrument",
            (Facet("kind", "Kind"),),
            ("kind", "programmes"),
        ),
        Kind("sectors", "Sectors", "sector", SMP + "Sector", (), ("programmes",)),
    )
}
COLUMN_TITLES = {
    "kind": "Kind",
    "origin": "Origin",
    "destination": "Destination",
    "sector": "Sectors",
    "funder": "Funders",
    "status": "Status",
    "start": "Start",
    "end": "End",
    "programmes": "Programmes",
}
SORTS = ("name", "start", "end", "programmes")


@dataclass(frozen=True)
class Value:
    key: str  # the CURIE (or the literal) that names it in a URL
    iri: str  # empty for a literal
    label: str


@dataclass
class Record:
    iri: str
    label: str = ""
    acronym: str = ""
    start: str = ""
    end: str = ""
    values: dict[str, list[Value]] = field(default_factory=lambda: defaultdict(list))

    def keys(self, facet: str) -> set[str]:
        return {v.key for v in self.values.get(facet, ())}

    @property
    def programmes(self) -> int:
        return len(self.values.get("programme", ()))


@dataclass(frozen=True)
class Selection:
    """What the URL asks for: values per facet, a year range, a sort."""

    values: Mapping[str, frozenset[str]]
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "name"
    descending: bool = False

    def with_value(self, facet: str, key: str, on: bool) -> dict[str, list[str]]:
        """The query string (as a dict of lists) with one value added or removed."""
        params = {f: sorted(v) for f, v in self.values.items() if v}
        chosen = set(params.get(facet, []))
        chosen = chosen | {key} if on else chosen - {key}
        params[facet] = sorted(chosen)
        return {f: v for f, v in params.items() if v} | self._rest()

    def with_sort(self, column: str) -> dict[str, list[str]]:
        """The query string sorting by `column` (reversed when it is already the sort)."""
        params = {f: sorted(v) for f, v in self.values.items() if v} | self._rest()
        flip = self.sort == column and not self.descending
        params["sort"] = [("-" if flip else "") + column]
        return params

    def _rest(self) -> dict[str, list[str]]:
        rest: dict[str, list[str]] = {}
        if self.year_from is not None:
            rest["from"] = [str(self.year_from)]
        if self.year_to is not None:
            rest["to"] = [str(self.year_to)]
        if self.sort != "name" or self.descending:
            rest["sort"] = [("-" if self.descending else "") + self.sort]
        return rest


@dataclass(frozen=True)
class FacetValue:
    value: Value
    count: int
    selected: bool


def parse_selection(params: Mapping[str, Sequence[str]], kind: Kind) -> Selection:
    """The selection a query string asks for; ParameterError for a bad year or sort, or a
    parameter this kind does not have."""
    known = {f.name for f in kind.facets} | {"from", "to", "sort"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ParameterError(
            unknown[0], f"not a filter of {kind.name}; known: {', '.join(sorted(known))}"
        )
    years: dict[str, int | None] = {}
    for name in ("from", "to"):
        raw = (params.get(name) or [""])[-1].strip()
        if raw and not (raw.isdigit() and len(raw) == 4):
            raise ParameterError(name, f"{raw!r} is not a year (four digits, e.g. 2019)")
        years[name] = int(raw) if raw else None
    sort = (params.get("sort") or ["name"])[-1].strip() or "name"
    descending = sort.startswith("-")
    if sort.lstrip("-") not in SORTS:
        raise ParameterError(
            "sort", f"{sort!r} is not a sort; use one of {', '.join(SORTS)} (a leading - reverses)"
        )
    values = {
        f.name: frozenset(v.strip() for v in params.get(f.name, ()) if v.strip())
        for f in kind.facets
    }
    return Selection(values, years["from"], years["to"], sort.lstrip("-"), descending)


def query_for(kind: Kind) -> NamedQuery:
    name = "browse-programmes" if kind.name == "programmes" else "browse-entities"
    return load_query_file(QUERY_DIR / f"{name}.rq")


def records_from_rows(rows: Iterable[Mapping[str, str]]) -> list[Record]:
    """One record per resource from the browse query's rows, ordered by label."""
    by_iri: dict[str, Record] = {}
    for row in rows:
        record = by_iri.setdefault(row["s"], Record(row["s"]))
        facet, value = row["facet"], row["value"]
        if facet == "label":
            record.label = record.label or value
        elif facet == "acronym":
            record.acronym = record.acronym or value
        elif facet == "start":
            shown = at_precision(value, row.get("precision"))
            record.start = min(filter(None, (record.start, shown)))
        elif facet == "end":
            shown = at_precision(value, row.get("precision"))
            record.end = max(filter(None, (record.end, shown)))
        else:
            is_iri = "://" in value
            label = row.get("valueLabel") or (compact(value) if is_iri else value)
            item = Value(compact(value) if is_iri else value, value if is_iri else "", label)
            if item not in record.values[facet]:
                record.values[facet].append(item)
    for record in by_iri.values():
        record.label = record.label or record.acronym or compact(record.iri)
        for values in record.values.values():
            values.sort(key=lambda v: v.label.casefold())
    return sorted(by_iri.values(), key=lambda r: (r.label.casefold(), r.iri))


def _year(date: str) -> int | None:
    head = date[:5] if date.startswith("-") else date[:4]
    try:
        return int(head)
    except ValueError:
        return None


def _in_years(record: Record, selection: Selection) -> bool:
    if selection.year_from is None and selection.year_to is None:
        return True
    start, end = _year(record.start), _year(record.end)
    if start is None:
        return False  # an undated record cannot be said to run in the years asked for
    last = end if end is not None else 9999
    if selection.year_to is not None and start > selection.year_to:
        return False
    return selection.year_from is None or last >= selection.year_from


def _matches(record: Record, selection: Selection, skip: str | None = None) -> bool:
    for facet, chosen in selection.values.items():
        if facet != skip and chosen and not (record.keys(facet) & chosen):
            return False
    return _in_years(record, selection)


def apply(records: Sequence[Record], selection: Selection) -> list[Record]:
    """The records the selection keeps, sorted as it asks."""
    kept = [r for r in records if _matches(r, selection)]
    if selection.sort in ("start", "end"):
        dated = [r for r in kept if getattr(r, selection.sort)]
        undated = [r for r in kept if not getattr(r, selection.sort)]
        dated.sort(key=lambda r: getattr(r, selection.sort), reverse=selection.descending)
        return dated + undated  # undated last, whichever the direction
    if selection.sort == "programmes":
        return sorted(kept, key=lambda r: r.programmes, reverse=not selection.descending)
    return list(reversed(kept)) if selection.descending else kept


def facet_values(
    records: Sequence[Record], selection: Selection, facets: Sequence[Facet]
) -> dict[str, list[FacetValue]]:
    """For each facet, its values with their counts (see the module's docstring), most
    frequent first; a selected value is listed even when its count is 0."""
    out: dict[str, list[FacetValue]] = {}
    for facet in facets:
        counts: dict[str, int] = defaultdict(int)
        values: dict[str, Value] = {}
        for record in records:
            if not _matches(record, selection, skip=facet.name):
                continue
            for value in record.values.get(facet.name, ()):
                counts[value.key] += 1
                values[value.key] = value
        chosen = selection.values.get(facet.name, frozenset())
        for key in chosen - set(values):
            values[key] = Value(key, "", key)
        out[facet.name] = [
            FacetValue(values[k], counts.get(k, 0), k in chosen)
            for k in sorted(values, key=lambda k: (-counts.get(k, 0), values[k].label.casefold()))
        ]
    return out


def cell_text(record: Record, column: str) -> str:
    if column == "start":
        return record.start
    if column == "end":
        return record.end
    if column == "programmes":
        return str(record.programmes)
    return " | ".join(v.label for v in record.values.get(column, ()))


def table(records: Sequence[Record], kind: Kind) -> tuple[list[str], list[dict[str, str]]]:
    """The shown table as plain rows (for CSV and JSON): iri, name, then the columns."""
    header = ["iri", "name", *kind.columns]
    rows = [
        {"iri": r.iri, "name": r.label, **{c: cell_text(r, c) for c in kind.columns}}
        for r in records
    ]
    return header, rows


def to_csv(header: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
