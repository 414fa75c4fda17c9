"""smpkg.choices: resolving what people type (names, codes, CURIEs) to a parameter's choices,
and refusing with the expected form and the nearest matches."""

from __future__ import annotations

import re

import pytest
from rdflib import URIRef

from smpkg.choices import Choice, KnownResources, Vocabulary, source_of
from smpkg.errors import ConfigurationError, ParameterError
from smpkg.queries import Choices

COUNTRY = "https://w3id.org/smpkg/id/country/"
PROG = "https://w3id.org/smpkg/id/programme/"

ROWS = [
    {"item": COUNTRY + "MAR", "label": "Morocco", "code": "MAR"},
    {"item": COUNTRY + "MAR", "label": "Morocco", "code": "MA"},
    {"item": COUNTRY + "MRT", "label": "Mauritania", "code": "MRT"},
    {"item": COUNTRY + "CIV", "label": "Côte d'Ivoire", "code": "CIV"},
    {"item": COUNTRY + "NER", "label": "Niger", "code": "NER"},
    {"item": COUNTRY + "NGA", "label": "Nigeria", "code": "NGA"},
]


@pytest.fixture(scope="module")
def countries() -> Vocabulary:
    return Vocabulary.from_rows(ROWS, noun="country")


@pytest.mark.parametrize(
    "typed",
    ["Morocco", "morocco", "  MOROCCO ", "MAR", "mar", "MA", "country:MAR", COUNTRY + "MAR"],
)
def test_names_codes_and_identifiers_resolve(countries, typed):
    assert countries.resolve("country", typed) == URIRef(COUNTRY + "MAR")


def test_accents_and_punctuation_do_not_matter(countries):
    assert countries.resolve("country", "cote divoire") == URIRef(COUNTRY + "CIV")


def test_a_wrong_case_curie_is_refused_with_the_right_one(countries):
    with pytest.raises(ParameterError) as info:
        countries.resolve("country", "country:mar")
    message = str(info.value)
    assert "did you mean Morocco (country:MAR)" in message
    assert "by name, code or CURIE" in message and info.value.name == "country"


def test_a_typo_suggests_the_nearest(countries):
    with pytest.raises(ParameterError, match=r"did you mean Morocco \(country:MAR\)"):
        countries.resolve("country", "Marocco")


def test_an_unknown_identifier_is_refused_not_passed_on(countries):
    with pytest.raises(ParameterError, match="not a known country"):
        countries.resolve("country", "country:XYZ")


def test_nothing_close_says_the_expected_form(countries):
    with pytest.raises(ParameterError) as info:
        countries.resolve("country", "Atlantis")
    assert "did you mean" not in str(info.value)
    assert "for example" in str(info.value) and "(5 known)" in str(info.value)


def test_a_name_of_two_choices_is_ambiguous():
    twins = Vocabulary([Choice(PROG + "a", "Pilot"), Choice(PROG + "b", "Pilot")], "programme")
    with pytest.raises(ParameterError, match="names more than one programme"):
        twins.resolve("initiative", "pilot")


def test_rows_without_a_label_show_the_curie():
    vocabulary = Vocabulary.from_rows([{"item": PROG + "thamm"}])
    assert vocabulary.choices[0].label == "prog:thamm"


def test_known_resources_refuse_a_wrong_case_iri_of_the_dataset():
    known = KnownResources({PROG + "thamm": "THAMM"}, "https://w3id.org/smpkg/")
    assert known.resolve("entity", "prog:thamm") == URIRef(PROG + "thamm")
    with pytest.raises(ParameterError, match=r"did you mean THAMM \(prog:thamm\)"):
        known.resolve("entity", "prog:THAMM")
    # Outside the dataset, or unlabelled and without a twin: passed on as given.
    assert known.resolve("entity", "http://example.org/x") == URIRef("http://example.org/x")
    assert known.resolve("entity", "prog:other") == URIRef(PROG + "other")
    with pytest.raises(ParameterError, match="'not an iri' is not a known resource"):
        known.resolve("entity", "not an iri")


def test_known_resources_take_a_name_and_suggest_on_a_typo():
    labels = {PROG + "thamm": "THAMM", PROG + "palim": "PALIM", COUNTRY + "MAR": "Morocco"}
    known = KnownResources(labels, "https://w3id.org/smpkg/")
    assert known.resolve("entity", "thamm") == URIRef(PROG + "thamm")
    assert known.resolve("entity", "Morocco") == URIRef(COUNTRY + "MAR")
    with pytest.raises(ParameterError, match=r"did you mean THAMM \(prog:thamm\)"):
        known.resolve("entity", "THAM")


def test_a_role_is_listed_by_its_own_choices_query():
    funder = Choices("query", "funder")
    assert funder.by_role and funder.noun == "funder"
    source = source_of(funder)
    assert source.query.path.name == "choices-funder.rq" and source.bindings == {}
    assert {"item", "label", "code"} <= set(re.findall(r"\?(\w+)", source.query.text))


def test_a_class_is_listed_by_the_relation_query_with_the_class_bound():
    countries = Choices("instances", "smp:Country")
    assert not countries.by_role and countries.noun == "country"
    source = source_of(countries)
    assert source.query.path.name == "choices-instances.rq"
    assert source.bindings == {"class": URIRef("https://w3id.org/smpkg/ontology#Country")}


def test_a_header_naming_no_choices_query_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match=r"no choices query choices-donor\.rq"):
        source_of(Choices("query", "donor"))
