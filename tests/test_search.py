"""The search index (smpkg.search) on small known rows, and the search routes over the
repository's graph (/api/search, /search)."""

from __future__ import annotations

import pytest

from smpkg.search import (
    ACRONYM,
    RDFS_LABEL,
    SKOS,
    SearchIndex,
    key,
    one_line,
    search_queries,
    within_one_edit,
    words,
)

EX = "http://example.org/"
SMP = "https://w3id.org/smpkg/ontology#"


def name(s: str, p: str, text: str) -> dict[str, str]:
    return {"s": EX + s, "p": p, "name": text}


ROWS = {
    "names": [
        name("palim", RDFS_LABEL, "PALIM project"),
        name("palim", ACRONYM, "PALIM"),
        name("match", RDFS_LABEL, "IOM-MATCH"),
        name("match", SKOS + "altLabel", "IOM-Match"),
        name("iledefrance", RDFS_LABEL, "Île-de-France"),
        name("pal", RDFS_LABEL, "Palestine"),
        name("palm", RDFS_LABEL, "Palm oil sector"),
        name("thamm", RDFS_LABEL, "Towards a Holistic Approach to Labour Migration Governance"),
        name("thamm", SKOS + "altLabel", "THAMM"),
        name("nurse", RDFS_LABEL, "Nurses for Germany"),
    ],
    "types": [
        {"s": EX + "palim", "type": SMP + "Initiative", "typeLabel": "initiative"},
        {"s": EX + "palim", "type": SMP + "PilotProject", "typeLabel": "pilot project"},
        {"s": EX + "palim", "type": SMP + "Project", "typeLabel": "project"},
        {"s": EX + "pal", "type": SMP + "Country", "typeLabel": "country"},
    ],
    "subclasses": [
        {"sub": SMP + "PilotProject", "super": SMP + "Project"},
        {"sub": SMP + "Project", "super": SMP + "Initiative"},
    ],
    "summaries": [
        {
            "s": EX + "palim",
            "p": "http://purl.org/dc/terms/description",
            "text": "A Belgian pilot. It ran in Flanders.",
        },
        {"s": EX + "palim", "p": "http://www.w3.org/2000/01/rdf-schema#comment", "text": "Other."},
    ],
}


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.from_rows(ROWS)


def iris(hits) -> list[str]:
    return [h.iri.removeprefix(EX) for h in hits]


def test_normalisation_ignores_case_accents_and_punctuation():
    assert words("Île-de-France") == ["ile", "de", "france"]
    assert key("IOM-MATCH") == key("iom match") == "iommatch"
    assert words("  ,;  ") == []


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("palim", "palin", True),  # substitution
        ("iommatch", "iommach", True),  # deletion
        ("thamm", "tham", True),
        ("thamm", "thammx", True),  # insertion
        ("thamm", "htamm", True),  # neighbours swapped
        ("thamm", "hatmm", False),
        ("palim", "plain", False),
        ("abc", "abcde", False),
    ],
)
def test_one_edit(a, b, near):
    assert within_one_edit(a, b) is near
    assert within_one_edit(b, a) is near


def test_exact_acronym_first_with_kind_and_summary(index):
    hits = index.search("palim")
    assert iris(hits)[0] == "palim"
    top = hits[0]
    assert (top.tier, top.matched) == ("exact", "PALIM")
    assert top.label == "PALIM project"  # the label, not the acronym, is the title
    assert top.kind == "pilot project"  # the most specific of its classes
    assert top.summary == "A Belgian pilot."  # the description's first sentence


def test_one_typo_in_an_acronym(index):
    assert iris(index.search("PALIN"))[0] == "palim"
    hit = index.search("IOM-MACH")[0]
    assert (hit.iri, hit.tier) == (EX + "match", "fuzzy")
    assert iris(index.search("thamn"))[0] == "thamm"


def test_ranking_exact_then_prefix_then_word_then_fuzzy(index):
    hits = index.search("pal")
    # "Palestine" and "Palm oil sector" and "PALIM" start with "pal": prefixes; no exact name.
    assert {h.tier for h in hits} == {"prefix"}
    hits = index.search("palestine")
    assert [(h.iri.removeprefix(EX), h.tier) for h in hits] == [("pal", "exact")]
    hits = index.search("germany")
    assert [(h.iri.removeprefix(EX), h.tier) for h in hits] == [("nurse", "word")]
    tiers = [h.tier for h in index.search("palm")]
    assert tiers[0] == "exact" or tiers[0] == "prefix"
    order = ["exact", "prefix", "word", "fuzzy"]
    assert tiers == sorted(tiers, key=order.index)
    # "palm" is one edit from "palim": found, after the prefix hit.
    assert "palim" in iris(index.search("palm"))


def test_accent_and_punctuation_insensitive(index):
    assert iris(index.search("ile de france")) == ["iledefrance"]
    assert iris(index.search("ILEDEFRANCE")) == ["iledefrance"]
    assert iris(index.search("iom match"))[0] == "match"


def test_several_words_must_all_match(index):
    assert iris(index.search("nurses germ")) == ["nurse"]
    assert index.search("nurses palestine") == []


def test_a_very_long_query_is_cheap(index):
    assert index.search("palim " + "x" * 100_000) == []
    assert iris(index.search("palim " * 10_000))[0] == "palim"


def test_nothing_for_no_letters_and_limit(index):
    assert index.search("!!!") == []
    assert len(index.search("p", limit=1)) <= 1


def test_one_line_summary_is_cut_at_a_word():
    text = "word " * 60
    cut = one_line(text)
    assert len(cut) <= 160 and cut.endswith("…") and " wor…" not in cut


def test_search_queries_are_loaded():
    assert set(search_queries()) == {"names", "types", "subclasses", "summaries"}


def test_typo_candidates_are_exactly_the_names_one_edit_away(index):
    """The query's own variants find what a scan of every key with `within_one_edit` finds."""
    keys = list(index.tables.by_key) + list(index.tables.by_word)
    for text in ("palin", "iommach", "thamn", "htamm", "palestin", "germanyy", "zzz", "pa"):
        scanned = {k for k in keys if len(k) >= 3 and within_one_edit(text, k)}
        found = set(index._near(index.tables.by_key, text)) | set(
            index._near(index.tables.by_word, text)
        )
        assert found == scanned, text


def test_rows_in_any_order_make_the_same_index(index):
    shuffled = {name: list(reversed(rows)) for name, rows in ROWS.items()}
    assert SearchIndex.from_rows(shuffled).tables == index.tables


# --------------------------------------------------------------------------- over the graph


def test_api_search_finds_programmes_by_acronym_with_a_typo(smp_client):
    for text, slug in (("PALIN", "palim"), ("IOM-MACH", "iom-match"), ("palim", "palim")):
        r = smp_client.get("/api/search", params={"q": text})
        assert r.status_code == 200
        top = r.json()["hits"][0]
        assert top["href"] == f"/id/programme/{slug}", (text, top)
        assert top["kind"] and top["summary"]


def test_api_search_country_by_name(smp_client):
    top = smp_client.get("/api/search", params={"q": "morocco"}).json()["hits"][0]
    assert (top["href"], top["match"], top["kind"]) == ("/id/country/MAR", "exact", "country")


def test_api_search_bad_limit_is_400(smp_client):
    r = smp_client.get("/api/search", params={"q": "x", "limit": "0"})
    assert r.status_code == 400
    assert "limit" in r.text


def test_search_page_works_without_javascript(smp_client):
    r = smp_client.get("/search", params={"q": "PALIN"}, headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert 'href="/id/programme/palim"' in r.text
    assert "close spelling" in r.text
    empty = smp_client.get("/search", params={"q": "zzzzqqq"})
    assert "Nothing matches" in empty.text
