"""Browsing (smpkg.browse) on known rows, and the browse pages and downloads over the
repository's graph."""

from __future__ import annotations

import csv
import io

import pytest

from smpkg.browse import KINDS, Selection, apply, facet_values, parse_selection, records_from_rows
from smpkg.errors import ParameterError

P = "https://w3id.org/smpkg/id/programme/"
C = "https://w3id.org/smpkg/id/country/"
S = "https://w3id.org/smpkg/id/sector/"


def row(s, facet, value, label=None):
    out = {"s": P + s, "facet": facet, "value": value}
    if label:
        out["valueLabel"] = label
    return out


ROWS = [
    row("a", "label", "Alpha"),
    row("a", "destination", C + "DEU", "Germany"),
    row("a", "sector", S + "healthcare", "healthcare"),
    row("a", "start", "2019-01-01"),
    row("a", "end", "2021"),
    row("b", "label", "Beta"),
    row("b", "destination", C + "DEU", "Germany"),
    row("b", "sector", S + "ict", "ICT"),
    row("b", "start", "2022"),
    row("c", "label", "Gamma"),
    row("c", "destination", C + "BEL", "Belgium"),
    row("c", "sector", S + "healthcare", "healthcare"),
]
PROGRAMMES = KINDS["programmes"]


@pytest.fixture(scope="module")
def records():
    return records_from_rows(ROWS)


def select(**values) -> Selection:
    return Selection({k: frozenset(v) for k, v in values.items()})


def labels(records) -> list[str]:
    return [r.label for r in records]


def test_records_carry_values_as_curies(records):
    assert labels(records) == ["Alpha", "Beta", "Gamma"]
    alpha = records[0]
    assert alpha.keys("destination") == {"country:DEU"}
    assert (alpha.start, alpha.end) == ("2019-01-01", "2021")


def test_and_across_facets_or_within(records):
    assert labels(apply(records, select(destination={"country:DEU"}))) == ["Alpha", "Beta"]
    both = select(destination={"country:DEU"}, sector={"sector:healthcare"})
    assert labels(apply(records, both)) == ["Alpha"]
    either = select(sector={"sector:healthcare", "sector:ict"})
    assert labels(apply(records, either)) == ["Alpha", "Beta", "Gamma"]


def test_counts_are_what_ticking_would_give(records):
    chosen = select(destination={"country:DEU"})
    counts = facet_values(records, chosen, PROGRAMMES.facets)
    sectors = {fv.value.key: fv.count for fv in counts["sector"]}
    assert sectors == {"sector:healthcare": 1, "sector:ict": 1}
    # The destination facet ignores its own selection: Belgium still shows its one programme.
    destinations = {fv.value.key: (fv.count, fv.selected) for fv in counts["destination"]}
    assert destinations == {"country:DEU": (2, True), "country:BEL": (1, False)}


def test_years_overlap_and_undated_left_out(records):
    running_2020 = Selection({}, year_from=2020, year_to=2020)
    assert labels(apply(records, running_2020)) == ["Alpha"]
    since_2021 = Selection({}, year_from=2021)
    assert labels(apply(records, since_2021)) == ["Alpha", "Beta"]  # Beta has no end: running


def test_sort_by_start_keeps_undated_last(records):
    newest = Selection({}, sort="start", descending=True)
    assert labels(apply(records, newest)) == ["Beta", "Alpha", "Gamma"]


def test_parse_selection_and_its_errors():
    sel = parse_selection(
        {"destination": ["country:DEU"], "from": ["2019"], "sort": ["-start"]}, PROGRAMMES
    )
    assert sel.values["destination"] == {"country:DEU"}
    assert (sel.year_from, sel.sort, sel.descending) == (2019, "start", True)
    for bad in ({"from": ["19"]}, {"sort": ["colour"]}, {"planet": ["mars"]}):
        with pytest.raises(ParameterError):
            parse_selection(bad, PROGRAMMES)


def test_with_sort_and_with_value_keep_the_rest():
    sel = parse_selection({"destination": ["country:DEU"], "to": ["2020"]}, PROGRAMMES)
    assert sel.with_sort("start") == {
        "destination": ["country:DEU"],
        "to": ["2020"],
        "sort": ["start"],
    }
    assert sel.with_value("destination", "country:DEU", False) == {"to": ["2020"]}


# --------------------------------------------------------------------------- over the graph

FILTER = {"destination": "country:DEU", "sector": "sector:healthcare"}


def test_browse_programmes_filtered_page_and_downloads_agree(smp_client):
    page = smp_client.get("/browse/programmes", params=FILTER, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "checked" in page.text and "Germany" in page.text
    assert 'name="q" value=""' in page.text  # the site's search box is not filled with filters
    rows = list(
        csv.DictReader(io.StringIO(smp_client.get("/browse/programmes.csv", params=FILTER).text))
    )
    assert rows, "some programme brings health workers to Germany"
    for r in rows:
        assert "Germany" in r["destination"].split(" | ")
        assert "healthcare" in r["sector"].split(" | ")
        assert f'href="/{r["iri"].removeprefix("https://w3id.org/smpkg/")}"' in page.text
    doc = smp_client.get("/browse/programmes.json", params=FILTER).json()
    assert [r["iri"] for r in doc["rows"]] == [r["iri"] for r in rows]
    everything = list(csv.DictReader(io.StringIO(smp_client.get("/browse/programmes.csv").text)))
    assert len(everything) > len(rows)
    assert f"<strong>{len(rows)}</strong> of {len(everything)}" in page.text


@pytest.mark.parametrize("kind", ["organisations", "countries", "frameworks", "sectors"])
def test_every_kind_has_a_page(smp_client, kind):
    r = smp_client.get(f"/browse/{kind}", headers={"Accept": "text/html"})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(smp_client.get(f"/browse/{kind}.csv").text)))
    assert rows and all(int(r["programmes"]) >= 0 for r in rows)
    assert any(int(r["programmes"]) > 0 for r in rows)


def test_browse_errors_are_4xx(smp_client):
    assert smp_client.get("/browse/planets").status_code == 404
    assert smp_client.get("/browse/programmes.xlsx").status_code == 404
    r = smp_client.get("/browse/programmes", params={"from": "last year"})
    assert r.status_code == 400 and "from" in r.text


def test_browse_needs_the_smp_graph(client):
    assert client.get("/browse/programmes").status_code == 404
