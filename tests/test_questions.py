"""Researcher questions as tests: every `tests/questions/*.rq` runs through the served app's
SPARQL endpoint (POST /sparql, in-process), on pyoxigraph and on rdflib, and its answer must
be the one the header says the seeds give.

A question's header (lines starting `#+`, YAML once the markers are stripped) holds:

- `question`: the question in English;
- `evidence`: the seed passages the expected answer was read from (`seed`, `lines` as
  `cat -n` numbers them, `says`: the words, fragments joined by ' ... ', checked verbatim);
- `expect`: the answer as read off the seeds, never as the data happens to give it:
  `ask: true|false`, or `rows:` a list of mappings variable -> value (an IRI as a CURIE
  with a project prefix or in full, a literal as its lexical form), compared as a set with
  the projected variables the rows name;
- `pending` (optional): why the current data does not give that answer yet. The test is then
  xfail(strict=True): it fails as soon as the data gives the expected answer, so that the
  mark is removed with the fix.

The project's PREFIXes are prepended to every question (as `smpkg query --prefixes` does),
so a question declares none of its own.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest
import yaml
from conftest import IN_CI, SHARED, smp_settings
from fastapi.testclient import TestClient

from api import create_app
from smpkg.namespaces import PREFIXES

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"
PROLOGUE = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
ENGINES = ("oxigraph", "rdflib")


@dataclasses.dataclass(frozen=True)
class Question:
    name: str
    text: str
    header: dict

    @property
    def expected(self) -> bool | set[tuple[tuple[str, str], ...]]:
        expect = self.header["expect"]
        if "ask" in expect:
            return bool(expect["ask"])
        return {_row(row) for row in expect["rows"]}


def _expand(value: object) -> str:
    """A CURIE with a project prefix as its full IRI; anything else as its string form."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return f"{PREFIXES[prefix]}{local}"
    return text


def _row(row: dict) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), _expand(v)) for k, v in row.items()))


def load_question(path: Path) -> Question:
    text = path.read_text(encoding="utf-8")
    header_lines = [line[2:] for line in text.splitlines() if line.startswith("#+")]
    header = yaml.safe_load("\n".join(header_lines))
    return Question(path.stem, text, header)


QUESTIONS = [load_question(p) for p in sorted(QUESTIONS_DIR.glob("*.rq"))]


def _params():
    for question in QUESTIONS:
        marks = []
        if question.header.get("pending"):
            marks.append(pytest.mark.xfail(strict=True, reason=question.header["pending"]))
        for engine in ENGINES:
            yield pytest.param(question, engine, marks=marks, id=f"{question.name}-{engine}")


def test_there_are_at_least_45_questions():
    assert len(QUESTIONS) >= 45, [q.name for q in QUESTIONS]


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.name for q in QUESTIONS])
def test_header_is_complete(question):
    header = question.header
    assert header.get("question", "").endswith("?"), f"{question.name}: no question"
    assert header.get("evidence"), f"{question.name}: no seed passage"
    for passage in header["evidence"]:
        assert {"seed", "lines", "says"} <= set(passage), passage
    expect = header.get("expect") or {}
    assert ("ask" in expect) != ("rows" in expect), f"{question.name}: ask or rows"


def _normalised(text: str) -> str:
    """Whitespace collapsed, line-end hyphenation joined, typographic quotes made plain."""
    text = re.sub(r"\[([^\]]*)\]\(#\)", r"\1", text).replace("**", "")
    text = re.sub(r"(?<=[A-Za-z])\d{1,2}\b", "", text)  # footnote markers: "project41"
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    text = text.translate(str.maketrans("\u2018\u2019\u201c\u201d\u2013", "''\"\"-"))
    return " ".join(text.split()).lower()


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.name for q in QUESTIONS])
def test_evidence_is_in_the_seed_lines(question, seeds_dir):
    """Each fragment of `says` (fragments separated by ' ... ') is in the lines named."""
    for passage in question.header["evidence"]:
        lines = (seeds_dir / passage["seed"]).read_text(encoding="utf-8").splitlines()
        first, _, last = str(passage["lines"]).partition("-")
        assert 1 <= int(first) <= int(last or first) <= len(lines), passage
        text = _normalised("\n".join(lines[int(first) - 1 : int(last or first)]))
        for fragment in passage["says"].split("..."):
            fragment = _normalised(fragment).strip(" .,")
            if fragment:
                assert fragment in text, f"{question.name}: {fragment!r} not in {passage}"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    path = Path(os.environ.get("SMPKG_SEEDS") or SHARED / "seeds")
    if not path.is_dir():
        message = f"{path} is absent: the seeds live in ../shared/seeds (or $SMPKG_SEEDS)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def endpoints():
    """The served app over the repository's graph, once per engine (in-process)."""
    settings = smp_settings()
    apps, clients = [], {}
    for engine in ENGINES:
        app = create_app(dataclasses.replace(settings, engine=engine))
        apps.append(app)
        clients[engine] = TestClient(app).__enter__()
        assert clients[engine].get("/health").json()["engine"] == engine
    yield clients
    for client, app in zip(clients.values(), apps, strict=True):
        client.__exit__(None, None, None)
        app.state.snapshot.executor.close()


def ask(client: TestClient, question: Question) -> bool | set[tuple[tuple[str, str], ...]]:
    r = client.post(
        "/sparql",
        data={"query": PROLOGUE + question.text},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    if "boolean" in doc:
        return bool(doc["boolean"])
    expect = question.header["expect"]
    names = sorted({k for row in expect["rows"] for k in row}) or doc["head"]["vars"]
    missing = set(names) - set(doc["head"]["vars"])
    assert not missing, f"{question.name}: expected variables not projected: {missing}"
    return {
        tuple(sorted((n, b[n]["value"]) for n in names if n in b))
        for b in doc["results"]["bindings"]
    }


@pytest.mark.parametrize(("question", "engine"), list(_params()))
def test_question(question, engine, endpoints):
    answer = ask(endpoints[engine], question)
    expected = question.expected
    if isinstance(expected, bool):
        assert answer is expected
        return
    assert isinstance(answer, set)
    missing, extra = expected - answer, answer - expected
    assert not missing and not extra, (
        f"{question.name}: missing {sorted(missing)}; unexpected {sorted(extra)}"
    )
