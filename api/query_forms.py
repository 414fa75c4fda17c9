"""The form of a named query: one labelled widget per declared parameter, chosen by its type,
and the vocabularies its pickers offer, read from the served graph.

A parameter with `choices` (see smpkg/queries.py) gets a picker over the resources the graph
lists for it: a drop-down for a short controlled vocabulary (sectors, occupations, partnership
models), a text field with suggestions (a datalist) for a long one such as the countries, and
for the holders of a role (funders, implementers, parties: an open list of actors,
instruments and places), which take names and codes as well ("Morocco", "MAR",
"country:MAR", "European Union", "instr:mpf"; `smpkg.choices` resolves them).
A year is a four-digit field, a date a date field, a boolean a yes/no choice, anything else a
text field. The form is a plain GET form: it works without JavaScript.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import Request

from smpkg.choices import Choice, KnownResources, Vocabulary, resource_names, source_of
from smpkg.queries import NamedQuery, Parameter, Resolver

from .app import cache, data
from .results import labels_of
from .snapshot import current as snapshot_of

# A vocabulary this long or shorter is a drop-down; a longer one a field with suggestions.
SELECT_MAX = 30
# Suggestions a datalist offers (the field still resolves any value the graph holds).
DATALIST_MAX = 1000


@dataclass(frozen=True)
class Field:
    """One widget of a form."""

    name: str
    label: str
    widget: str  # select, datalist, year, date, number, boolean, text
    value: str
    required: bool
    hint: str
    options: list[Choice] = field(default_factory=list)
    example: str = ""


async def vocabularies(request: Request, query: NamedQuery) -> dict[str, Vocabulary]:
    """Parameter name -> its vocabulary, for each parameter with `choices` (built once per
    dataset version and class). See `resolvers` for every IRI parameter."""
    state = snapshot_of(request)
    wanted = [p for p in query.params if p.choices is not None]

    async def one(param: Parameter) -> Vocabulary:
        choices = param.choices
        assert choices is not None

        async def build() -> Vocabulary:
            source = source_of(choices)
            rows = await data.select(state, source.query, source.bindings)
            return Vocabulary.from_rows(rows, noun=choices.noun)

        name = f"choices:{choices.relation}:{choices.cls}"
        vocabulary: Vocabulary = await cache.of(state).get(state.version, name, build)
        return vocabulary

    found = await asyncio.gather(*(one(p) for p in wanted))
    return {p.name: v for p, v in zip(wanted, found, strict=True)}


def _shown(param: Parameter, raw: str, vocabulary: Vocabulary | None) -> str:
    """A CURIE example or default as a person would type it: the choice's label."""
    if vocabulary is None or not raw:
        return raw
    for choice in vocabulary.choices:
        if raw in (choice.curie, choice.iri):
            return choice.label
    return raw


def fields(
    query: NamedQuery, values: dict[str, str], vocabularies: dict[str, Vocabulary]
) -> list[Field]:
    """The widgets of `query`'s form, filled with the submitted `values`."""
    result = []
    for param in query.params:
        vocabulary = vocabularies.get(param.name)
        value = values.get(param.name)
        if value is None:
            value = _shown(param, param.default or "", vocabulary)
        example = _shown(param, param.example or "", vocabulary)
        options: list[Choice] = []
        if vocabulary is not None:
            # A role's holders and "any resource" are open lists: a field that takes a name.
            listed = param.choices is not None and not param.choices.by_role
            short = listed and len(vocabulary) <= SELECT_MAX
            widget = "select" if short else "datalist"
            options = vocabulary.choices[:DATALIST_MAX]
            if widget == "select":
                value = _shown(param, value, vocabulary)
        else:
            widget = {
                "year": "year",
                "date": "date",
                "integer": "number",
                "decimal": "number",
                "boolean": "boolean",
            }.get(param.type, "text")
        hint = param.description
        if widget == "datalist":
            hint += f" Type a name, a code or a CURIE; for example {example}."
        elif param.type == "iri" and widget == "text":
            hint += " An IRI or a CURIE such as " + (param.example or "country:MAR") + "."
        result.append(
            Field(
                name=param.name,
                label=param.name.replace("_", " ").capitalize(),
                widget=widget,
                value=value,
                required=param.required,
                hint=hint.strip(),
                options=options,
                example=example,
            )
        )
    return result


async def named_resources(request: Request) -> Vocabulary:
    """Every labelled resource by name (the search index's labels), once per dataset version:
    the suggestions of an IRI parameter without `choices` (entity-card's `entity`)."""
    state = snapshot_of(request)
    labels = await labels_of(request)

    async def build() -> Vocabulary:
        return resource_names(labels)

    found: Vocabulary = await cache.of(state).get(state.version, "choices:resources", build)
    return found


def _plain(query: NamedQuery) -> list[Parameter]:
    return [p for p in query.params if p.type == "iri" and p.choices is None]


async def pickers(request: Request, query: NamedQuery) -> dict[str, Vocabulary]:
    """What each IRI parameter's widget offers: its vocabulary, or every named resource."""
    found = await vocabularies(request, query)
    plain = _plain(query)
    if plain:
        names = await named_resources(request)
        found.update({p.name: names for p in plain})
    return found


async def resolvers(request: Request, query: NamedQuery) -> dict[str, Resolver]:
    """What checks each IRI parameter: its vocabulary when it has `choices`, else the graph's
    known resources (a wrong-case IRI of the dataset is refused, not run; a name is looked
    up among the labelled resources)."""
    found: dict[str, Resolver] = dict(await vocabularies(request, query))
    plain = _plain(query)
    if plain:
        state = snapshot_of(request)
        names = await named_resources(request)
        known = KnownResources(await labels_of(request), state.settings.base_iri, names)
        found.update({p.name: known for p in plain})
    return found
