"""What the text of a SPARQL request says, found without parsing it.

The engines are not trusted to stay off the network: pyoxigraph has an HTTP client and does
fetch the target of `SERVICE`, and rdflib fetches `SERVICE` and `FROM` targets. So every query
is scanned here first, the way a parser reads it (codepoint escapes decoded, strings, IRIs and
comments skipped), and keywords that could reach the network are found before any engine sees
the text. The scan is conservative: a word that only looks like the keyword makes the query
refused, never fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_UPDATE_WORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
}


def decode_codepoints(text: str) -> str:
    """SPARQL 1.1 section 19.2: \\uXXXX and \\UXXXXXXXX are decoded before parsing."""

    def repl(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        try:
            return chr(code)
        except ValueError:
            return match.group(0)

    return _CODEPOINT.sub(repl, text)


# The query forms, the keyword a query (not an update) starts its body with.
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


@dataclass(frozen=True)
class QueryText:
    """Keywords of a query, outside strings, IRIs and comments, upper-cased, in order."""

    keywords: tuple[str, ...]

    @property
    def uses_service(self) -> bool:
        return "SERVICE" in self.keywords

    @property
    def has_dataset_clause(self) -> bool:
        return "FROM" in self.keywords

    @property
    def form(self) -> str | None:
        """SELECT, ASK, CONSTRUCT or DESCRIBE, as the text says, or None if it says none."""
        return next((word for word in self.keywords if word in FORMS), None)

    @property
    def looks_like_update(self) -> bool:
        # An update has an update verb where a query would have its form keyword.
        for word in self.keywords:
            if word in FORMS:
                return False
            if word in _UPDATE_WORDS:
                return True
        return False


# The rest of a prefixed name (ex:SERVICE, SERVICE:x) once a word turns out to start one,
# with the escapes of SPARQL's PN_LOCAL_ESC: "ex:a\\#" is a name, and no comment starts there.
_NAME_TAIL = r"(?:[\w:\-.%]|\\[_~.\-!$&'()*+,;=/?#@%])*"

# One pass with a single compiled pattern: its alternatives are tried in order at each
# position, and whatever lies between two matches (spaces, other punctuation, digits) is
# skipped. A string runs to its closing quote or, for a short string, to the end of its line;
# a comment ends at CR or LF (SPARQL 1.1 section 19.6), a short string also ends at either,
# escaped or not. In a long string a backslash escapes the next character, a line break too.
_SKIP = (
    r"#[^\r\n]*"
    r'|"""(?:\\[\s\S]?|(?!""")[\s\S])*(?:""")?'
    r"|'''(?:\\[\s\S]?|(?!''')[\s\S])*(?:''')?"
    r'|"(?:[^"\\\r\n]|\\[^\r\n]?)*"?'
    r"|'(?:[^'\\\r\n]|\\[^\r\n]?)*'?"
    r'|<[^<>"{}|^`\\\s]*>'
    r"|[?$](?:[A-Za-z_][A-Za-z0-9_\-]*)?"
    # A language tag, and a name that starts with its colon (an empty prefix, ":a\\#b").
    r"|@[A-Za-z]+(?:-[A-Za-z0-9]+)*"
    rf"|:{_NAME_TAIL}"
    # A backslash outside a string or a name is an error to a parser; taken with the next
    # character, so that "\\#" never starts a comment here.
    r"|\\[\s\S]?"
)
_WORD = r"[A-Za-z_][A-Za-z0-9_\-]*"
_TOKEN = re.compile(rf"(?P<skip>{_SKIP})|(?P<word>{_WORD})|(?P<group>[{{}}()])")
_NAME_TAIL_AT = re.compile(_NAME_TAIL).match
# The same reading as `tokens`, for `re.findall`, so that the scan runs in the regex engine
# rather than in a Python loop. A word right after ":" or "_", or right before ":", is part of
# a prefixed name or blank-node label and is consumed with its tail; only a keyword is
# captured. The first alternative takes a run of characters that start no token at once,
# instead of trying every alternative at each of them.
_KEYWORDS = re.compile(
    rf"[^#\"'<?$@:\\A-Za-z_]+|{_SKIP}|(?:(?<=[:_]){_WORD}|{_WORD}(?=:)){_NAME_TAIL}|({_WORD})"
)


def tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """The keywords (kind "word", upper-cased) and the braces and parentheses (kind "group")
    of `text` as given (codepoint escapes not decoded), each with its offset."""
    n = len(text)
    pos = 0
    search = _TOKEN.search
    while (match := search(text, pos)) is not None:
        pos = match.end()
        kind = match.lastgroup
        if kind == "word":
            start = match.start()
            prev = text[start - 1] if start else " "
            following = text[pos] if pos < n else " "
            # Prefixed names and blank-node labels are not keywords.
            if prev not in ":_" and following != ":":
                yield "word", match.group("word").upper(), start
            else:
                tail = _NAME_TAIL_AT(text, pos)  # a `*` pattern: it always matches
                pos = tail.end() if tail else pos
        elif kind == "group":
            yield "group", match.group("group"), match.start()


# Texts up to this length are memoised: the memo holds the texts, which must not add up to
# gigabytes (2,048 texts of a megabyte each did).
SCAN_MEMO_CHARS = 4096


def scan(text: str) -> QueryText:
    """The keywords of `text`. Short texts are memoised in each process: in a query worker the
    request's screen (`worker.screen_request`), the guard and the reading of a graph
    result's form each ask for the same text."""
    return _scan_memo(text) if len(text) <= SCAN_MEMO_CHARS else _scan(text)


@lru_cache(maxsize=2048)
def _scan_memo(text: str) -> QueryText:
    return _scan(text)


def _scan(text: str) -> QueryText:
    if "\\" in text:
        text = decode_codepoints(text)
    return QueryText(tuple(word.upper() for word in _KEYWORDS.findall(text) if word))


_BRACKETS = re.compile(rf"{_SKIP}|([{{(\[])|([}})\]])")


def nesting(text: str) -> int:
    """How deep braces, parentheses and brackets nest in `text` as given, outside strings,
    IRIs and comments."""
    depth = deepest = 0
    for opening, closing in _BRACKETS.findall(text):
        if opening:
            depth += 1
            deepest = max(deepest, depth)
        elif closing:
            depth -= 1
    return deepest
