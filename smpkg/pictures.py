"""The data behind the pictures of programmes that are drawn from the browse records
(smpkg.browse): the timeline, the corridors and the component matrix.

The records' dates are shown at the precision the source gives ("2019", "2019-05" or
"2019-05-13", smpkg.dates): a date covers a stretch of time (a whole year, a month or a day),
measured here in fractional years, so a bar starts where its start date's stretch begins and
ends where its end date's stretch ends.

Filters name values by their CURIE (`country:DEU`, `sector:healthcare`), as the browse pages
do; several values of one filter are alternatives, different filters must all hold.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .browse import Record, Value
from .errors import ParameterError

TIMELINE_FILTERS = ("kind", "sector", "country")
CORRIDOR_FILTERS = ("sector", "kind", "framework")
COMPONENT_FILTERS = ("kind", "sector", "country", "framework")
FILTER_TITLES = {"kind": "Kind", "sector": "Sector", "country": "Country", "framework": "Framework"}


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class DateSpan:
    """A date as the stretch of time it names, in fractional years."""

    text: str
    precision: str  # "year", "month" or "day"
    begin: float
    finish: float


def parse_date(text: str) -> DateSpan | None:
    """The span of a date shown at year ("2019"), month ("2019-05") or day ("2019-05-13")
    precision; None for anything else."""
    parts = text.strip().split("-")
    if len(parts[0]) != 4 or not all(p.isdigit() for p in parts[:3]):
        return None
    numbers = [int(p) for p in parts[:3]]
    year = numbers[0]
    if len(numbers) == 1:
        return DateSpan(text, "year", float(year), year + 1.0)
    month = numbers[1]
    if not 1 <= month <= 12:
        return None
    if len(numbers) == 2:
        return DateSpan(text, "month", year + (month - 1) / 12, year + month / 12)
    try:
        ordinal = dt.date(year, month, numbers[2]).timetuple().tm_yday
    except ValueError:
        return None
    days = 366 if calendar.isleap(year) else 365
    return DateSpan(text, "day", year + (ordinal - 1) / days, year + ordinal / days)


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Choice:
    """A filter's options (the values found in the records) and what the URL chose."""

    name: str
    title: str
    options: tuple[Value, ...]
    chosen: frozenset[str]


def _keys(record: Record, name: str) -> set[str]:
    return record.keys(name)


def _values(record: Record, name: str) -> list[Value]:
    # "country" is the browse records' facet of every country involved, in any role.
    return list(record.values.get(name, ()))


def parse_filters(
    params: Mapping[str, Sequence[str]], names: Sequence[str], extra: Iterable[str] = ()
) -> dict[str, frozenset[str]]:
    """The values chosen for each filter; ParameterError for a parameter the page lacks."""
    unknown = sorted(set(params) - set(names) - set(extra))
    if unknown:
        known = ", ".join([*names, *extra])
        raise ParameterError(unknown[0], f"not a filter of this picture; known: {known}")
    return {n: frozenset(v.strip() for v in params.get(n, ()) if v.strip()) for n in names}


def choices(records: Sequence[Record], chosen: Mapping[str, frozenset[str]]) -> list[Choice]:
    out = []
    for name, picked in chosen.items():
        found: dict[str, Value] = {}
        for record in records:
            for value in _values(record, name):
                found.setdefault(value.key, value)
        options = sorted(found.values(), key=lambda v: v.label.casefold())
        out.append(Choice(name, FILTER_TITLES[name], tuple(options), picked))
    return out


def keep(records: Sequence[Record], chosen: Mapping[str, frozenset[str]]) -> list[Record]:
    """The records that have one of the chosen values of every filter with a choice."""
    return [r for r in records if all(not c or _keys(r, n) & c for n, c in chosen.items())]


# --------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class Bar:
    record: Record
    start: DateSpan | None
    end: DateSpan | None

    @property
    def begin(self) -> float:
        return self.start.begin if self.start else self.end.begin  # type: ignore[union-attr]

    @property
    def finish(self) -> float | None:
        """Where the bar ends; None when the programme has no end date (open-ended)."""
        return self.end.finish if self.end else None


@dataclass(frozen=True)
class Timeline:
    bars: tuple[Bar, ...]
    undated: tuple[Record, ...]
    first_year: int
    last_year: int  # the axis runs from January of first_year to the end of last_year


def timeline(records: Sequence[Record]) -> Timeline:
    """The dated records as bars (by start, then end, then name) and the undated apart."""
    bars, undated = [], []
    for record in records:
        start, end = parse_date(record.start), parse_date(record.end)
        if start is None and end is None:
            undated.append(record)
        else:
            bars.append(Bar(record, start, end))
    bars.sort(key=lambda b: (b.begin, b.finish or 1e9, b.record.label.casefold()))
    edges = [b.begin for b in bars] + [b.finish for b in bars if b.finish is not None]
    first = int(min(edges)) if edges else dt.date.today().year
    last = max(int(max(edges) - 1e-9) if edges else first, first)
    return Timeline(tuple(bars), tuple(undated), first, last)


TIMELINE_COLUMNS = ("iri", "name", "start", "end", "kind", "country", "sector")


def timeline_rows(shown: Timeline) -> list[dict[str, str]]:
    """The shown programmes as CSV rows: the bars in their order, then the undated."""
    records = [b.record for b in shown.bars] + list(shown.undated)
    return [
        {
            "iri": r.iri,
            "name": r.label,
            "start": r.start,
            "end": r.end,
            "kind": " | ".join(v.label for v in _values(r, "kind")),
            "country": " | ".join(sorted({v.label for v in _values(r, "country")})),
            "sector": " | ".join(v.label for v in _values(r, "sector")),
        }
        for r in records
    ]


# --------------------------------------------------------------------------- corridors


@dataclass(frozen=True)
class Corridor:
    origin: Value
    destination: Value
    programmes: tuple[Record, ...]

    @property
    def key(self) -> str:
        return f"{self.origin.key}>{self.destination.key}"


def corridors(records: Sequence[Record]) -> list[Corridor]:
    """Origin-to-destination pairs with the programmes naming both, busiest first."""
    found: dict[tuple[str, str], tuple[Value, Value, list[Record]]] = {}
    for record in records:
        for origin in record.values.get("origin", ()):
            for destination in record.values.get("destination", ()):
                if origin.key == destination.key:
                    continue
                entry = found.setdefault((origin.key, destination.key), (origin, destination, []))
                entry[2].append(record)
    out = [Corridor(o, d, tuple(rs)) for o, d, rs in found.values()]
    out.sort(key=lambda c: (-len(c.programmes), c.origin.label, c.destination.label))
    return out


CORRIDOR_COLUMNS = ("origin", "originName", "destination", "destinationName", "programmes", "names")


def corridor_rows(shown: Sequence[Corridor]) -> list[dict[str, str]]:
    return [
        {
            "origin": c.origin.iri,
            "originName": c.origin.label,
            "destination": c.destination.iri,
            "destinationName": c.destination.label,
            "programmes": str(len(c.programmes)),
            "names": " | ".join(r.label for r in c.programmes),
        }
        for c in shown
    ]


# --------------------------------------------------------------------------- components


@dataclass(frozen=True)
class Matrix:
    components: tuple[Value, ...]
    rows: tuple[tuple[Value, frozenset[str]], ...]  # a programme and the IRIs of its components


def component_matrix(rows: Iterable[Mapping[str, str]]) -> Matrix:
    """The matrix from picture-components.rq's rows; programmes with most components first."""
    components: dict[str, Value] = {}
    labels: dict[str, str] = {}
    has: dict[str, set[str]] = {}
    for row in rows:
        component = row.get("component")
        if component:
            label = row.get("componentLabel") or component.rsplit("/", 1)[-1]
            components.setdefault(component, Value(component, component, label))
        if "initiative" in row:
            iri = row["initiative"]
            labels[iri] = labels.get(iri) or row.get("initiativeLabel", "")
            has.setdefault(iri, set()).update([component] if component else [])
    programmes = [(Value(i, i, labels[i] or i), frozenset(c)) for i, c in has.items()]
    programmes.sort(key=lambda p: (-len(p[1]), p[0].label.casefold()))
    columns = sorted(components.values(), key=lambda v: v.label.casefold())
    return Matrix(tuple(columns), tuple(programmes))


def matrix_of(matrix: Matrix, kept: Iterable[str]) -> Matrix:
    """The matrix with only the programmes whose IRIs are kept (every column stays)."""
    iris = set(kept)
    return Matrix(matrix.components, tuple(r for r in matrix.rows if r[0].iri in iris))


def matrix_rows(matrix: Matrix) -> list[dict[str, str]]:
    return [
        {
            "iri": programme.iri,
            "name": programme.label,
            **{c.label: "yes" if c.iri in has else "" for c in matrix.components},
        }
        for programme, has in matrix.rows
    ]


def to_csv(header: Sequence[str], rows: Iterable[Mapping[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(header), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
