"""The search index: every name of every resource (rdfs:label, skos:prefLabel, skos:altLabel,
smp:acronym), looked up case-, accent- and punctuation-insensitively, tolerant of one typo.

The index is built once per dataset version from the rows of the `search-*` queries of
smpkg/app_queries (run by the caller over the served data: the query workers or a store), so
this module never loads the dataset itself. `SearchIndex.search(text)` ranks the hits in four
tiers: a whole name equal to the text (acronyms and labels before other names), a name that
starts with it, names whose words hold every word of the text (the last one as a prefix), and
names or words one edit away (a letter added, dropped, changed or two swapped).

Typo candidates come from a deletion neighbourhood (every key and each of its one-letter
deletions point to the key), so a query looks up its own deletions instead of scanning every
key; each candidate is then checked with a bounded edit distance.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .queries import NamedQuery, load_query_file

QUERY_DIR = Path(__file__).parent / "app_queries"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ACRONYM = "https://w3id.org/smpkg/ontology#acronym"
# Which name a hit matched on, best first: an acronym or the label beats another name.
NAME_RANK = {ACRONYM: 0, RDFS_LABEL: 0, SKOS + "prefLabel": 1, SKOS + "altLabel": 2}
TIERS = ("exact", "prefix", "word", "fuzzy")
# Shorter words give too many one-typo neighbours to be useful; longer texts are not typed
# by hand, and their deletions would cost time and memory for nothing.
FUZZY_MIN = 3
FUZZY_MAX = 64
# The part of a query that is read: no name is longer.
MAX_QUERY_CHARS = 300
# A one-letter prefix of every name is no search: such queries only match whole names/words.
PREFIX_MIN = 2
MAX_LIMIT = 100
# Keys read per prefix: a short prefix of a large graph starts thousands of names, and the
# ranking only needs enough of them to fill a page (bounds the time of a query).
PREFIX_CAP = 2000
SUMMARY_CHARS = 160
_NOT_WORD = re.compile(r"[\W_]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s")


def search_queries() -> dict[str, NamedQuery]:
    """The queries whose rows build the index, by short name (names, types...)."""
    return {
        p.stem.removeprefix("search-"): load_query_file(p)
        for p in sorted(QUERY_DIR.glob("search-*.rq"))
    }


def words(text: str) -> list[str]:
    """Lower-case, accent-free words: "Île-de-France" -> ["ile", "de", "france"]."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return [w for w in _NOT_WORD.split(plain) if w]


def key(text: str) -> str:
    """The whole name as one key, punctuation and spaces gone: "IOM-MATCH" -> "iommatch"."""
    return "".join(words(text))


def within_one_edit(a: str, b: str) -> bool:
    """Optimal-string-alignment distance of at most 1 (a swap of neighbours counts as one)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True  # one substitution
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


def deletions(text: str) -> set[str]:
    return {text[:i] + text[i + 1 :] for i in range(len(text))}


@dataclass(frozen=True)
class Entry:
    """A resource the index can return."""

    iri: str
    label: str
    kind: str
    summary: str


@dataclass(frozen=True)
class Hit:
    """One search result: the resource, the name that matched and how."""

    iri: str
    label: str
    kind: str
    summary: str
    matched: str
    tier: str

    def as_json(self) -> dict[str, str]:
        return {
            "iri": self.iri,
            "label": self.label,
            "kind": self.kind,
            "summary": self.summary,
            "matched": self.matched,
            "match": self.tier,
        }


@dataclass(frozen=True)
class _Name:
    entry: int
    text: str
    rank: int


class SearchIndex:
    """Built by `from_rows`; read-only afterwards (safe to share between requests)."""

    def __init__(self, entries: Sequence[Entry], names: Iterable[tuple[int, str, str]]) -> None:
        self.entries = list(entries)
        self._names: list[_Name] = []
        self._by_key: dict[str, list[int]] = defaultdict(list)  # whole-name key -> names
        self._by_word: dict[str, list[int]] = defaultdict(list)  # word -> names
        for entry, text, prop in names:
            name_id = len(self._names)
            self._names.append(_Name(entry, text, NAME_RANK.get(prop, 3)))
            whole = key(text)
            if whole:
                self._by_key[whole].append(name_id)
            for word in set(words(text)):
                self._by_word[word].append(name_id)
        self._keys = sorted(self._by_key)
        self._words = sorted(self._by_word)
        self._near_keys = _neighbourhood(self._keys)
        self._near_words = _neighbourhood(self._words)

    def __len__(self) -> int:
        return len(self.entries)

    def name_texts(self) -> list[str]:
        """Every name the index holds (one per resource and name), in no order."""
        return [n.text for n in self._names]

    @classmethod
    def from_rows(cls, rows: Mapping[str, list[dict[str, str]]]) -> SearchIndex:
        """The index from the rows of the search queries (`search_queries()`), each row a dict
        of variable -> lexical value."""
        labels: dict[str, list[tuple[int, str]]] = defaultdict(list)
        names: list[tuple[str, str, str]] = []
        for row in rows.get("names", []):
            iri, prop, text = row["s"], row["p"], row["name"].strip()
            if text:
                names.append((iri, text, prop))
                labels[iri].append((NAME_RANK.get(prop, 3), text))
        kinds = _most_specific_kinds(rows.get("types", []), rows.get("subclasses", []))
        summaries = _summaries(rows.get("summaries", []))
        ids: dict[str, int] = {}
        entries: list[Entry] = []
        for iri in sorted(labels):
            # The display label: rdfs:label first (acronyms rank with labels for matching
            # but read worse as a title), then prefLabel, then anything.
            ranked = sorted(labels[iri], key=lambda r: (r[0] != 0, r[0], len(r[1]) <= 6, r[1]))
            ids[iri] = len(entries)
            entries.append(Entry(iri, ranked[0][1], kinds.get(iri, ""), summaries.get(iri, "")))
        return cls(entries, ((ids[iri], text, prop) for iri, text, prop in names))

    def search(self, text: str, limit: int = 20) -> list[Hit]:
        """The best `limit` hits for `text`, best first; [] for a text without letters."""
        limit = max(1, min(limit, MAX_LIMIT))
        tokens = words(text[:MAX_QUERY_CHARS])
        whole = "".join(tokens)
        if not whole:
            return []
        best: dict[int, tuple[int, int, str]] = {}  # entry -> (tier, name rank, matched)

        def offer(name_ids: Iterable[int], tier: int) -> None:
            for name_id in name_ids:
                name = self._names[name_id]
                candidate = (tier, name.rank, name.text)
                current = best.get(name.entry)
                if current is None or candidate[:2] < current[:2]:
                    best[name.entry] = candidate

        offer(self._by_key.get(whole, ()), 0)
        if len(whole) >= PREFIX_MIN:
            for k in _with_prefix(self._keys, whole):
                offer(self._by_key[k], 1)
        offer(self._all_words(tokens, fuzzy=False), 2)
        if FUZZY_MIN <= len(whole) <= FUZZY_MAX:
            for k in _near(self._near_keys, whole):
                offer(self._by_key[k], 3)
        offer(self._all_words(tokens, fuzzy=True), 3)
        ranked = heapq.nsmallest(
            limit,
            best.items(),
            key=lambda item: (
                item[1][0],
                item[1][1],
                len(self.entries[item[0]].label),
                self.entries[item[0]].label.casefold(),
            ),
        )
        hits = []
        for entry_id, (tier, _, matched) in ranked:
            e = self.entries[entry_id]
            hits.append(Hit(e.iri, e.label, e.kind, e.summary, matched, TIERS[tier]))
        return hits

    def _all_words(self, tokens: list[str], fuzzy: bool) -> set[int]:
        """Names holding every token as a word (the last may be a word's beginning), or, with
        `fuzzy`, as a word one edit away."""
        found: set[int] | None = None
        for i, token in enumerate(tokens):
            matches: set[int] = set(self._by_word.get(token, ()))
            if i == len(tokens) - 1 and len(token) >= PREFIX_MIN:
                for w in _with_prefix(self._words, token):
                    matches.update(self._by_word[w])
            if fuzzy and FUZZY_MIN <= len(token) <= FUZZY_MAX:
                for w in _near(self._near_words, token):
                    matches.update(self._by_word[w])
            found = matches if found is None else found & matches
            if not found:
                return set()
        return found or set()


def _neighbourhood(keys: Iterable[str]) -> dict[str, list[str]]:
    """Each key, and each of its one-letter deletions, -> the keys it comes from."""
    near: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        if len(k) < FUZZY_MIN:
            continue
        near[k].append(k)
        for d in deletions(k):
            near[d].append(k)
    return near


def _near(near: Mapping[str, list[str]], text: str) -> set[str]:
    """The keys one edit from `text`: those sharing `text` or one of its deletions, checked."""
    candidates: set[str] = set()
    for probe in {text} | deletions(text):
        candidates.update(near.get(probe, ()))
    return {k for k in candidates if within_one_edit(text, k)}


def _with_prefix(ordered: list[str], prefix: str) -> Iterable[str]:
    """The keys starting with `prefix`, in order, at most PREFIX_CAP of them."""
    i = bisect_left(ordered, prefix)
    end = min(len(ordered), i + PREFIX_CAP)
    while i < end and ordered[i].startswith(prefix):
        yield ordered[i]
        i += 1


def _most_specific_kinds(
    type_rows: list[dict[str, str]], subclass_rows: list[dict[str, str]]
) -> dict[str, str]:
    """Resource -> the label of its most specific class (no subclass of it among the
    resource's classes); among several, the project's own classes first, then by label."""
    supers: dict[str, set[str]] = defaultdict(set)
    for row in subclass_rows:
        supers[row["sub"]].add(row["super"])
    types: dict[str, set[str]] = defaultdict(set)
    type_labels: dict[str, str] = {}
    for row in type_rows:
        types[row["s"]].add(row["type"])
        if row.get("typeLabel"):
            type_labels.setdefault(row["type"], row["typeLabel"])
    kinds = {}
    for iri, classes in types.items():
        named = {c for c in classes if c in type_labels}
        covered = {s for c in named for s in supers.get(c, ()) if s != c}
        specific = sorted(
            named - covered,
            key=lambda c: (not c.startswith("https://w3id.org/smpkg/"), type_labels[c]),
        )
        if specific:
            kinds[iri] = type_labels[specific[0]]
    return kinds


def _summaries(rows: list[dict[str, str]]) -> dict[str, str]:
    """Resource -> the first sentence of its description (else definition, else comment)."""
    order = {"http://purl.org/dc/terms/description": 0, SKOS + "definition": 1}
    chosen: dict[str, tuple[int, str]] = {}
    for row in rows:
        rank = order.get(row["p"], 2)
        if row["s"] not in chosen or rank < chosen[row["s"]][0]:
            chosen[row["s"]] = (rank, row["text"])
    return {iri: one_line(text) for iri, (_, text) in chosen.items()}


def one_line(text: str) -> str:
    """The first sentence, cut at a word boundary to SUMMARY_CHARS with an ellipsis."""
    first = _SENTENCE.split(" ".join(text.split()), maxsplit=1)[0]
    if len(first) <= SUMMARY_CHARS:
        return first
    return first[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
