"""Dates shown at the precision stated beside them (smpkg.dates)."""

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCAT, XSD

from smpkg.dates import DAY, MONTH, PRECISION_OF, YEAR, at_precision, shown_dates, shown_literal
from smpkg.namespaces import SMP

PALIM = URIRef("https://w3id.org/smpkg/id/programme/palim")


def test_a_date_is_cut_to_its_precision():
    assert at_precision("2019-01-01", str(YEAR)) == "2019"
    assert at_precision("2019-03-01", str(MONTH)) == "2019-03"
    assert at_precision("2019-03-13", str(DAY)) == "2019-03-13"
    assert at_precision("-0044-01-01", str(YEAR)) == "-0044"


def test_without_a_known_precision_the_date_is_shown_whole():
    assert at_precision("2019-01-01", None) == "2019-01-01"
    assert at_precision("2019-01-01", "http://example.org/fortnight") == "2019-01-01"


def test_the_shown_literal_is_typed_by_its_precision():
    date = Literal("2019-03-01", datatype=XSD.date)
    assert shown_literal(date, str(MONTH)) == Literal("2019-03", datatype=XSD.gYearMonth)
    assert shown_literal(date, str(YEAR)) == Literal("2019", datatype=XSD.gYear)
    assert shown_literal(date, None) is date


def test_every_date_property_has_its_own_precision_property():
    assert PRECISION_OF[SMP.startDate] == SMP.startDatePrecision
    assert PRECISION_OF[DCAT.endDate] == SMP.endDatePrecision
    assert all(str(p).endswith("Precision") for p in PRECISION_OF.values())


def test_shown_dates_pair_each_date_with_the_precision_on_its_own_subject():
    start = Literal("2019-03-01", datatype=XSD.date)
    end = Literal("2021-01-01", datatype=XSD.date)
    period = BNode()
    period_start = Literal("2015-01-01", datatype=XSD.date)
    shown = shown_dates(
        [
            (PALIM, SMP.startDate, start, None),
            (PALIM, SMP.startDatePrecision, MONTH, None),
            (PALIM, SMP.endDate, end, None),
            (PALIM, SMP.endDatePrecision, YEAR, None),
            (period, DCAT.startDate, period_start, None),
            (period, SMP.startDatePrecision, YEAR, None),
        ]
    )
    assert shown == {
        start: Literal("2019-03", datatype=XSD.gYearMonth),
        end: Literal("2021", datatype=XSD.gYear),
        period_start: Literal("2015", datatype=XSD.gYear),
    }


def test_one_literal_with_two_precisions_keeps_the_finer():
    day = Literal("2019-01-01", datatype=XSD.date)
    shown = shown_dates(
        [
            (PALIM, SMP.signedDate, day, None),
            (PALIM, SMP.signedDatePrecision, YEAR, None),
            (PALIM, SMP.startDate, day, None),
            (PALIM, SMP.startDatePrecision, DAY, None),
        ]
    )
    assert shown == {day: Literal("2019-01-01", datatype=XSD.date)}
