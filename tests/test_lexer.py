"""The lexer's scan: SERVICE and updates found the way a parser reads the text, before any
engine sees it."""

from __future__ import annotations

import random

import pytest

from smpkg.config import Settings
from smpkg.lexer import _scan, decode_codepoints, nesting, scan, tokens
from smpkg.queries import load_named_queries

SERVICE_SPELLINGS = [
    "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }",
    "select * { service <http://x/> { ?s ?p ?o } }",
    "SELECT * { sErViCe <http://x/> { ?s ?p ?o } }",
    "SELECT * { \\u0053ERVICE <http://x/> { ?s ?p ?o } }",
    "SELECT * { \\u0073\\u0065rvice <http://x/> { ?s ?p ?o } }",
    "SELECT * { \\U00000053ERVICE <http://x/> { ?s ?p ?o } }",
    "SELECT * { SERVICE SILENT <http://x/> { ?s ?p ?o } }",
    "SELECT * { SERVICE ?x { ?s ?p ?o } }",
    "SELECT * { SERVICE$x { ?s ?p ?o } }",
    "SELECT*{SERVICE<http://x/>{?s ?p ?o}}",
    "SELECT * { SERVICE#c\n<http://x/> { } }",
    "SELECT * { { SELECT * { SERVICE <http://x/> {} } } }",
    "SELECT * { FILTER EXISTS { SERVICE <http://x/> {} } }",
    "SELECT * { FILTER(?a<1) SERVICE<http://x/>{} }",
    # A comment ends at CR as well as LF (SPARQL 1.1 section 19.6).
    "SELECT * WHERE { # c\rSERVICE <http://127.0.0.1:1/sparql> { ?x ?y ?z } }",
    "SELECT * WHERE { # c\r\nSERVICE <http://x/> { } }",
    # Escapes in prefixed names (PN_LOCAL_ESC) do not start comments or strings.
    "PREFIX ex: <http://e/> SELECT * { ?s ex:a\\# ?o . SERVICE <http://x/> {} }",
    "PREFIX ex: <http://e/> SELECT * { ?s ex:a\\#b ?o . SERVICE <http://x/> {} }",
    "PREFIX ex: <http://e/> SELECT * { ?s ex:a\\' ?o . SERVICE <http://x/> {} }",
    "PREFIX : <http://e/> SELECT * { ?s :\\# ?o . SERVICE <http://x/> {} }",
    # A backslash where no escape may stand is not an escape of what follows it.
    "PREFIX ex: <http://e/> SELECT * { ?s ex:a\\ SERVICE <http://x/> {} }",
    "SELECT * { ?s ?p ?o } \\# SERVICE <http://x/> {}",
    # A short string ends at CR too, escaped or not.
    "SELECT * { ?s ?p 'a\rSERVICE <http://x/> {} }",
    "SELECT * { ?s ?p 'a\\\nSERVICE <http://x/> {} }",
]


@pytest.mark.parametrize("text", SERVICE_SPELLINGS)
def test_service_is_found(text):
    assert scan(text).uses_service


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * { ?s ?p "SERVICE <http://x/>" }',
        "SELECT * { ?s ?p '''a\nSERVICE''' }",
        "SELECT * { ?s ?p ?o } # SERVICE <http://x/> { }",
        "SELECT * { ?s <http://example.org/SERVICE> ?o }",
        "PREFIX ex: <http://example.org/> SELECT * { ?s ex:SERVICE ?o }",
        "PREFIX SERVICE: <http://example.org/> SELECT * { ?s SERVICE:p ?o }",
        "SELECT ?SERVICE { ?SERVICE ?p ?o }",
        "SELECT * { _:SERVICE ?p ?o }",
        'SELECT * { ?s ?p "x"@service }',
        "PREFIX : <http://e/> SELECT * { ?s :SERVICE ?o }",
        "PREFIX ex: <http://e/> SELECT * { ?s ex:a\\#SERVICE ?o }",
        "SELECT * {\n# c\u2028SERVICE <http://x/> { }\n?s ?p ?o }",
    ],
)
def test_service_in_strings_iris_comments_names_is_not_a_keyword(text):
    assert not scan(text).uses_service


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <a> <b> <c> }",
        "PREFIX ex: <http://e/> DELETE WHERE { ?s ex:p ?o }",
        "LOAD <http://x/data.ttl>",
        "load silent <http://x/data.ttl>",
        "CLEAR ALL",
        "DROP GRAPH <http://x/>",
        "CREATE GRAPH <http://x/>",
        "ADD <http://a/> TO <http://b/>",
        "MOVE DEFAULT TO <http://b/>",
        "COPY <a> TO <b>",
        "WITH <http://g/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "\\u0049NSERT DATA { <a> <b> <c> }",
    ],
)
def test_updates_are_found(text):
    assert scan(text).looks_like_update


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { ?s ?p ?o }",
        "ASK {}",
        "CONSTRUCT { ?s <http://e/insert> ?o } WHERE { ?s ?p ?o }",
        "SELECT (COUNT(*) AS ?load) { ?s ?p ?o }",
        'SELECT * { ?s ?p "INSERT DATA" }',
    ],
)
def test_queries_are_not_updates(text):
    assert not scan(text).looks_like_update


def test_dataset_clause():
    assert scan("SELECT * FROM <http://g/> { ?s ?p ?o }").has_dataset_clause
    assert scan("SELECT * FROM NAMED <http://g/> { ?s ?p ?o }").has_dataset_clause
    assert not scan('SELECT * { ?s ?p "FROM" }').has_dataset_clause


def test_decode_codepoints():
    assert decode_codepoints("\\u0041\\U00000042c") == "ABc"
    assert decode_codepoints("\\uZZZZ") == "\\uZZZZ"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?élan WHERE { ?élan ?p ?o }",
        "SELECT * WHERE { ?s ?p ?o } \\u02eeSERVICE",
        "SELECT * WHERE { ?s ex:café ?o }",
    ],
)
def test_letters_beyond_ascii_outside_strings(text):
    # Such letters may start a name the lexer has no rule for; they are skipped, and a
    # keyword right after them still counts (conservatively).
    words = scan(text).keywords
    assert words[:1] == ("SELECT",)
    assert scan(text).uses_service == text.endswith("SERVICE")


def test_long_and_unterminated_strings_hide_keywords():
    assert not scan('SELECT * { ?s ?p """a " SERVICE\n "" INSERT""" }').uses_service
    assert not scan("SELECT * { ?s ?p 'it\\'s SERVICE' }").uses_service
    # A short string ends at the line's end even without its closing quote.
    assert scan("SELECT * { ?s ?p 'open\nSERVICE <http://x/> {} }").uses_service


def _keywords_by_tokens(text: str) -> tuple[str, ...]:
    if "\\" in text:
        text = decode_codepoints(text)
    return tuple(word for kind, word, _ in tokens(text) if kind == "word")


# Pieces that put the two readings at their edges: prefixed names and blank-node labels next
# to keywords, escapes, quotes of every kind left open, IRIs that do not close, comments.
_PIECES = list(
    "SERVICE select FROM ex: _:b ?x $y <http://a> < > # \n \" ' \\ ERVICE {}();,.:_-é0"
) + [
    "SERVICE",
    '"""',
    "'''",
    "<a b>",
    "ex:SERVICE",
    "SERVICE:x",
    "INSERT",
    "\\u0053",
    "_:",
    "a_b",
    "x:_y",
    ":SERVICE",
    "a:b-c.d%",
    "12",
    "\\n",
    "\r",
    "\\#",
    "\\'",
    ":\\#",
    "@en",
    "[",
    "]",
]


def test_scan_reads_as_the_token_stream_does():
    """`scan` runs one regex in `re.findall`; `tokens` walks the same grammar match by match
    (the remote store's parameter binding uses it). They must find the same keywords."""
    texts = [q.text for q in load_named_queries(Settings.from_env().queries_dir).values()]
    texts += SERVICE_SPELLINGS
    rng = random.Random(20261122)
    texts += ["".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 30))) for _ in range(20000)]
    different = [t for t in texts if _scan(t).keywords != _keywords_by_tokens(t)]
    assert different == []


def test_nesting_counts_brackets_outside_strings_and_comments():
    assert nesting("SELECT * { { ?s ?p ?o } FILTER((1)) }") == 3
    assert nesting('SELECT * { ?s ?p "{{{{" } # ((((') == 1
    assert nesting("SELECT * { ?s <p> [ <q> [ <r> 1 ] ] }") == 3
    assert nesting("{" * 500) == 500
