"""The pictures and the comparison: their data on known rows (smpkg.pictures, smpkg.network,
smpkg.compare), and their pages, JSON and CSV routes over the repository's graph."""

from __future__ import annotations

import csv
import io

import pytest

from smpkg import compare, network, pictures
from smpkg.browse import records_from_rows

P = "https://w3id.org/smpkg/id/programme/"
C = "https://w3id.org/smpkg/id/country/"
S = "https://w3id.org/smpkg/id/sector/"
HTML = {"Accept": "text/html"}


def row(s, facet, value, label=None):
    out = {"s": P + s, "facet": facet, "value": value}
    if label:
        out["valueLabel"] = label
    return out


RECORDS = records_from_rows(
    [
        row("a", "label", "Alpha"),
        row("a", "origin", C + "MAR", "Morocco"),
        row("a", "destination", C + "DEU", "Germany"),
        row("a", "country", C + "MAR", "Morocco"),
        row("a", "country", C + "DEU", "Germany"),
        row("a", "sector", S + "healthcare", "healthcare"),
        row("a", "start", "2019-03"),
        row("a", "end", "2021"),
        row("b", "label", "Beta"),
        row("b", "origin", C + "MAR", "Morocco"),
        row("b", "destination", C + "DEU", "Germany"),
        row("b", "destination", C + "BEL", "Belgium"),
        row("b", "country", C + "MAR", "Morocco"),
        row("b", "country", C + "DEU", "Germany"),
        row("b", "country", C + "BEL", "Belgium"),
        row("b", "sector", S + "ict", "ICT"),
        row("b", "start", "2022-07-01"),
        row("c", "label", "Gamma"),
        row("c", "destination", C + "BEL", "Belgium"),
        row("c", "country", C + "BEL", "Belgium"),
    ]
)


def csv_of(text):
    return list(csv.DictReader(io.StringIO(text)))


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "precision", "begin", "finish"),
    [
        ("2019", "year", 2019.0, 2020.0),
        ("2019-04", "month", 2019.25, 2019 + 4 / 12),
        ("2020-01-01", "day", 2020.0, 2020 + 1 / 366),
    ],
)
def test_a_date_covers_the_stretch_its_precision_names(text, precision, begin, finish):
    span = pictures.parse_date(text)
    assert span is not None and span.precision == precision
    assert span.begin == pytest.approx(begin) and span.finish == pytest.approx(finish)


@pytest.mark.parametrize("text", ["", "19", "2019-13", "2019-02-30", "about 2019"])
def test_a_date_that_is_not_one_is_refused(text):
    assert pictures.parse_date(text) is None


def test_timeline_draws_dated_programmes_and_lists_the_undated_apart():
    shown = pictures.timeline(RECORDS)
    assert [b.record.label for b in shown.bars] == ["Alpha", "Beta"]
    assert [r.label for r in shown.undated] == ["Gamma"]
    assert shown.bars[0].finish == 2022.0 and shown.bars[1].finish is None  # Beta: open-ended
    assert (shown.first_year, shown.last_year) == (2019, 2022)


def test_filters_keep_programmes_with_a_chosen_country_in_any_role():
    chosen = pictures.parse_filters({"country": ["country:BEL"]}, pictures.TIMELINE_FILTERS)
    assert [r.label for r in pictures.keep(RECORDS, chosen)] == ["Beta", "Gamma"]
    with pytest.raises(pictures.ParameterError):
        pictures.parse_filters({"colour": ["red"]}, pictures.TIMELINE_FILTERS)


def test_corridors_pair_each_origin_with_each_destination():
    found = {c.key: [r.label for r in c.programmes] for c in pictures.corridors(RECORDS)}
    assert found == {
        "country:MAR>country:DEU": ["Alpha", "Beta"],
        "country:MAR>country:BEL": ["Beta"],
    }


def test_component_matrix_keeps_every_component_column():
    comp = "https://w3id.org/smpkg/id/component/"
    matrix = pictures.component_matrix(
        [
            {"initiative": P + "a", "initiativeLabel": "Alpha", "component": comp + "training"},
            {"initiative": P + "b", "initiativeLabel": "Beta"},
            {"component": comp + "skills", "componentLabel": "skills recognition"},
        ]
    )
    assert [c.label for c in matrix.components] == ["skills recognition", "training"]
    assert [(p.label, set(has)) for p, has in matrix.rows] == [
        ("Alpha", {comp + "training"}),
        ("Beta", set()),
    ]


def test_network_edges_point_from_subject_to_object():
    focus = network.focus_node(P + "a", [{"label": "Alpha", "kind": network.SMP + "Initiative"}])
    assert focus is not None and focus.kind == "programme"
    hood = network.neighbourhood(
        focus,
        [
            {
                "node": C + "DEU",
                "nodeLabel": "Germany",
                "kind": network.SMP + "Country",
                "relation": network.SMP + "destinationCountry",
                "direction": "out",
            },
            {
                "node": P + "b",
                "nodeLabel": "Beta",
                "kind": network.SMP + "Initiative",
                "relation": network.SMP + "hasPredecessor",
                "direction": "in",
            },
        ],
    )
    assert [(e.source, e.target) for e in hood.edges] == [(P + "a", C + "DEU"), (P + "b", P + "a")]
    assert [n.kind for n in hood.nodes] == ["programme", "country"]


def test_compare_aligns_rows_and_marks_the_differences():
    def facts(*pairs):
        return compare.facts_by_property(
            [
                {"property": compare.SMP + p, "propertyLabel": p, "value": v, "valueLabel": v}
                for p, v in pairs
            ]
        )

    rows = compare.comparison(
        [
            facts(("destinationCountry", C + "DEU"), ("coversSector", S + "ict")),
            facts(("destinationCountry", C + "DEU"), ("endDate", "2021")),
        ]
    )
    by_title = {r.title: r for r in rows}
    assert list(by_title) == ["destinationCountry", "coversSector", "endDate"]  # grouped order
    assert not by_title["destinationCountry"].differs
    assert by_title["coversSector"].differs and by_title["coversSector"].cells[1] == ()


# --------------------------------------------------------------------------- routes


def test_timeline_page_svg_and_csv_show_the_same_programmes(smp_client):
    page = smp_client.get("/pictures/timeline", headers=HTML)
    assert page.status_code == 200
    bars = page.text.count('<g class="bar">')
    rows = csv_of(smp_client.get("/pictures/timeline.csv").text)
    dated = [r for r in rows if r["start"] or r["end"]]
    assert bars == len(dated) > 0
    assert f"<strong>{len(rows) - len(dated)}</strong> have no date" in page.text
    svg = smp_client.get("/pictures/timeline.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg.text


def test_timeline_filter_is_applied_to_the_download(smp_client):
    everything = csv_of(smp_client.get("/pictures/timeline.csv").text)
    some = csv_of(smp_client.get("/pictures/timeline.csv", params={"country": "country:MAR"}).text)
    assert 0 < len(some) < len(everything)
    assert all("Morocco" in r["country"].split(" | ") for r in some)
    bad = smp_client.get("/pictures/timeline", params={"colour": "red"}, headers=HTML)
    assert bad.status_code == 400 and "colour" in bad.text


def test_network_json_gives_the_focus_and_its_neighbours(smp_client):
    doc = smp_client.get("/api/pictures/network", params={"focus": "prog:palim"}).json()
    assert doc["focus"]["id"] == P + "palim" and doc["focus"]["kind"] == "programme"
    ids = {n["id"] for n in doc["nodes"]}
    assert C + "MAR" in ids and C + "BEL" in ids
    assert all(e["source"] in ids and e["target"] in ids for e in doc["edges"])
    assert all(n["href"].startswith("/id/") for n in doc["nodes"])


def test_network_focus_by_name_and_bad_focus(smp_client):
    by_name = smp_client.get("/api/pictures/network", params={"focus": "PALIM"}).json()
    assert by_name["focus"]["id"] == P + "palim"
    assert smp_client.get("/api/pictures/network").status_code == 400
    missing = smp_client.get("/api/pictures/network", params={"focus": "prog:no-such-thing"})
    assert missing.status_code == 404


def test_network_csv_adds_the_expanded_nodes_and_drops_hidden_relations(smp_client):
    focus = csv_of(smp_client.get("/pictures/network.csv", params={"focus": "prog:palim"}).text)
    grown = csv_of(
        smp_client.get(
            "/pictures/network.csv", params={"focus": "prog:palim", "expand": "country:MAR"}
        ).text
    )
    assert len(grown) > len(focus)
    hidden = smp_client.get(
        "/pictures/network.csv",
        params={"focus": "prog:palim", "hide": "smp:destinationCountry"},
    ).text
    assert all(r["relation"] != "smp:destinationCountry" for r in csv_of(hidden))
    assert any(r["relation"] == "smp:destinationCountry" for r in focus)


def test_corridors_page_lists_a_corridors_programmes_and_csv_agrees(smp_client):
    rows = csv_of(smp_client.get("/pictures/corridors.csv").text)
    top = rows[0]
    assert int(top["programmes"]) == len(top["names"].split(" | ")) > 0
    key = f"country:{top['origin'].rsplit('/', 1)[-1]}>country:{top['destination'].rsplit('/', 1)[-1]}"
    page = smp_client.get("/pictures/corridors", params={"corridor": key}, headers=HTML)
    assert page.status_code == 200
    for name in top["names"].split(" | "):
        assert name in page.text
    filtered = csv_of(
        smp_client.get("/pictures/corridors.csv", params={"sector": "sector:healthcare"}).text
    )
    assert 0 < len(filtered) < len(rows)
    bad = smp_client.get("/pictures/corridors", params={"corridor": "x>y"}, headers=HTML)
    assert bad.status_code == 400


def test_component_matrix_page_and_csv(smp_client):
    rows = csv_of(smp_client.get("/pictures/components.csv").text)
    assert len(rows[0]) == 2 + 5  # iri, name and the five components
    page = smp_client.get("/pictures/components", headers=HTML).text
    assert page.count('<td class="on">') == sum(v == "yes" for r in rows for v in r.values())


def test_component_matrix_filters_reach_the_csv_and_the_svg(smp_client):
    everything = csv_of(smp_client.get("/pictures/components.csv").text)
    chosen = {"sector": "sector:healthcare"}
    some = csv_of(smp_client.get("/pictures/components.csv", params=chosen).text)
    assert 0 < len(some) < len(everything)
    assert {r["iri"] for r in some} <= {r["iri"] for r in everything}
    page = smp_client.get("/pictures/components", params=chosen, headers=HTML).text
    assert "/pictures/components.svg?sector=sector%3Ahealthcare" in page
    svg = smp_client.get("/pictures/components.svg", params=chosen)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.count("<circle") == sum(v == "yes" for r in some for v in r.values())
    assert svg.text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    bad = smp_client.get("/pictures/components", params={"colour": "red"}, headers=HTML)
    assert bad.status_code == 400 and "kind, sector, country, framework" in bad.text


def test_compare_two_programmes_page_and_csv(smp_client):
    page = smp_client.get("/compare", params={"items": "prog:palim,IOM-MATCH"}, headers=HTML)
    assert page.status_code == 200 and 'class="differs"' in page.text
    rows = csv_of(
        smp_client.get("/compare.csv", params={"items": "prog:palim,prog:iom-match"}).text
    )
    assert {"group", "fact", "differs"} <= set(rows[0])
    kinds = [r for r in rows if r["fact"] == "kind"]
    assert kinds and any(r["differs"] for r in rows) and any(not r["differs"] for r in rows)


def test_compare_refuses_too_many_and_non_programmes(smp_client):
    five = ",".join(["prog:palim"] * 5)
    assert smp_client.get("/compare", params={"items": five}, headers=HTML).status_code == 400
    not_one = smp_client.get("/compare", params={"items": "prog:palim,country:MAR"}, headers=HTML)
    assert not_one.status_code == 400 and "not a programme" in not_one.text


def test_network_page_shows_the_expanded_nodes_links_without_script(smp_client):
    centre = smp_client.get("/pictures/network", params={"focus": "prog:palim"}, headers=HTML)
    assert centre.status_code == 200
    assert 'data-expand="country:MAR"' in centre.text  # a link adds Morocco's neighbours
    grown = smp_client.get(
        "/pictures/network", params={"focus": "prog:palim", "expand": "country:MAR"}, headers=HTML
    )
    assert grown.text.count("<tr data-relation") > centre.text.count("<tr data-relation")
    assert 'data-expand="country:MAR"' not in grown.text
    csv_rows = csv_of(
        smp_client.get(
            "/pictures/network.csv", params={"focus": "prog:palim", "expand": "country:MAR"}
        ).text
    )
    assert len(csv_rows) == grown.text.count("<tr data-relation")
