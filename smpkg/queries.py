"""Named queries: one `.rq` file each, with a `#+` header that stays a SPARQL comment.

    #+ summary: Initiatives by origin country
    #+ description: Every initiative that names the country as an origin country.
    #+ tags: [countries, researchers]
    #+ params:
    #+   - name: country
    #+     type: iri
    #+     description: The country, as an IRI or a CURIE such as country:MAR.
    #+     example: country:MAR
    #+     required: true

The header is YAML once the `#+` markers are stripped. An `iri` parameter may say where its
values come from (`choices: {instances: smp:Country}`, resolved by smpkg.choices against the
served graph) and a query may declare a picture of its rows (`chart: {type: bar, x: ..., y:
...}`); queries/README.md documents every field. Parameters are bound as RDF terms by the
engine (rdflib's initBindings, pyoxigraph's substitutions), never pasted into the text, so a
parameter variable must be projected by the query (pyoxigraph's rule; rdflib does not mind).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from .errors import ConfigurationError, ParameterError
from .namespaces import PREFIXES


class Resolver(Protocol):
    """What resolves a typed value to one of a parameter's choices (smpkg.choices.Vocabulary)."""

    def resolve(self, name: str, raw: str) -> URIRef: ...


PARAM_TYPES = ("iri", "string", "integer", "decimal", "boolean", "date", "year")
RELATIONS = ("instances", "subclasses")
# `{query: NAME}`: the values a role holds, listed by smpkg/app_queries/choices-NAME.rq.
QUERY_RELATION = "query"
CHART_TYPES = ("bar", "line")
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|^`\\]*$")
_CURIE = re.compile(r"^([A-Za-z][A-Za-z0-9_\-]*):([^\s:/]*)$")


@dataclass(frozen=True)
class Choices:
    """Where a parameter's values come from: the instances or the subclasses of a class (a
    controlled vocabulary), or the values the graph holds in a role, listed by a choices
    query of its own (`{query: funder}`: the funders, actors and instruments alike)."""

    relation: str  # one of RELATIONS, or QUERY_RELATION
    cls: str  # the class, as written in the header (a CURIE or an IRI); or the query's name

    @property
    def iri(self) -> URIRef:
        return _iri(self.cls)

    @property
    def by_role(self) -> bool:
        """Whether the values are a role's holders (an open list) rather than a vocabulary."""
        return self.relation == QUERY_RELATION

    @property
    def noun(self) -> str:
        """`smp:PartnershipModel` -> "partnership model", `{query: funder}` -> "funder":
        what one choice is called."""
        local = re.split(r"[#/:]", self.cls)[-1]
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("-", " ").lower()

    @classmethod
    def from_header(cls, spec: object, where: str) -> Choices:
        expected = (
            f"{where}: choices must be one of {{instances: CLASS}}, {{subclasses: CLASS}}, "
            "{query: NAME}"
        )
        if not isinstance(spec, dict) or len(spec) != 1:
            raise ConfigurationError(expected)
        ((relation, klass),) = spec.items()
        if relation not in (*RELATIONS, QUERY_RELATION) or not isinstance(klass, str):
            raise ConfigurationError(expected)
        if relation == QUERY_RELATION and not re.fullmatch(r"[a-z][a-z0-9-]*", klass):
            raise ConfigurationError(f"{where}: a choices query is named in lower-case-words")
        return cls(relation, klass)

    def as_json(self) -> dict[str, str]:
        return {self.relation: self.cls}


@dataclass(frozen=True)
class Chart:
    """A picture of a query's rows, declared in its header: `chart: {type: bar, x: label
    column, y: number column}` (one bar per row), or `type: line` (a line over the years or
    numbers of column x, such as a count per year). Browsers draw it above the results table."""

    type: str  # one of CHART_TYPES
    x: str  # the column of the bars' names (a line's years or numbers)
    y: str  # the column of the bars' lengths (numbers)
    title: str = ""  # the caption (default: "y by x")

    @classmethod
    def from_header(cls, spec: object, where: str) -> Chart:
        if (
            not isinstance(spec, dict)
            or spec.get("type") not in CHART_TYPES
            or not all(isinstance(spec.get(k), str) for k in ("x", "y"))
            or set(spec) - {"type", "x", "y", "title"}
        ):
            raise ConfigurationError(
                f"{where}: chart must be {{type: bar|line, x: COLUMN, y: COLUMN, title: TEXT}}"
            )
        return cls(spec["type"], spec["x"], spec["y"], str(spec.get("title") or ""))


@dataclass
class Parameter:
    name: str
    type: str = "string"
    description: str = ""
    example: str | None = None
    default: str | None = None
    required: bool = False
    choices: Choices | None = None  # the values it takes, listed by the served graph

    def bind(self, raw: str) -> Identifier:
        """The RDF term for a raw query-string value, or ParameterError."""
        try:
            return _CONVERTERS[self.type](raw)
        except ParameterError:
            raise
        except (ValueError, InvalidOperation):
            raise ParameterError(self.name, f"{raw!r} is not a valid {self.type}") from None


def _iri(raw: str) -> URIRef:
    match = _CURIE.match(raw)
    if match and match.group(1) in PREFIXES:
        return URIRef(f"{PREFIXES[match.group(1)]}{match.group(2)}")
    if not _ABSOLUTE_IRI.match(raw) or ("://" not in raw and not raw.startswith("urn:")):
        raise ValueError(raw)
    return URIRef(raw)


def _boolean(raw: str) -> Literal:
    lowered = raw.strip().lower()
    if lowered not in ("true", "false", "1", "0"):
        raise ValueError(raw)
    return Literal(lowered in ("true", "1"))


def _integer(raw: str) -> Literal:
    return Literal(int(raw.strip()), datatype=XSD.integer)


def _decimal(raw: str) -> Literal:
    return Literal(Decimal(raw.strip()), datatype=XSD.decimal)


def _date(raw: str) -> Literal:
    return Literal(dt.date.fromisoformat(raw.strip()), datatype=XSD.date)


def _year(raw: str) -> Literal:
    text = raw.strip()
    if not re.fullmatch(r"-?\d{4}", text):
        raise ValueError(raw)
    return Literal(text, datatype=XSD.gYear)


_CONVERTERS = {
    "iri": _iri,
    "string": lambda raw: Literal(raw),
    "integer": _integer,
    "decimal": _decimal,
    "boolean": _boolean,
    "date": _date,
    "year": _year,
}


@dataclass
class NamedQuery:
    name: str
    path: Path
    text: str
    summary: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    params: list[Parameter] = field(default_factory=list)
    chart: Chart | None = None

    def bindings(
        self, values: Mapping[str, str], vocabularies: Mapping[str, Resolver] | None = None
    ) -> dict[str, Identifier]:
        """Check and convert query-string values; unknown names are refused. A parameter
        with `choices` is resolved by its entry in `vocabularies` (names and codes accepted)
        when the caller has read them from the graph."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ParameterError(
                unknown[0], f"not a parameter of {self.name}; known: {', '.join(known) or 'none'}"
            )
        bound: dict[str, Identifier] = {}
        for param in self.params:
            raw = values.get(param.name, param.default)
            if raw is None or raw == "":
                if param.required:
                    raise ParameterError(param.name, "is required")
                continue
            resolver = (vocabularies or {}).get(param.name)
            if resolver is not None:
                bound[param.name] = resolver.resolve(param.name, str(raw))
            else:
                bound[param.name] = param.bind(str(raw))
        return bound

    def metadata(self) -> dict:
        return {
            "name": self.name,
            "summary": self.summary,
            "description": self.description,
            "tags": self.tags,
            "params": [_param_json(p) for p in self.params],
            **({"chart": asdict(self.chart)} if self.chart else {}),
        }


def _param_json(param: Parameter) -> dict:
    doc = {k: v for k, v in vars(param).items() if k != "choices"}
    if param.choices is not None:
        doc["choices"] = param.choices.as_json()
    return doc


def parse_header(text: str, path: Path) -> dict:
    lines = [line[2:] for line in text.splitlines() if line.startswith("#+")]
    if not lines:
        raise ConfigurationError(f"{path}: no '#+' header")
    # Strip the one space after the marker while keeping YAML indentation.
    stripped = [line[1:] if line.startswith(" ") else line for line in lines]
    try:
        # libyaml's loader when present: ten times faster, which is start-up time.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        header = yaml.load("\n".join(stripped), Loader=loader) or {}
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: bad '#+' header: {exc}") from None
    if not isinstance(header, dict) or not header.get("summary"):
        raise ConfigurationError(f"{path}: the '#+' header needs a summary")
    return header


def load_query_file(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    header = parse_header(text, path)
    params = []
    for spec in header.get("params") or []:
        fields: dict[str, Any] = {
            k: (str(v) if k in ("example", "default") and v is not None else v)
            for k, v in spec.items()
        }
        if fields.get("choices") is not None:
            fields["choices"] = Choices.from_header(fields["choices"], f"{path}: {spec}")
        param = Parameter(**fields)
        if param.type not in PARAM_TYPES:
            raise ConfigurationError(
                f"{path}: parameter {param.name!r} has unknown type "
                f"{param.type!r}; use one of {', '.join(PARAM_TYPES)}"
            )
        params.append(param)
    tags = header.get("tags") or []
    return NamedQuery(
        name=path.stem,
        path=path,
        text=text,
        summary=str(header["summary"]).strip(),
        description=str(header.get("description") or "").strip(),
        tags=[str(t) for t in (tags if isinstance(tags, list) else [tags])],
        params=params,
        chart=Chart.from_header(header["chart"], str(path)) if "chart" in header else None,
    )


def load_named_queries(directory: Path) -> dict[str, NamedQuery]:
    return {q.name: q for q in (load_query_file(p) for p in sorted(directory.glob("*.rq")))}
