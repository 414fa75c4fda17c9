"""Every Turtle file of the project is in the one canonical form, so diffs stay reviewable."""

from pathlib import Path

import pytest

from smpkg.canonical import canonical_turtle

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(p for folder in ("ontology", "data") for p in (ROOT / folder).rglob("*.ttl"))


def test_there_are_turtle_files():
    assert len(FILES) > 30


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_file_is_canonical(path):
    assert path.read_text(encoding="utf-8") == canonical_turtle(path), (
        f"run `smpkg format {path.relative_to(ROOT)}`"
    )


def test_canonical_form_is_stable(tmp_path):
    source = tmp_path / "a.ttl"
    source.write_text("""@prefix prog: <https://w3id.org/smpkg/id/programme/> .
@prefix smp: <https://w3id.org/smpkg/ontology#> .
prog:z smp:hasPart [ smp:durationInMonths 2 ], [ smp:durationInMonths 1 ] .
prog:a smp:partOf prog:b ; smp:acronym "x" .
""")
    once = canonical_turtle(source)
    source.write_text(once)
    assert canonical_turtle(source) == once
    assert once.index("prog:a") < once.index("prog:z")
