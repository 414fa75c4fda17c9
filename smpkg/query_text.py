"""A query's text: its form (`form_of`), its short hash for logs (`query_hash`), and the
rewriting for a store that takes no bindings: parameters as a VALUES block (`bind_values`)
placed in the query's outer WHERE group, each term in SPARQL syntax (`sparql_term`).
`with_parameters` is the same rewriting written for people (the query editor's named
queries): one commented VALUES line per parameter."""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from .errors import QueryFailed
from .lexer import FORMS, decode_codepoints, scan, tokens

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Texts up to this length are read on the event loop, a longer one on a thread: the scan of
# a megabyte takes 80 ms, its digest alone 0.56 ms.
INLINE_LOOKUP_CHARS = 4096


def form_of(text: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE, as the text says, or None if it says none."""
    return scan(text).form


def form_of_safe(text: str) -> str | None:
    """`form_of`, or None when the text cannot be scanned (a label: any failure is unknown)."""
    with contextlib.suppress(Exception):
        return form_of(text)
    return None


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
        if not _VARIABLE.fullmatch(name):
            raise QueryFailed(f"not a variable name: {name!r}")
    block = (
        " VALUES ("
        + " ".join(f"?{n}" for n in names)
        + ") { ("
        + " ".join(sparql_term(terms[n]) for n in names)
        + ") } "
    )
    return _into_where(text, block)


def _into_where(text: str, block: str) -> str:
    """`text` with `block` first in its WHERE group (a sub-SELECT alone there is wrapped)."""
    start, end, subselect = _where_group(text)
    if subselect:
        return text[: start + 1] + block + "{ " + text[start + 1 : end] + " } " + text[end:]
    return text[: start + 1] + block + text[start + 1 :]


@dataclass(frozen=True)
class BoundParameter:
    """A parameter's value as the editor writes it into a query's text."""

    name: str  # the variable, without `?`
    term: Identifier  # checked by NamedQuery.bindings: an RDF term, never raw text
    note: str  # what the value is, for the comment above it ("Morocco, the example")


def with_parameters(text: str, parameters: Sequence[BoundParameter]) -> str:
    """The query with each parameter bound as a SPARQL user writes it, at the top of its WHERE
    group (where the query's FILTERs see it, as the engines' bindings do):

        # Parameter ?country: Morocco, the query's example
        VALUES ?country { <https://w3id.org/smpkg/id/country/MAR> }

    The term is written by `sparql_term` (an IRI that could end the `<...>` is refused,
    literals are escaped) and the note is kept on its comment line."""
    if not parameters:
        return text
    text = decode_codepoints(text)
    lines = []
    for param in parameters:
        if not _VARIABLE.fullmatch(param.name):
            raise QueryFailed(f"not a variable name: {param.name!r}")
        note = " ".join(param.note.split())
        lines.append(f"  # Parameter ?{param.name}" + (f": {note}" if note else ""))
        lines.append(f"  VALUES ?{param.name} {{ {sparql_term(param.term)} }}")
    return _into_where(text, "\n" + "\n".join(lines))


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
