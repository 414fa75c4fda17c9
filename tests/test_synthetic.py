"""The synthetic data generator (benchmarks/synthetic.py): shaped like the curated graph,
deterministic, valid for a build, and reasoned alike by owlrl and the compiled reasoner."""

from __future__ import annotations

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from benchmarks.synthetic import (
    ACRONYM,
    _profile_for,
    generate,
    scale_for,
    shape_summary,
    synthesize,
    write_turtle,
)
from smpkg.load import Sources, load_turtle
from smpkg.reason import reason, reason_fast
from smpkg.validate import load_checks, load_shapes, validate


@pytest.fixture(scope="module")
def curated_profile(settings):
    return _profile_for(settings.root.resolve())


def generated_subjects(syn) -> set:
    return {c for copies in syn.copies.values() for c in copies}


def test_shape_is_that_of_the_curated_graph(curated_profile):
    # A scale that is not a whole number: every template is drawn twice, and a third time
    # with probability 1/2, so the counts vary around their expectation.
    scale = 2.5
    syn = synthesize(scale, seed=11)
    curated = shape_summary(curated_profile.curated, curated_profile.template_iris)
    generated = shape_summary(syn.graph, generated_subjects(syn))

    # Class distribution: total variation distance of the proportions, and each class with
    # at least 20 expected members within 25 % of its expectation.
    cur_total = sum(curated["classes"].values())
    gen_total = sum(generated["classes"].values())
    classes = set(curated["classes"]) | set(generated["classes"])
    distance = (
        sum(
            abs(curated["classes"][c] / cur_total - generated["classes"][c] / gen_total)
            for c in classes
        )
        / 2
    )
    assert distance < 0.05, distance
    for cls, count in curated["classes"].items():
        expected = count * scale
        if expected >= 20:
            assert abs(generated["classes"][cls] - expected) <= 0.25 * expected, cls
    assert set(generated["classes"]) <= set(curated["classes"])

    # Mean fan-out of every frequent property, literal lengths, links to shared vocabularies.
    for prop, fanout in curated["fanout"].items():
        if fanout >= 0.1:
            assert generated["fanout"][prop] == pytest.approx(fanout, rel=0.2), prop
    for prop, length in curated["literal_length"].items():
        if curated["fanout"][prop] >= 0.1 and length >= 10:
            assert generated["literal_length"][prop] == pytest.approx(length, rel=0.25), prop
    assert generated["shared_link_share"] == pytest.approx(curated["shared_link_share"], abs=0.03)


def test_acronyms_are_unique_and_language_tagged_like_the_curated_ones():
    # The duplicate-acronym check fails a build whose initiatives share one.
    syn = synthesize(2.5, seed=11)
    acronyms = [o for s in generated_subjects(syn) for o in syn.graph.objects(s, ACRONYM)]
    assert len(acronyms) > 50
    assert len({str(a).casefold() for a in acronyms}) == len(acronyms)
    assert {a.language for a in acronyms} == {"en"}


def test_size_follows_the_scale():
    small, large = len(generate(1.0, seed=1)), len(generate(3.0, seed=1))
    per_unit = (large - small) / 2
    assert 2000 < per_unit < 3500
    target = 12_000
    assert len(generate(scale_for(target), seed=0)) == pytest.approx(target, rel=0.05)


def test_deterministic_for_a_seed(tmp_path):
    first, second = generate(0.6, seed=7), generate(0.6, seed=7)
    assert set(first) == set(second)
    assert set(generate(0.6, seed=8)) != set(first)
    # The streamed file holds the same triples.
    path = tmp_path / "synthetic.ttl"
    write_turtle(path, 0.6, seed=7)
    streamed = Graph().parse(path, format="turtle")
    assert isomorphic(streamed, first)


def test_valid_at_curated_size(settings, ontology):
    syn = synthesize(1.0, seed=0)
    assert len(syn.graph) > 3500
    report = validate(
        Sources(syn.graph, []),
        ontology,
        load_shapes(settings.shapes_dir),
        load_checks(settings.checks_dir),
    )
    assert report.conforms, "\n".join(f.line() for f in report.violations[:20])
    # New resources under the project's IRI scheme, linked to the real shared vocabularies.
    assert all("/id/" in str(c) for c in generated_subjects(syn))
    assert any(str(s).endswith("/id/country/MAR") for s in syn.shared)


def test_valid_at_ten_times_the_curated_size(settings, ontology, tmp_path):
    # Faults that grow with the size pass at 1x: acronyms made of one random word collided
    # (birthday odds) 12 times at 10x and 12,154 times at 1M, and none at the curated size.
    # Validated as the benchmark's build does: the streamed file, the compiled validator.
    path = tmp_path / "synthetic.ttl"
    syn = write_turtle(path, 10.0, seed=0)
    assert syn.triples > 25_000
    report = validate(
        load_turtle([path], tmp_path),
        ontology,
        load_shapes(settings.shapes_dir),
        load_checks(settings.checks_dir),
    )
    assert report.conforms, "\n".join(f.line() for f in report.violations[:20])
    # Dates keep the curated model: each with its precision (the shapes check the pairing).
    text = path.read_text(encoding="utf-8")
    assert text.count("#date>") > 300
    assert "time#unitYear>" in text and "time#unitMonth>" in text


def test_compiled_reasoner_equals_owlrl(ontology):
    data = generate(0.5, seed=3)
    fast, _, _ = reason_fast(ontology, data)
    reference, _ = reason(ontology + data)
    assert len(fast) > 500
    assert set(fast) == set(reference)
