"""The query guard: whether a SPARQL text may run here, decided before any engine sees it.

It fails closed. A text is let through only when it parses as a query (not an update), holds
no SERVICE anywhere, and names in FROM / FROM NAMED only graphs the dataset holds; a text that
does not parse is refused with the parser's message, never passed on. The decision is made on
a parser's reading of the text, in two tiers:

- Most queries never spell the letters of "service" or "from" (case-folded, before and after
  SPARQL's codepoint escapes are decoded). No parser can find either keyword in such a text,
  however it is hidden, so only the engine's own parser is asked whether it is a query:
  pyoxigraph, on an empty store (tens of microseconds).
- A text that does spell them, in a keyword or a string, a comment or a name, is parsed by
  rdflib's SPARQL grammar and decided on its parse tree: a `ServiceGraphPattern` anywhere
  (sub-queries, OPTIONAL, UNION, MINUS, FILTER EXISTS, a variable endpoint) refuses it, and
  the IRIs of its `DatasetClause`s are resolved and checked. rdflib's grammar is slow
  (milliseconds to a tenth of a second), so verdicts are kept by text hash.

rdflib's reading is made to match the engine's where the two differ: pyoxigraph, as SPARQL
1.1 section 19.6 says, ends a comment at CR as well as LF, rdflib only at LF, so CRs are read
as LFs; pyoxigraph decodes codepoint escapes inside strings and IRIs only, rdflib everywhere,
so an escape that could move where a string, an IRI or a comment starts or ends (ASCII
punctuation, spaces, controls) is refused in such a text. The lexer's conservative scan is
asked as well, and a SERVICE either of them sees is refused.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass

import pyoxigraph as ox

from .engine import NO_SERVICE, READ_ONLY
from .errors import QueryRefused, QuerySyntaxError
from .lexer import decode_codepoints, nesting, scan

NO_LOAD = (
    "LOAD is not accepted: this endpoint is read-only and never fetches data "
    "(load the data into your own store instead)"
)
HIDDEN_ESCAPE = (
    "a codepoint escape (\\u or \\U) of an ASCII punctuation mark, space or control "
    "character is not accepted in a query that mentions SERVICE or FROM: write the "
    "character itself"
)
# pyoxigraph's parser recurses once a level and overflows the C stack (a segmentation fault,
# not an exception) at about 2,500 nested braces or 5,000 parentheses on an 8 MiB stack;
# threads have less. No real query nests a tenth as deep.
MAX_NESTING = 128
TOO_DEEP = f"the query nests brackets more than {MAX_NESTING} levels deep"
# Verdicts kept, by text hash: a few hundred bytes each.
MEMO_ENTRIES = 1024

_DANGEROUS = ("service", "from")
_FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}
# What an escape may decode to in a text rdflib decides: not one of these.
_STRUCTURAL = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class Checked:
    """A query the guard lets through: its form and its own dataset (FROM, FROM NAMED)."""

    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    @property
    def has_dataset_clause(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


@dataclass(frozen=True)
class _Refusal:
    error: type[QueryRefused] | type[QuerySyntaxError]
    message: str


_memo: OrderedDict[tuple, Checked | _Refusal] = OrderedDict()
_memo_lock = threading.Lock()
# rdflib's SPARQL grammar (pyparsing) is not thread-safe: whatever parses with it in this
# process (the guard, rdflib's engine) takes this lock, one text at a time.
PARSER_LOCK = threading.Lock()
# An empty store: pyoxigraph parses a text given to it, and has nothing to evaluate it on.
_empty = ox.Store()


def check_query(
    text: str, graphs: Collection[str] | None = (), base_iri: str | None = None
) -> Checked:
    """The form and dataset of `text` if it may run on a dataset holding `graphs` (the IRIs
    of its named graphs); QueryRefused (403) or QuerySyntaxError (400) otherwise. `graphs`
    None: the request gives its own dataset (the protocol's default-graph-uri and
    named-graph-uri), which overrides the text's FROM clauses, so those name nothing fetched."""
    held = None if graphs is None else frozenset(graphs)
    key = (
        hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest(),
        base_iri,
        held,
    )
    with _memo_lock:
        verdict = _memo.get(key)
        if verdict is not None:
            _memo.move_to_end(key)
    if verdict is None:
        verdict = _decide(text, held, base_iri)
        with _memo_lock:
            _memo[key] = verdict
            while len(_memo) > MEMO_ENTRIES:
                _memo.popitem(last=False)
    if isinstance(verdict, _Refusal):
        raise verdict.error(verdict.message)
    return verdict


def _decide(text: str, held: frozenset[str] | None, base_iri: str | None) -> Checked | _Refusal:
    try:
        return _check(text, held, base_iri)
    except (QueryRefused, QuerySyntaxError) as exc:
        return _Refusal(type(exc), str(exc))


def screen(
    text: str, graphs: Collection[str] | None = (), base_iri: str | None = None
) -> Checked | None:
    """`check_query` for a caller about to run the text on pyoxigraph: None for a text whose
    verdict would be pyoxigraph's parse alone (no SERVICE, no FROM, not nested too deep),
    since that run parses it anyway; the caller takes the form from the result
    (`verdict_of_result`) and, should the run fail, asks `check_query` what the text is. A
    distinct query is then parsed once, not twice (the parse on the empty store was a fifth
    of a worker's time)."""
    if _too_deep_maybe(text) or _dangerous(text, _decoded(text)):
        return check_query(text, graphs, base_iri)
    return None


def verdict_of_result(result: object, text: str) -> Checked:
    """The verdict on a text pyoxigraph ran, from what it answered."""
    if isinstance(result, ox.QueryBoolean):
        return Checked("ASK")
    if isinstance(result, ox.QuerySolutions):
        return Checked("SELECT")
    return Checked("DESCRIBE" if scan(text).form == "DESCRIBE" else "CONSTRUCT")


def _too_deep_maybe(text: str) -> bool:
    return text.count("{") + text.count("(") + text.count("[") > MAX_NESTING


def _decoded(text: str) -> str:
    return decode_codepoints(text) if "\\" in text else text


def _dangerous(text: str, decoded: str) -> bool:
    folded = text.casefold() + "\0" + decoded.casefold()
    return any(word in folded for word in _DANGEROUS)


def _check(text: str, held: frozenset[str] | None, base_iri: str | None) -> Checked:
    if _too_deep_maybe(text) and (
        nesting(text) > MAX_NESTING or nesting(decode_codepoints(text)) > MAX_NESTING
    ):
        raise QueryRefused(TOO_DEEP)
    decoded = _decoded(text)
    if _dangerous(text, decoded):
        return _by_parse_tree(text, decoded, held, base_iri)
    return _by_engine(text, base_iri)


def _by_engine(text: str, base_iri: str | None) -> Checked:
    """A text without SERVICE or FROM: a query if pyoxigraph parses it."""
    try:
        result = _empty.query(text, base_iri=base_iri) if base_iri else _empty.query(text)
    except SyntaxError as exc:
        raise _not_a_query(text, " ".join(str(exc).split())) from None
    except Exception as exc:  # noqa: BLE001 - on an empty store, any failure is the text's
        raise QuerySyntaxError(_first_line(exc)) from None
    return verdict_of_result(result, text)


def _by_parse_tree(
    text: str, decoded: str, held: frozenset[str] | None, base_iri: str | None
) -> Checked:
    for match in _ESCAPE.finditer(text):
        code = int(match.group(1) or match.group(2), 16)
        if code < 0x80 and _STRUCTURAL.match(chr(code)):
            raise QueryRefused(HIDDEN_ESCAPE)
    if scan(text).uses_service:
        # The lexer reads a SERVICE keyword: refused whatever the parser would say. (rdflib
        # searches the whole text again for every SERVICE it parses, and recurses doing so.)
        raise QueryRefused(NO_SERVICE)
    grammar = _rdflib_grammar()
    readable = decoded.replace("\r", "\n")
    failure = None
    with PARSER_LOCK:
        try:
            tree = grammar.Query.parse_string(readable, parse_all=True)
        except RecursionError:
            raise QueryRefused(TOO_DEEP) from None
        except Exception as exc:  # noqa: BLE001 - pyparsing's ParseException and kin
            failure = _first_line(exc)
    if failure is not None:
        raise _not_a_query(text, failure, tree_of=readable)
    query = tree[-1]
    if _has_service(tree):
        raise QueryRefused(NO_SERVICE)
    default, named = _dataset(tree, base_iri)
    foreign = [iri for iri in (*default, *named) if held is not None and iri not in held]
    if foreign and held is not None:
        holds = ", ".join(f"<{g}>" for g in sorted(held)) or "no named graphs"
        raise QueryRefused(
            f"FROM <{foreign[0]}>: this endpoint never fetches graphs; it holds {holds}"
        )
    return Checked(_FORMS.get(query.name, "SELECT"), default, named)


def _not_a_query(
    text: str, message: str, tree_of: str | None = None
) -> QueryRefused | QuerySyntaxError:
    """What a text that does not parse as a query is: an update (refused: read-only, or
    LOAD) or a syntax error with the parser's message."""
    if not scan(text).looks_like_update:
        return QuerySyntaxError(message)
    grammar = _rdflib_grammar()
    readable = tree_of if tree_of is not None else decode_codepoints(text).replace("\r", "\n")
    with PARSER_LOCK:
        try:
            update = grammar.UpdateUnit.parse_string(readable, parse_all=True)[0]
        except RecursionError:
            return QueryRefused(TOO_DEEP)
        except Exception:  # noqa: BLE001 - not an update either
            return QuerySyntaxError(message)
    if "request" in update and any(op.name == "Load" for op in update["request"]):
        return QueryRefused(NO_LOAD)
    return QueryRefused(READ_ONLY)


def _has_service(tree) -> bool:
    """Whether a `ServiceGraphPattern` is anywhere in rdflib's parse tree (walked without
    recursion: the tree is as deep as the query nests)."""
    parserutils = _rdflib_parserutils()
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, parserutils.CompValue):
            if node.name == "ServiceGraphPattern":
                return True
            pending.extend(node.values())
        elif isinstance(node, (list, tuple, parserutils.ParseResults)):
            pending.extend(node)
    return False


def _dataset(tree, base_iri: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The IRIs of the query's FROM and FROM NAMED clauses, resolved against its prologue."""
    # Deferred: importing any of rdflib.plugins.sparql builds its grammar (see below).
    from rdflib.plugins.sparql.algebra import translatePrologue  # noqa: PLC0415

    query = tree[-1]
    if "datasetClause" not in query:
        return (), ()
    clauses = query["datasetClause"]
    prologue = translatePrologue(tree[0], base_iri)
    default: list[str] = []
    named: list[str] = []
    for clause in clauses:
        # CompValue.get answers a missing key with the key itself: `in` it is.
        if "default" in clause:
            default.append(str(prologue.absolutize(clause["default"])))
        if "named" in clause:
            named.append(str(prologue.absolutize(clause["named"])))
    return tuple(default), tuple(named)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# rdflib's SPARQL grammar takes about half a second to import (pyparsing builds it), paid
# only by a process that meets a text mentioning SERVICE or FROM, or an update.
@functools.cache
def _rdflib_grammar():
    from rdflib.plugins.sparql import parser  # noqa: PLC0415 - half a second (above)

    return parser


@functools.cache
def _rdflib_parserutils():
    from rdflib.plugins.sparql import parserutils  # noqa: PLC0415 - builds the grammar too

    return parserutils


def memo_entries() -> int:
    """How many verdicts are remembered (at most MEMO_ENTRIES)."""
    with _memo_lock:
        return len(_memo)


def clear_memo() -> None:
    """Forget every verdict (a new dataset, or a test)."""
    with _memo_lock:
        _memo.clear()
