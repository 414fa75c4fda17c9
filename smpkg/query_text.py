"""A query's text: its short hash for logs (`query_hash`), and the rewriting for a store that
takes no bindings: parameters as a VALUES block (`bind_values`) placed in the query's outer
WHERE group, each term in SPARQL syntax (`sparql_term`)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from urllib.parse import urljoin

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from .errors import QueryFailed
from .lexer import FORMS, decode_codepoints, tokens


def query_hash(text: str) -> str:
    """Sixteen hex digits naming a query text in logs without printing it."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def sparql_term(term: Identifier) -> str:
    """An RDF term in SPARQL syntax, for a VALUES block."""
    if isinstance(term, URIRef):
        iri = str(term)
        if re.search(r'[\x00-\x20<>"{}|^`\\]', iri):
            raise QueryFailed(f"cannot send the IRI {iri!r} to the store")
        return f"<{iri}>"
    if isinstance(term, Literal):
        text = str(term)
        for char, escaped in (
            ("\\", "\\\\"),
            ('"', '\\"'),
            ("\n", "\\n"),
            ("\r", "\\r"),
            ("\t", "\\t"),
        ):
            text = text.replace(char, escaped)
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype and term.datatype != XSD.string:
            return f'"{text}"^^{sparql_term(URIRef(term.datatype))}'
        return f'"{text}"'
    raise QueryFailed(f"cannot send {term!r} to the store as a parameter")


def _where_group(text: str) -> tuple[int, int, bool]:
    """(index of the `{` that opens the query's WHERE group, index of its `}`, whether the
    group holds a sub-SELECT first), found on the tokens `lexer.scan` reads."""
    braces = parens = 0
    form = None
    saw_where = template_seen = False
    start = -1
    first_word_inside: str | None = None
    for kind, token, at in tokens(text):
        if kind == "word":
            if start >= 0 and braces == 1 and first_word_inside is None:
                first_word_inside = token
            if braces == 0 and parens == 0:
                if form is None and token in FORMS:
                    form = token
                elif token == "WHERE" and form:
                    saw_where = True
        elif token == "(":
            parens += 1
        elif token == ")":
            parens -= 1
        elif token == "{":
            if braces == 0 and parens == 0 and form and start < 0:
                if form != "CONSTRUCT" or template_seen:
                    start = at
                elif saw_where:
                    raise QueryFailed(
                        "parameters cannot be bound in a CONSTRUCT WHERE { } short form "
                        "on an external store: write CONSTRUCT { ... } WHERE { ... }"
                    )
                else:
                    template_seen = True
            braces += 1
        else:
            braces -= 1
            if braces == 0 and start >= 0:
                return start, at, first_word_inside == "SELECT"
    raise QueryFailed("this query has no WHERE group to bind parameters in")


def bind_values(text: str, bindings: Mapping[str, Identifier]) -> str:
    """The query with its parameters bound by a VALUES block at the top of its WHERE group,
    the standard SPARQL 1.1 way every store understands: `{ VALUES (?a) { (<x>) } ... }`. The
    query's FILTERs see the values as pyoxigraph's substitutions would. (When the group is a
    sub-SELECT alone, it is wrapped: `{ VALUES ... { SELECT ... } }`.)"""
    if not bindings:
        return text
    text = decode_codepoints(text)
    names = sorted(str(k) for k in bindings)
    terms = {str(k): v for k, v in bindings.items()}
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise QueryFailed(f"not a variable name: {name!r}")
    block = (
        " VALUES ("
        + " ".join(f"?{n}" for n in names)
        + ") { ("
        + " ".join(sparql_term(terms[n]) for n in names)
        + ") } "
    )
    start, end, subselect = _where_group(text)
    if subselect:
        return text[: start + 1] + block + "{ " + text[start + 1 : end] + " } " + text[end:]
    return text[: start + 1] + block + text[start + 1 :]


_BASE_IRI = re.compile(r"\s*<([^<>\"{}|^`\\\x00-\x20]*)>")


def with_base(text: str, base_iri: str) -> str:
    """The query with its relative IRIs resolved against `base_iri`: its own BASE
    declarations made absolute (each resolved against the one before, as a parser does),
    and a BASE before its prologue unless the prologue starts with one of its own. So a
    query that declares its base is sent with one BASE, not two, which SPARQL allows but not
    every store takes (Virtuoso refuses the second)."""
    parts: list[str] = []
    last, base, first = 0, base_iri, None
    for kind, token, at in tokens(text):
        if kind != "word" or token not in ("BASE", "PREFIX"):
            break  # the prologue ends
        first = first or token
        iri = _BASE_IRI.match(text, at + len(token)) if token == "BASE" else None
        if iri is not None:
            base = urljoin(base, iri.group(1))
            parts += [text[last : iri.start(1)], base]
            last = iri.end(1)
    resolved = "".join(parts) + text[last:]
    return resolved if first == "BASE" and parts else f"BASE <{base_iri}>\n{resolved}"
