"""What the query editor completes: the graph's own classes, properties and named resources,
looked up by the start of their IRI (what a SPARQL author has typed, a prefixed name
expanded) or, for resources, by name through the search index.

Everything here is computed from the served data (smpkg/app_queries/editor-terms.rq and the
search index's entries); nothing is asked of another service.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .namespaces import PREFIXES
from .queries import NamedQuery, load_query_file

QUERY = Path(__file__).parent / "app_queries" / "editor-terms.rq"
KINDS = ("class", "property", "entity")
MAX_LIMIT = 100


def terms_query() -> NamedQuery:
    return load_query_file(QUERY)


def prefixes() -> dict[str, str]:
    """The prefixes the graph is written with (the ones its Turtle and JSON-LD bind)."""
    return {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


@dataclass(frozen=True)
class Term:
    """One thing the editor can complete."""

    iri: str
    label: str
    kind: str  # one of KINDS

    def as_json(self) -> dict[str, str]:
        return {"iri": self.iri, "label": self.label, "kind": self.kind}


class TermIndex:
    """Terms sorted by IRI, found by the start of their IRI in O(log n)."""

    def __init__(self, terms: Iterable[Term]) -> None:
        by_iri = {t.iri: t for t in terms}
        self.terms: list[Term] = [by_iri[iri] for iri in sorted(by_iri)]
        self._iris = [t.iri for t in self.terms]

    def __len__(self) -> int:
        return len(self.terms)

    def starting_with(self, start: str, limit: int) -> list[Term]:
        """The first `limit` terms (by IRI) whose IRI starts with `start`."""
        found: list[Term] = []
        for i in range(bisect_left(self._iris, start), len(self._iris)):
            if len(found) >= limit or not self._iris[i].startswith(start):
                break
            found.append(self.terms[i])
        return found


def vocabulary_from_rows(rows: Sequence[Mapping[str, str]]) -> dict[str, TermIndex]:
    """The classes and the properties, from the rows of `terms_query()` (a term both
    declared and used appears once, with its label)."""
    grouped: dict[str, list[Term]] = {"class": [], "property": []}
    for row in rows:
        kind = row.get("kind", "")
        if kind in grouped and row.get("term"):
            grouped[kind].append(Term(row["term"], row.get("label", ""), kind))
    merged: dict[str, TermIndex] = {}
    for kind, terms in grouped.items():
        best: dict[str, Term] = {}
        for term in terms:
            if term.iri not in best or (term.label and not best[term.iri].label):
                best[term.iri] = term
        merged[kind] = TermIndex(best.values())
    return merged
