"""What a resource page shows a person first: its kind, then its facts grouped by role
(countries, dates, actors, sectors, ...), each beside the passage of the seed that states it.

The facts are the asserted statements of a `Description`; the evidence, the kinds and a
passage's statements come from three SELECT queries of smpkg/app_queries
(`statement-evidence`, `resource-kinds`, `passage-statements`) run by the caller over the
served data with `?this` bound, like the description's own queries. Nothing here loads data.

Evidence is RDF reification (docs/modelling.md section 4): a passage `smp:supports` an
`rdf:Statement` naming the triple. A statement's evidence is shown as the short name of the
passage's section ("Box 6"), the verbatim quote, and a link to the passage's page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS
from rdflib.term import Identifier

from .describe import Description, Value, compact, pick_label
from .namespaces import SMP
from .queries import load_query_file

QUERY_DIR = Path(__file__).parent / "app_queries"
PAGE_QUERY_NAMES = ("statement-evidence", "resource-kinds", "passage-statements")
# The queries a page runs besides the description's: name -> SPARQL text (`?this` bound).
PAGE_QUERIES = {name: load_query_file(QUERY_DIR / f"{name}.rq").text for name in PAGE_QUERY_NAMES}
Triple = tuple[Identifier, Identifier, Identifier]


@dataclass(frozen=True)
class Role:
    """One line of the summary: the values of `predicate` (asserted), or, when `incoming`,
    the resources that point to this one with it."""

    title: str
    predicate: URIRef
    incoming: bool = False


@dataclass(frozen=True)
class Heading:
    title: str
    roles: tuple[Role, ...]


ACTOR_ROLES = (
    ("Implementer", SMP.implementedBy),
    ("Implementing partner", SMP.implementingPartner),
    ("Funder", SMP.fundedBy),
    ("Manager", SMP.managedBy),
    ("Training provider", SMP.trainingProvider),
    ("Signatory", SMP.signatory),
    ("Participant", SMP.participant),
    ("Other actor involved", SMP.involvesActor),
    ("Cooperates with", SMP.cooperatesWith),
)
SUMMARY = (
    Heading(
        "Countries and places",
        (
            Role("Origin", SMP.originCountry),
            Role("Destination", SMP.destinationCountry),
            Role("Partner", SMP.partnerCountry),
            Role("Also involved", SMP.involvesPlace),
            Role("Based in", SMP.basedIn),
        ),
    ),
    Heading(
        "When and status",
        (
            Role("Status", SMP.status),
            Role("Start", SMP.startDate),
            Role("End", SMP.endDate),
            Role("Launched", SMP.launchDate),
            Role("Signed", SMP.signedDate),
            Role("In force from", SMP.entryIntoForceDate),
            Role("Duration (months)", SMP.durationInMonths),
        ),
    ),
    # States acting in an initiative are actors: they appear here with their role.
    Heading("Actors by role", tuple(Role(t, p) for t, p in ACTOR_ROLES)),
    Heading(
        "Sectors, occupations and target groups",
        (
            Role("Sector", SMP.coversSector),
            Role("Occupation", SMP.targetsOccupation),
            Role("Target group", SMP.targetGroup),
            Role("Skill level", SMP.skillLevel),
            Role("Mobility", SMP.mobilityType),
        ),
    ),
    Heading(
        "Figures",
        (
            Role("Figure about it", SMP.figureAbout, incoming=True),
            Role("Value", SMP.figureValue),
            Role("As the source states it", SMP.statedAs),
            Role("Planned participants", SMP.plannedParticipants),
            Role("Reported participants", SMP.reportedParticipants),
            Role("Partner countries", SMP.numberOfPartnerCountries),
            Role("Minimum stay (months)", SMP.minimumStayMonths),
            Role("Maximum stay (months)", SMP.maximumStayMonths),
            Role("Minimum age", SMP.minimumAge),
            Role("Maximum age", SMP.maximumAge),
        ),
    ),
    Heading(
        "Frameworks and funding",
        (
            Role("Framework", SMP.relatesToFramework),
            Role("Legal basis", SMP.legalBasis),
            Role("Financed through", SMP.financedThrough),
            Role("Partnership model", SMP.followsModel),
            Role("Part of", SMP.directlyPartOf),
            Role("Has part", SMP.directlyPartOf, incoming=True),
        ),
    ),
    Heading(
        "Components",
        (Role("Component", SMP.hasComponent), Role("Feature", SMP.hasFeature)),
    ),
    Heading(
        "Groups and relations",
        (
            Role("Member", SMP.groupingMember),
            Role("Member of", SMP.groupingMember, incoming=True),
            Role("Related to", SMP.relatedTo),
        ),
    ),
    Heading("Web pages", (Role("See also", RDFS.seeAlso),)),
    # What a country, organisation, sector or framework page shows: its part in initiatives.
    Heading(
        "Its part in initiatives",
        tuple(
            Role(title, predicate, incoming=True)
            for title, predicate in (
                ("Destination of", SMP.destinationCountry),
                ("Origin of", SMP.originCountry),
                ("Partner country of", SMP.partnerCountry),
                ("Place of", SMP.involvesPlace),
                ("Implements", SMP.implementedBy),
                ("Implementing partner in", SMP.implementingPartner),
                ("Funds", SMP.fundedBy),
                ("Manages", SMP.managedBy),
                ("Trains in", SMP.trainingProvider),
                ("Signatory of", SMP.signatory),
                ("Participant in", SMP.participant),
                ("Involved in", SMP.involvesActor),
                ("Sector of", SMP.coversSector),
                ("Occupation targeted by", SMP.targetsOccupation),
                ("Framework of", SMP.relatesToFramework),
                ("Legal basis of", SMP.legalBasis),
                ("Finances", SMP.financedThrough),
                ("Model of", SMP.followsModel),
            )
        ),
    ),
)
# Where a resource is the object of one of these, /browse/programmes has a facet for it.
BROWSE_FACETS = {
    SMP.destinationCountry: ("destination", "Programmes with {} as destination"),
    SMP.originCountry: ("origin", "Programmes with {} as origin"),
    SMP.partnerCountry: ("partner", "Programmes with {} as partner country"),
    SMP.coversSector: ("sector", "Programmes in the sector {}"),
    SMP.relatesToFramework: ("framework", "Programmes under {}"),
    SMP.fundedBy: ("funder", "Programmes funded by {}"),
    SMP.implementedBy: ("implementer", "Programmes implemented by {}"),
    SMP.followsModel: ("model", "Programmes following {}"),
    SMP.status: ("status", "Programmes with the status {}"),
}


@dataclass(frozen=True)
class Evidence:
    """A passage that states a statement: where it is and what it says."""

    passage: URIRef
    quote: str
    section: URIRef | None
    section_label: str  # the section's full label ("Box 6: SMPs implemented in Belgium")
    document: URIRef | None

    @property
    def short(self) -> str:
        """The section's short name, "Box 6" for "Box 6: SMPs implemented in Belgium"."""
        return self.section_label.split(":", 1)[0].strip() or "Passage"


@dataclass(frozen=True)
class Fact:
    """A value of the summary with the passages that state it."""

    term: Identifier
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Line:
    title: str
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class BrowseLink:
    text: str
    href: str


@dataclass(frozen=True)
class Supported:
    """A statement a passage supports."""

    subject: Identifier
    predicate: URIRef
    object: Identifier


@dataclass
class Summary:
    kinds: list[str]
    sections: list[Section]
    browse: list[BrowseLink]
    evidence: dict[Triple, tuple[Evidence, ...]] = field(default_factory=dict)
    supported: list[Supported] = field(default_factory=list)  # for a passage
    is_passage: bool = False

    def outgoing_evidence(self, iri: Identifier, value: Value) -> tuple[Evidence, ...]:
        return self.evidence.get((iri, value.predicate, value.term), ())

    def incoming_evidence(self, iri: Identifier, value: Value) -> tuple[Evidence, ...]:
        return self.evidence.get((value.term, value.predicate, iri), ())


def evidence_index(this: URIRef, rows: Sequence[Mapping]) -> dict[Triple, tuple[Evidence, ...]]:
    """Statement -> its passages, from the `statement-evidence` rows (a missing ?s or ?o is
    the resource itself)."""
    found: dict[Triple, dict[URIRef, Evidence]] = {}
    for row in rows:
        triple = (row.get("s", this), row["p"], row.get("o", this))
        section = row.get("section")
        found.setdefault(triple, {})[row["passage"]] = Evidence(
            passage=row["passage"],
            quote=str(row["quote"]),
            section=section if isinstance(section, URIRef) else None,
            section_label=str(row.get("sectionLabel") or ""),
            document=row.get("document"),
        )
    return {
        t: tuple(sorted(by.values(), key=lambda e: (e.section_label, str(e.passage))))
        for t, by in found.items()
    }


def most_specific_kinds(rows: Sequence[Mapping], asserted: set[Identifier]) -> list[str]:
    """The labels of the resource's labelled classes that no other of its classes is a
    subclass of (`resource-kinds` rows); asserted classes first."""
    labels: dict[Identifier, list[Literal]] = {}
    supers: set[Identifier] = set()
    for row in rows:
        if row.get("typeLabel") is not None:
            labels.setdefault(row["type"], []).append(row["typeLabel"])
        if row.get("super") is not None:
            supers.add(row["super"])
    specific = [t for t in labels if t not in supers]
    specific.sort(key=lambda t: (t not in asserted, str(t)))
    named = (pick_label(labels[t]) for t in specific)
    return [n[:1].upper() + n[1:] for n in named if n]


def _lines(description: Description, heading: Heading, evidence: Mapping) -> tuple[Line, ...]:
    iri = description.iri
    lines = []
    for role in heading.roles:
        groups = description.incoming if role.incoming else description.outgoing
        values = [
            v
            for g in groups
            if g.predicate == role.predicate
            for v in g.values
            if v.kind == "asserted"
        ]
        facts = tuple(
            Fact(
                v.term,
                evidence.get(
                    (v.term, v.predicate, iri) if role.incoming else (iri, v.predicate, v.term), ()
                ),
            )
            for v in values
        )
        if facts:
            lines.append(Line(role.title, facts))
    return tuple(lines)


def browse_links(description: Description, root: str = "") -> list[BrowseLink]:
    """Links to /browse/programmes filtered by this resource, for each facet it is a value of."""
    links = []
    for group in description.incoming:
        facet = BROWSE_FACETS.get(group.predicate)
        if facet is None or not any(v.kind == "asserted" for v in group.values):
            continue
        name, text = facet
        links.append(
            BrowseLink(
                text.format(description.label),
                f"{root}/browse/programmes?{name}={compact(str(description.iri))}",
            )
        )
    return links


def supported_statements(description: Description, rows: Sequence[Mapping]) -> list[Supported]:
    """The statements a passage supports (`passage-statements` rows); their labels are added
    to the description's, so that the page names them."""
    found: dict[Supported, None] = {}
    labels: dict[Identifier, list[Literal]] = {}
    for row in rows:
        found[Supported(row["s"], row["p"], row["o"])] = None
        for term, label in ((row["s"], "sLabel"), (row["p"], "pLabel"), (row["o"], "oLabel")):
            if row.get(label) is not None:
                labels.setdefault(term, []).append(row[label])
    for term, candidates in labels.items():
        chosen = pick_label(candidates)
        if chosen:
            description.labels.setdefault(term, chosen)
    order = [RDF.type, RDFS.label, DCTERMS.description, SKOS.note]

    def key(s: Supported):
        rank = order.index(s.predicate) if s.predicate in order else len(order)
        return (description.text(s.subject), rank, description.predicate_text(s.predicate))

    return sorted(found, key=key)


def summarise(
    description: Description, rows: Mapping[str, Sequence[Mapping]], root: str = ""
) -> Summary:
    """The summary of a described resource from the rows of PAGE_QUERIES."""
    evidence = evidence_index(description.iri, rows.get("statement-evidence", []))
    asserted = {v.term for v in description.types if v.kind == "asserted"}
    sections = [
        Section(h.title, lines) for h in SUMMARY if (lines := _lines(description, h, evidence))
    ]
    return Summary(
        kinds=most_specific_kinds(rows.get("resource-kinds", []), asserted),
        sections=sections,
        browse=browse_links(description, root),
        evidence=evidence,
        supported=supported_statements(description, rows.get("passage-statements", [])),
        is_passage=any(v.term == SMP.Passage for v in description.types),
    )


def passage_facts(description: Description) -> dict[str, Identifier | None]:
    """A passage's quote, section and document (None where the data has none)."""

    def first(predicate: URIRef) -> Identifier | None:
        found = description.values(predicate)
        return found[0] if found else None

    return {
        "quote": first(SMP.quote),
        "section": first(SMP.inSection),
        "document": first(PROV.wasQuotedFrom),
    }
