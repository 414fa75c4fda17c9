"""smpkg.results_page: the table people see of a query's rows."""

from __future__ import annotations

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from smpkg.describe import Links
from smpkg.results_page import label_columns, results_table

BASE = "https://w3id.org/smpkg/"
PROG = URIRef(BASE + "id/programme/thamm")
SECTOR = URIRef(BASE + "id/sector/ict")
href = Links(BASE).href


def test_a_label_column_is_folded_into_its_iri_column():
    assert label_columns(["p", "pLabel", "q", "note"]) == {"p": "pLabel"}
    table = results_table(
        ["p", "pLabel", "start"],
        [
            {
                "p": PROG,
                "pLabel": Literal("THAMM", lang="en"),
                "start": Literal("2019", datatype=XSD.gYear),
            }
        ],
        href,
    )
    assert [c.name for c in table.columns] == ["p", "start"]
    (row,) = table.rows
    assert (row[0].text, row[0].href, row[0].title) == (
        "THAMM",
        "/id/programme/thamm",
        "prog:thamm",
    )
    # The value, never the datatype IRI or the language tag.
    assert row[1].text == "2019" and "XMLSchema" not in row[1].title


def test_iris_without_a_label_column_take_the_known_label_or_the_curie():
    rows = [{"x": SECTOR}, {"x": PROG}, {"x": URIRef("http://www.wikidata.org/entity/Q1028")}]
    table = results_table(["x"], rows, href, {str(SECTOR): "ICT"})
    cells = [r[0] for r in table.rows]
    assert (cells[0].text, cells[0].href) == ("ICT", "/id/sector/ict")
    assert (cells[1].text, cells[1].href) == ("prog:thamm", "/id/programme/thamm")
    # The caller learns which IRIs lack a label (and may look them up).
    assert [c.unlabelled for c in cells] == [False, True, True]
    # Outside the dataset: linked as it is.
    assert cells[2].href == "http://www.wikidata.org/entity/Q1028"


def test_numbers_are_marked_numeric_and_blank_nodes_unlinked():
    rows = [
        {"n": Literal(1200, datatype=XSD.integer), "b": BNode("x")},
        {"n": Literal(3, datatype=XSD.integer)},
    ]
    table = results_table(["n", "b"], rows, href)
    assert table.columns[0].numeric and not table.columns[1].numeric
    assert (
        table.rows[0][0].value == "1200" and table.rows[0][0].text.replace("\u202f", "") == "1200"
    )
    assert table.rows[0][1].href is None and table.rows[1][1].text == ""
