"""The search index: every name of every resource (rdfs:label, skos:prefLabel, skos:altLabel,
smp:acronym), looked up case-, accent- and punctuation-insensitively, tolerant of one typo.

The index is built once per dataset version from the rows of the `search-*` queries of
smpkg/app_queries (run by the caller over the served data: the query workers or a store), so
this module never loads the dataset itself. `SearchIndex.search(text)` ranks the hits in four
tiers: a whole name equal to the text (acronyms and labels before other names), a name that
starts with it, names whose words hold every word of the text (the last one as a prefix), and
names or words one edit away (a letter added, dropped, changed or two swapped).

Typo candidates are the query's own one-edit variants (each letter dropped, each pair of
neighbours swapped, and each letter of the index's alphabet put in or put instead), looked up
in the index's dictionaries: a few thousand look-ups per query, and nothing to build per key.
(A deletion neighbourhood, every key and each of its deletions pointing to the key, answers
with fewer look-ups, but it held an entry per letter of every key and word, and took 34 s to
build at a million triples, most of the index's build time and of its size.)

The index's tables are plain lists and dicts (`SearchIndex.tables`), so that a build can store
them (smpkg.search_product) and a server can load them without recomputing anything.
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
from typing import NamedTuple

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


class IndexTables(NamedTuple):
    """Everything an index holds, as plain lists and dicts (what a build stores): entries and
    names as columns, and the look-up dictionaries with their keys in sorted order."""

    iris: list[str]
    labels: list[str]
    kinds: list[str]
    summaries: list[str]
    name_entries: list[int]  # name -> its entry
    name_texts: list[str]
    name_ranks: list[int]  # NAME_RANK of the property that gives the name
    by_key: dict[str, list[int]]  # whole-name key -> names, in key order
    by_word: dict[str, list[int]]  # word -> names, in word order
    alphabet: str  # every character of a key, once


class SearchIndex:
    """Built by `from_rows` (or from stored `tables`); read-only afterwards (safe to share
    between requests)."""

    def __init__(self, tables: IndexTables) -> None:
        self.tables = tables
        self._keys = list(tables.by_key)
        self._words = list(tables.by_word)

    @classmethod
    def from_names(
        cls, entries: Sequence[Entry], names: Iterable[tuple[int, str, str]]
    ) -> SearchIndex:
        """The index of `entries` and their names: (entry number, text, property)."""
        name_entries: list[int] = []
        name_texts: list[str] = []
        name_ranks: list[int] = []
        by_key: dict[str, list[int]] = defaultdict(list)
        by_word: dict[str, list[int]] = defaultdict(list)
        for entry, text, prop in names:
            name_id = len(name_texts)
            name_entries.append(entry)
            name_texts.append(text)
            name_ranks.append(NAME_RANK.get(prop, 3))
            tokens = words(text)
            whole = "".join(tokens)
            if whole:
                by_key[whole].append(name_id)
            for word in set(tokens):
                by_word[word].append(name_id)
        tables = IndexTables(
            [e.iri for e in entries],
            [e.label for e in entries],
            [e.kind for e in entries],
            [e.summary for e in entries],
            name_entries,
            name_texts,
            name_ranks,
            {k: by_key[k] for k in sorted(by_key)},
            {w: by_word[w] for w in sorted(by_word)},
            "".join(sorted({c for k in by_key for c in k})),
        )
        return cls(tables)

    def __len__(self) -> int:
        return len(self.tables.iris)

    def entry(self, number: int) -> Entry:
        t = self.tables
        return Entry(t.iris[number], t.labels[number], t.kinds[number], t.summaries[number])

    @property
    def entries(self) -> list[Entry]:
        """Every resource the index holds, in IRI order."""
        return [self.entry(i) for i in range(len(self))]

    def name_texts(self) -> list[str]:
        """Every name the index holds (one per resource and name), in no order."""
        return list(self.tables.name_texts)

    @classmethod
    def from_rows(cls, rows: Mapping[str, list[dict[str, str]]]) -> SearchIndex:
        """The index from the rows of the search queries (`search_queries()`), each row a dict
        of variable -> lexical value, in any order."""
        labels: dict[str, list[tuple[int, str]]] = defaultdict(list)
        names: list[tuple[str, str, str]] = []
        for row in rows.get("names", []):
            iri, prop, text = row["s"], row["p"], row["name"].strip()
            if text:
                names.append((iri, text, prop))
                labels[iri].append((NAME_RANK.get(prop, 3), text))
        # Rows may come in any order (a store's unordered answer): the names are sorted so
        # that the index, and the order of equal-ranked hits, does not depend on it.
        names.sort(key=lambda n: (n[0], n[2], n[1]))
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
        return cls.from_names(entries, ((ids[iri], text, prop) for iri, text, prop in names))

    def search(self, text: str, limit: int = 20) -> list[Hit]:
        """The best `limit` hits for `text`, best first; [] for a text without letters."""
        limit = max(1, min(limit, MAX_LIMIT))
        tokens = words(text[:MAX_QUERY_CHARS])
        whole = "".join(tokens)
        if not whole:
            return []
        t = self.tables
        best: dict[int, tuple[int, int, str]] = {}  # entry -> (tier, name rank, matched)

        def offer(name_ids: Iterable[int], tier: int) -> None:
            for name_id in name_ids:
                entry = t.name_entries[name_id]
                rank = t.name_ranks[name_id]
                current = best.get(entry)
                if current is None or (tier, rank) < current[:2]:
                    best[entry] = (tier, rank, t.name_texts[name_id])

        offer(t.by_key.get(whole, ()), 0)
        if len(whole) >= PREFIX_MIN:
            for k in _with_prefix(self._keys, whole):
                offer(t.by_key[k], 1)
        offer(self._all_words(tokens, fuzzy=False), 2)
        if FUZZY_MIN <= len(whole) <= FUZZY_MAX:
            for k in self._near(t.by_key, whole):
                offer(t.by_key[k], 3)
        offer(self._all_words(tokens, fuzzy=True), 3)
        ranked = heapq.nsmallest(
            limit,
            best.items(),
            key=lambda item: (
                item[1][0],
                item[1][1],
                len(t.labels[item[0]]),
                t.labels[item[0]].casefold(),
            ),
        )
        hits = []
        for entry_id, (tier, _, matched) in ranked:
            e = self.entry(entry_id)
            hits.append(Hit(e.iri, e.label, e.kind, e.summary, matched, TIERS[tier]))
        return hits

    def _all_words(self, tokens: list[str], fuzzy: bool) -> set[int]:
        """Names holding every token as a word (the last may be a word's beginning), or, with
        `fuzzy`, as a word one edit away."""
        by_word = self.tables.by_word
        found: set[int] | None = None
        for i, token in enumerate(tokens):
            matches: set[int] = set(by_word.get(token, ()))
            if i == len(tokens) - 1 and len(token) >= PREFIX_MIN:
                for w in _with_prefix(self._words, token):
                    matches.update(by_word[w])
            if fuzzy and FUZZY_MIN <= len(token) <= FUZZY_MAX:
                for w in self._near(by_word, token):
                    matches.update(by_word[w])
            found = matches if found is None else found & matches
            if not found:
                return set()
        return found or set()

    def _near(self, known: dict[str, list[int]], text: str) -> list[str]:
        """The keys of `known` one edit from `text` (itself included); none shorter than
        FUZZY_MIN (too many short words are one edit from anything)."""
        found = known.keys() & one_edit_variants(text, self.tables.alphabet)
        return [v for v in found if len(v) >= FUZZY_MIN]


def one_edit_variants(text: str, alphabet: str) -> set[str]:
    """`text` and every text one edit away (`within_one_edit`) made of its letters and those
    of `alphabet`: a letter dropped, two neighbours swapped, a letter put in or put instead."""
    found = {text} | deletions(text)
    found.update(
        [text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :] for i in range(1, len(text))]
    )
    heads = [(text[:i], text[i:]) for i in range(len(text) + 1)]
    found.update([head + c + tail for head, tail in heads for c in alphabet])
    found.update([head + c + tail[1:] for head, tail in heads if tail for c in alphabet])
    return found


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
