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
from dataclasses import dataclass

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_UPDATE_WORDS = {
    "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH",
}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


def decode_codepoints(text: str) -> str:
    """SPARQL 1.1 section 19.2: \\uXXXX and \\UXXXXXXXX are decoded before parsing."""

    def repl(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        try:
            return chr(code)
        except ValueError:
            return match.group(0)

    return _CODEPOINT.sub(repl, text)


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
    def looks_like_update(self) -> bool:
        # An update has an update verb where a query would have its form keyword.
        for word in self.keywords:
            if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
                return False
            if word in _UPDATE_WORDS:
                return True
        return False


def scan(text: str) -> QueryText:
    text = decode_codepoints(text)
    words: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif c in "\"'":
            i = _skip_string(text, i)
        elif c == "<":
            # An IRI reference has no spaces; otherwise `<` is a comparison operator.
            match = re.match(r"<[^<>\"{}|^`\\\s]*>", text[i:])
            i += len(match.group(0)) if match else 1
        elif c in "?$":
            match = _WORD.match(text, i + 1)
            i = match.end() if match else i + 1
        elif c.isalpha() or c == "_":
            match = _WORD.match(text, i)
            end = match.end()
            prev = text[i - 1] if i else " "
            following = text[end] if end < n else " "
            # Prefixed names (ex:SERVICE, SERVICE:x) and blank-node labels are not keywords.
            if prev not in ":_" and following != ":":
                words.append(match.group(0).upper())
            else:
                while end < n and (text[end].isalnum() or text[end] in ":_-.%"):
                    end += 1
            i = end
        else:
            i += 1
    return QueryText(tuple(words))


def _skip_string(text: str, i: int) -> int:
    quote = text[i]
    long_quote = text[i:i + 3] == quote * 3
    delim = quote * 3 if long_quote else quote
    j = i + len(delim)
    n = len(text)
    while j < n:
        if text[j] == "\\":
            j += 2
            continue
        if text.startswith(delim, j):
            return j + len(delim)
        if not long_quote and text[j] == "\n":
            return j
        j += 1
    return n
