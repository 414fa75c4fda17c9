"""Dates in the project's one shape: an xsd:date on the first day of the period the source
states (a year, a month or a day), beside a precision property whose value is the OWL-Time
unit of that period (docs/modelling.md, "Dates").

This module holds the pairing of each date property with its precision property and the one
rule for showing a date as precisely as its source states it ("2019", "2019-05",
"2019-05-13"), for the pages and tables that show dates to people.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, TIME, XSD

from .namespaces import SMP

YEAR, MONTH, DAY = TIME.unitYear, TIME.unitMonth, TIME.unitDay
PRECISIONS = (YEAR, MONTH, DAY)
# How many characters of an xsd:date's lexical form ("2019-05-13") each precision keeps.
_KEPT = {YEAR: 4, MONTH: 7, DAY: 10}
# The XSD type that names a date at each precision, for showing it with its kind.
_SHOWN_TYPE = {YEAR: XSD.gYear, MONTH: XSD.gYearMonth, DAY: XSD.date}

# Each date property and the property that gives its precision on the same subject.
PRECISION_OF: dict[URIRef, URIRef] = {
    SMP.startDate: SMP.startDatePrecision,
    SMP.endDate: SMP.endDatePrecision,
    SMP.launchDate: SMP.launchDatePrecision,
    SMP.signedDate: SMP.signedDatePrecision,
    SMP.entryIntoForceDate: SMP.entryIntoForceDatePrecision,
    DCTERMS.issued: SMP.issuedPrecision,
    DCTERMS.available: SMP.availablePrecision,
    DCTERMS.dateCopyrighted: SMP.dateCopyrightedPrecision,
    DCAT.startDate: SMP.startDatePrecision,
    DCAT.endDate: SMP.endDatePrecision,
}


def at_precision(date: str, precision: str | None) -> str:
    """The lexical form of an xsd:date cut to its precision: "2019-01-01" at year precision is
    "2019". Without a known precision the date is shown whole; a negative year keeps its sign."""
    kept = _KEPT.get(URIRef(precision)) if precision else None
    if kept is None:
        return date
    sign = 1 if date.startswith("-") else 0
    return date[: kept + sign]


def shown_literal(date: Literal, precision: str | None) -> Literal:
    """The date as a literal of the XSD type of its precision ("2019"^^xsd:gYear for
    2019-01-01 at year precision), for pages that name a value's type; unchanged without one."""
    unit = URIRef(precision) if precision else None
    if unit not in _SHOWN_TYPE:
        return date
    return Literal(at_precision(str(date), unit), datatype=_SHOWN_TYPE[unit])


def shown_dates(statements: Iterable[tuple]) -> dict[Literal, Literal]:
    """For the statements of a page ((s, p, o, ...) tuples): each date literal mapped to itself
    at the precision stated beside it on the same subject (shown_literal). Should one literal
    carry two precisions on a page, the finer is kept: a stated day is never hidden."""
    statements = list(statements)
    precision_properties = set(PRECISION_OF.values())
    precisions = {(s, p): o for s, p, o, *_ in statements if p in precision_properties}
    shown: dict[Literal, Literal] = {}
    for s, p, o, *_ in statements:
        unit = precisions.get((s, PRECISION_OF.get(p)))
        if isinstance(o, Literal) and unit is not None:
            candidate = shown_literal(o, str(unit))
            if len(candidate) > len(shown.get(o, "")):
                shown[o] = candidate
    return shown
