"""The values a named-query parameter may take, read from the served graph, and how a value
typed by a person is resolved to one of them.

A parameter whose header says `choices: {instances: smp:Country}` (or `{subclasses:
smp:Initiative}`) takes one resource of that list. People type names and codes, not IRIs, so
`Vocabulary.resolve` accepts the label ("Morocco", any case or accents), a code ("MAR", "mar",
the ISO alpha-2 "MA", an acronym), the local name ("ict") or the IRI / CURIE itself
("country:MAR"). An IRI or CURIE is an identifier and is matched exactly: "country:mar" is
refused with "did you mean country:MAR", never silently read as another resource (and never
sent to the query, where it would match nothing). Anything else is a ParameterError that says
the expected form and suggests the nearest choices.

A parameter whose header says `choices: {query: funder}` takes one of the values the graph
holds in that role, listed by its own query (smpkg/app_queries/choices-funder.rq): funders are
actors and funding instruments alike, so a list of one class would refuse some of them.

The rows come from the `choices-*` queries of smpkg/app_queries, run by the caller over the
served data (this module never loads the dataset).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import URIRef

from .describe import compact
from .errors import ConfigurationError, ParameterError
from .namespaces import PREFIXES
from .queries import Choices, NamedQuery, Parameter, load_query_file
from .search import key, within_one_edit

QUERY_DIR = Path(__file__).parent / "app_queries"
MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class Choice:
    """One value a parameter may take."""

    iri: str
    label: str
    codes: tuple[str, ...] = ()  # ISO codes, acronyms: what people also type

    @property
    def curie(self) -> str:
        return compact(self.iri)

    @property
    def local(self) -> str:
        return self.iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]

    def hint(self) -> str:
        """`Morocco (country:MAR)`: how a suggestion reads."""
        return f"{self.label} ({self.curie})" if self.label != self.curie else self.curie


class Vocabulary:
    """The choices of one parameter, indexed by every form a person may type."""

    def __init__(self, choices: Iterable[Choice], noun: str = "value") -> None:
        self.choices = sorted(choices, key=lambda c: (c.label.casefold(), c.iri))
        self.noun = noun
        self._by_iri = {c.iri: c for c in self.choices}
        self._by_key: dict[str, list[Choice]] = defaultdict(list)
        for choice in self.choices:
            names = {choice.label, choice.local, *choice.codes}
            for name in names:
                if key(name):
                    self._by_key[key(name)].append(choice)

    def __len__(self) -> int:
        return len(self.choices)

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, str]], noun: str = "value") -> Vocabulary:
        """From rows of `choices-*` queries: item, label (optional), code (optional)."""
        labels: dict[str, str] = {}
        codes: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            iri = row["item"]
            labels.setdefault(iri, "")
            if row.get("label") and not labels[iri]:
                labels[iri] = row["label"]
            if row.get("code") and row["code"] not in codes[iri]:
                codes[iri].append(row["code"])
        return cls((Choice(i, labels[i] or compact(i), tuple(codes[i])) for i in labels), noun=noun)

    def resolve(self, name: str, raw: str) -> URIRef:
        """The IRI `raw` stands for, or a ParameterError saying what to give instead."""
        text = raw.strip()
        iri = _as_iri(text)
        if iri is not None:
            if iri in self._by_iri:
                return URIRef(iri)
            twins = [c for c in self.choices if c.iri.casefold() == iri.casefold()]
            raise ParameterError(name, self._refusal(text, twins or self.near(text)))
        found = list(dict.fromkeys(self._by_key.get(key(text), [])))
        if len(found) == 1:
            return URIRef(found[0].iri)
        if found:
            raise ParameterError(name, self._refusal(text, found, ambiguous=True))
        raise ParameterError(name, self._refusal(text, self.near(text)))

    def near(self, text: str) -> list[Choice]:
        """The choices whose label, code or local name is close to `text`: one typo away,
        starting with it, or containing it as a word."""
        wanted = key(text.rpartition(":")[2] if ":" in text else text)
        if not wanted:
            return []
        hits: list[Choice] = []
        for name_key, choices in self._by_key.items():
            close = within_one_edit(wanted, name_key) or (
                len(wanted) >= 3 and (name_key.startswith(wanted) or wanted in name_key)
            )
            if close:
                hits.extend(c for c in choices if c not in hits)
        return hits[:MAX_SUGGESTIONS]

    def _refusal(self, text: str, suggestions: list[Choice], ambiguous: bool = False) -> str:
        example = self.choices[0].hint() if self.choices else "none"
        expected = (
            f"give the {self.noun} by name, code or CURIE, for example {example} "
            f"({len(self.choices)} known)"
        )
        listed = "; ".join(c.hint() for c in suggestions[:MAX_SUGGESTIONS])
        if ambiguous:
            return f"{text!r} names more than one {self.noun}: {listed}; {expected}"
        if suggestions:
            return f"{text!r} is not a known {self.noun}; did you mean {listed}? {expected}"
        return f"{text!r} is not a known {self.noun}: {expected}"


def _as_iri(text: str) -> str | None:
    """The IRI of a CURIE with a project prefix or an absolute http(s) IRI; None for a name."""
    if text.startswith(("http://", "https://")):
        return text
    prefix, colon, local = text.partition(":")
    if colon and prefix.lower() in PREFIXES and local and " " not in local:
        return f"{PREFIXES[prefix.lower()]}{local}"
    return None


@lru_cache(maxsize=32)
def _choices_query(name: str) -> NamedQuery:
    path = QUERY_DIR / f"choices-{name}.rq"
    if not path.is_file():
        raise ConfigurationError(f"no choices query {path.name} in smpkg/app_queries")
    return load_query_file(path)


@dataclass(frozen=True)
class ChoicesSource:
    """The query that lists a parameter's choices, with what it is run with."""

    query: NamedQuery
    bindings: dict[str, URIRef] = field(default_factory=dict)


def source_of(choices: Choices) -> ChoicesSource:
    """Where `choices` are read from: the class's instances or subclasses, or the role's own
    choices query (ConfigurationError when the header names a query that does not exist)."""
    if choices.by_role:
        return ChoicesSource(_choices_query(choices.cls))
    return ChoicesSource(_choices_query(choices.relation), {"class": choices.iri})


class KnownResources:
    """Checks an IRI parameter without `choices` against the resources the graph names: an
    IRI of the dataset it does not know, but knows in another case ("prog:THAMM"), is refused
    with "did you mean prog:thamm" instead of silently matching nothing. A name instead of an
    IRI ("THAMM") is looked up among the labelled resources (`names`), as a picker's is."""

    def __init__(
        self, labels: Mapping[str, str], base: str, names: Vocabulary | None = None
    ) -> None:
        self.labels = labels
        self.base = base
        self._names = names
        self._folded: dict[str, list[str]] = defaultdict(list)
        for iri in labels:
            if iri.startswith(base):
                self._folded[iri.casefold()].append(iri)

    @property
    def names(self) -> Vocabulary:
        """The labelled resources by name (built on first use when not given)."""
        if self._names is None:
            self._names = resource_names(self.labels)
        return self._names

    def resolve(self, name: str, raw: str) -> URIRef:
        try:
            term = Parameter(name, "iri").bind(raw)
        except ParameterError:
            return self.names.resolve(name, raw)
        iri = str(term)
        if iri in self.labels or not iri.startswith(self.base):
            return URIRef(iri)
        twins = [i for i in self._folded.get(iri.casefold(), []) if i != iri]
        if twins:
            listed = "; ".join(f"{self.labels[t]} ({compact(t)})" for t in twins)
            raise ParameterError(
                name,
                f"{raw.strip()!r} is not in the graph; did you mean {listed}? IRIs are case-sensitive",
            )
        return URIRef(iri)


def resource_names(labels: Mapping[str, str]) -> Vocabulary:
    """The labelled resources as the choices of a parameter that takes any resource."""
    return Vocabulary((Choice(iri, label) for iri, label in labels.items()), noun="resource")
