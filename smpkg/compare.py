"""Comparing programmes side by side, from compare-facts.rq's rows (one query per programme).

The rows of the comparison are the properties any of the programmes has, grouped in the
order a reader looks for them (kind, countries by role, sectors, actors by role, dates,
figures, components, frameworks, sources, then the rest); a row differs when the programmes'
sets of values are not all the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .dates import PRECISION_OF, at_precision
from .describe import compact

SMP = "https://w3id.org/smpkg/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SOURCE = "http://www.w3.org/ns/prov#wasDerivedFrom"
ACTOR_ROLES = [
    "leadImplementer",
    "implementedBy",
    "implementingPartner",
    "fundedBy",
    "commissionedBy",
    "managedBy",
    "promotedBy",
    "signatory",
    "originCountryAuthority",
    "employerPartner",
    "trainingProvider",
    "participant",
    "cooperatesWith",
]
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Kind", (RDF_TYPE, SMP + "acronym")),
    (
        "Countries",
        tuple(SMP + p for p in ("originCountry", "destinationCountry", "partnerCountry")),
    ),
    ("Sectors", (SMP + "coversSector", SMP + "targetsOccupation")),
    ("Actors", tuple(SMP + p for p in ACTOR_ROLES)),
    (
        "Dates",
        tuple(SMP + p for p in ("signedDate", "entryIntoForceDate", "launchDate", "startDate")),
    ),
    ("Dates", (SMP + "endDate", SMP + "status")),
    ("Figures", (SMP + "figureAbout",)),
    ("Components", (SMP + "hasComponent", SMP + "hasFeature")),
    ("Frameworks", (SMP + "relatesToFramework", SMP + "financedThrough")),
    ("Sources", (SOURCE,)),
)
ORDER = {p: (i, j) for i, (_, props) in enumerate(GROUPS) for j, p in enumerate(props)}
GROUP_OF = {p: title for title, props in GROUPS for p in props}
TITLES = {RDF_TYPE: "kind", SOURCE: "source", SMP + "figureAbout": "figures"}
MIN_ITEMS, MAX_ITEMS = 2, 4
PRECISION_PROPERTY = {str(date): str(precision) for date, precision in PRECISION_OF.items()}
PRECISIONS = set(PRECISION_PROPERTY.values())


@dataclass(frozen=True)
class Fact:
    value: str  # an IRI or a literal's text
    label: str
    is_iri: bool


@dataclass(frozen=True)
class Row:
    group: str
    prop: str  # the property IRI
    title: str
    cells: tuple[tuple[Fact, ...], ...]  # one cell per programme, in the order asked

    @property
    def differs(self) -> bool:
        return len({frozenset(f.value for f in cell) for cell in self.cells}) > 1


def facts_by_property(rows: Iterable[Mapping[str, str]]) -> dict[str, tuple[str, list[Fact]]]:
    """property -> (its title, its values) for one programme."""
    out: dict[str, tuple[str, list[Fact]]] = {}
    rows = list(rows)
    # A date is shown at its precision, which is its own statement: not a row of its own.
    precisions = {row["property"]: row["value"] for row in rows if row["property"] in PRECISIONS}
    for row in rows:
        prop, value = row["property"], row["value"]
        if prop in PRECISIONS:
            continue
        if prop in PRECISION_PROPERTY:
            value = at_precision(value, precisions.get(PRECISION_PROPERTY[prop]))
        title = TITLES.get(prop) or row.get("propertyLabel") or compact(prop)
        is_iri = "://" in value
        if prop == RDF_TYPE and not value.startswith(SMP):
            continue  # the vocabulary's own types (skos, prov) say nothing to compare
        label = row.get("valueLabel") or (compact(value) if is_iri else value)
        facts = out.setdefault(prop, (title, []))[1]
        if all(f.value != value for f in facts):
            facts.append(Fact(value, label, is_iri))
    return out


def comparison(programmes: Sequence[dict[str, tuple[str, list[Fact]]]]) -> list[Row]:
    """The aligned rows for the programmes' facts (facts_by_property of each)."""
    props = {p for facts in programmes for p in facts}
    titles = {p: facts[p][0] for facts in programmes for p in facts}
    ordered = sorted(props, key=lambda p: (*ORDER.get(p, (len(GROUPS), 0)), titles[p]))
    return [
        Row(
            GROUP_OF.get(p, "Other facts"),
            p,
            titles[p],
            tuple(
                tuple(sorted(facts.get(p, ("", []))[1], key=lambda f: f.label.casefold()))
                for facts in programmes
            ),
        )
        for p in ordered
    ]


def csv_rows(labels: Sequence[str], rows: Sequence[Row]) -> tuple[list[str], list[dict]]:
    header = ["group", "fact", *labels, "differs"]
    out = [
        {
            "group": r.group,
            "fact": r.title,
            **{
                label: " | ".join(f.label for f in cell)
                for label, cell in zip(labels, r.cells, strict=True)
            },
            "differs": "yes" if r.differs else "",
        }
        for r in rows
    ]
    return header, out
