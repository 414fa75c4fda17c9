"""Synthetic data shaped like the curated graph, at any scale, for benchmarks and tests.

`generate(scale, seed)` returns an rdflib Graph of DATA (the ontology stays as it is) that a
build accepts: it passes the SHACL shapes and the data-quality checks.

How it is made. The curated asserted graph is measured first (`profile()`):

- the *templates*: every resource of the kinds a curator adds more of (initiatives,
  organisations, frameworks, funding instruments, figures, source documents with their
  sections, inventories), each with its asserted types, its fan-out per property, the length
  of each literal, its blank-node structures (a `dcterms:temporal` period) and, for each link,
  whether it points to another template (a *local* link: part-of, predecessor, implementer,
  funder, figure-about, provenance...) or to the shared vocabularies (countries, regions,
  sectors, components, features, statuses... : a *shared* link);
- for each property, the distribution of its shared objects (how often `country:MAR` is an
  origin, `sector:healthcare` a sector...).

Then, for scale s, each template is drawn floor(s) times and once more with probability
frac(s) (a stratified bootstrap of the curated resources: the class distribution and the
per-class fan-outs are those of the curated graph), under a new slug of the project's IRI
scheme. Each copy gets

- the template's asserted types and the same number of values per property;
- new literals of the same language, datatype and length (words drawn from the curated
  text, so text search still finds "talent"); dates shifted by one offset per resource and
  numbers scaled by one factor per resource, so that start <= end and min <= max still hold;
  acronyms made unique;
- for a shared link, an object drawn from that property's distribution of shared objects
  (the real countries, sectors, concepts...), never twice the same for one resource;
- for a local link to template T, a random copy of T. The curated part-of / predecessor /
  successor links form no cycle, and a link goes from a copy of S to a copy of T only when S
  links to T, so the synthetic ones form none either (a cycle would project onto one);
- provenance that agrees with itself: a copy is `smp:describedIn` sections of the very copy
  of the source document it is `prov:wasDerivedFrom`.

The shared vocabularies are the real ones: the resources of the shared folders that the
generated data or the ontology refer to, with everything they refer to in turn (their
schemes, the real sources they cite), are copied verbatim. So are resources the ontology
names (`agent:european-union`, the target of a hasValue restriction): a copy of those would
be a second European Union.

Deterministic for a seed: the same (scale, seed) gives the same triples, blank-node labels
included. `write_turtle()` streams the same triples to a file without building a Graph (for
the 1M-triple benchmark).
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from smpkg.build import input_files
from smpkg.config import Settings
from smpkg.evidence import without_evidence
from smpkg.load import load_turtle
from smpkg.namespaces import ID, SMP, bind_all

# The folders whose resources are drawn anew at each scale; every other folder of id/ is a
# shared vocabulary (countries, regions, controlled lists, concept schemes).
GENERATED_FOLDERS = ("programme", "organisation", "framework", "instrument", "figure", "source")
SECTION_OF = SMP.sectionOf
DESCRIBED_IN = SMP.describedIn
DERIVED_FROM = PROV.wasDerivedFrom
ACRONYM = SMP.acronym
# Links that must not form cycles: each points "backwards" in the template order, so copies
# cannot form a cycle either; they are never rewired to another template.
ACYCLIC = {SMP.partOf, SMP.hasPart, SMP.hasPredecessor, SMP.hasSuccessor}
DATES = {XSD.gYear, XSD.gYearMonth, XSD.date}
NUMBERS = {XSD.integer, XSD.decimal, XSD.nonNegativeInteger, XSD.int}

Triple = tuple


def _folder(iri) -> str | None:
    text = str(iri)
    if not isinstance(iri, URIRef) or not text.startswith(str(ID)):
        return None
    return text[len(str(ID)) :].split("/", 1)[0]


# --------------------------------------------------------------------------- the profile


@dataclass
class Template:
    """One curated resource as a pattern: its triples, with blank-node objects inlined."""

    iri: URIRef
    kind: str  # the id/ folder
    types: tuple
    # (predicate, object) in a stable order; an object is a URIRef, a Literal or a
    # ("bnode", ((p, o), ...)) structure.
    edges: tuple
    sections: tuple = ()  # for a source document: its section templates (iri, edges)


@dataclass
class Profile:
    """What the generator learnt from the curated graph, and what the tests compare."""

    templates: list[Template]
    shared_objects: dict  # predicate -> list of shared objects, with repetition
    words: list[str]
    pinned: set  # resources the ontology names: shared, never copied
    curated: Graph  # the curated data
    ontology_refs: set  # id/ IRIs the ontology refers to
    section_doc: dict  # section IRI -> its document IRI
    template_iris: set = field(default_factory=set)


def _inline(graph: Graph, node, seen=None) -> object:
    if not isinstance(node, BNode):
        return node
    seen = (seen or set()) | {node}
    edges = tuple(
        sorted(
            (
                (p, _inline(graph, o, seen))
                for p, o in graph.predicate_objects(node)
                if o not in seen
            ),
            key=lambda e: (str(e[0]), repr(e[1])),
        )
    )
    return ("bnode", edges)


@lru_cache(maxsize=4)
def _profile_for(root: Path) -> Profile:
    settings = Settings(root=root)
    files = input_files(settings)
    # Evidence (passages and reified statements) is not a kind of resource the generator copies.
    curated = without_evidence(load_turtle(files["data"], root).graph)
    ontology = load_turtle(files["ontology"], root).graph
    return profile(curated, ontology)


def profile(curated: Graph, ontology: Graph) -> Profile:
    """Measure the curated data: the templates and the distributions of shared objects."""
    ontology_refs = {
        t for triple in ontology for t in triple if isinstance(t, URIRef) and _folder(t) is not None
    }
    pinned = {t for t in ontology_refs if _folder(t) in GENERATED_FOLDERS}
    section_doc = {s: o for s, o in curated.subject_objects(SECTION_OF)}
    subjects = sorted(
        {s for s in curated.subjects() if _folder(s) in GENERATED_FOLDERS}
        - pinned
        - set(section_doc),
        key=str,
    )
    template_iris = set(subjects)

    def edges_of(s) -> tuple:
        return tuple(
            sorted(
                (
                    (p, _inline(curated, o))
                    for p, o in curated.predicate_objects(s)
                    if p != RDF.type
                ),
                key=lambda e: (str(e[0]), repr(e[1])),
            )
        )

    sections_by_doc: dict = defaultdict(list)
    for section, doc in sorted(section_doc.items(), key=lambda kv: str(kv[0])):
        sections_by_doc[doc].append((section, edges_of(section)))

    templates = []
    shared_objects: dict = defaultdict(list)
    for s in subjects:
        types = tuple(sorted(curated.objects(s, RDF.type), key=str))
        edges = edges_of(s)
        templates.append(Template(s, _folder(s), types, edges, tuple(sections_by_doc.get(s, ()))))
        for p, o in edges:
            if (
                isinstance(o, URIRef)
                and _folder(o)
                and o not in template_iris
                and o not in section_doc
            ):
                shared_objects[p].append(o)
    words = sorted(
        {
            w.lower()
            for o in curated.objects()
            if isinstance(o, Literal) and o.language
            for w in re.findall(r"[A-Za-z]{3,}", str(o))
        }
    )
    return Profile(
        templates,
        {p: sorted(v, key=str) for p, v in shared_objects.items()},
        words,
        pinned,
        curated,
        ontology_refs,
        section_doc,
        template_iris,
    )


# --------------------------------------------------------------------------- generation


class _Namer:
    """New slugs and acronyms: unique, lower-case ASCII words joined by '-'."""

    def __init__(self):
        self.counter = 0

    def next(self) -> str:
        self.counter += 1
        return _base36(self.counter)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


@dataclass
class Synthetic:
    """The result of a generation: the graph (or nothing, when streamed) and what the
    benchmark needs to know about it."""

    graph: Graph | None
    copies: dict  # template IRI -> [copy IRIs]
    shared: set  # the verbatim shared resources included
    triples: int = 0

    def counterpart(self, iri: URIRef) -> URIRef:
        """The resource to use in place of a curated one (a named query's example value):
        itself when it is shared, else its first copy."""
        found = self.copies.get(URIRef(iri))
        return found[0] if found else URIRef(iri)


class _Generator:
    def __init__(self, prof: Profile, scale: float, seed: int):
        self.prof = prof
        self.scale = scale
        self.rng = random.Random(f"smpkg-synthetic:{seed}")
        self.namer = _Namer()
        self.bnodes = 0
        self.copies: dict = defaultdict(list)  # template -> copies
        self.by_types: dict = defaultdict(list)  # type tuple -> copies
        self.section_copies: dict = {}  # (doc copy, section template) -> section copy
        self.referenced: set = set()
        self.shared: set = set()
        self.triples = 0
        self.docs = {t.iri for t in prof.templates if t.sections}
        self.types_of = {t.iri: t.types for t in prof.templates}
        # How many curated resources link to each IRI outside the project.
        self.external = Counter(
            o for _, _, o in prof.curated if isinstance(o, URIRef) and _folder(o) is None
        )

    # -------------------------------------------------------------- plan

    def plan(self) -> list:
        """Decide every copy and its IRI before any triple is written, so that links can
        point forwards."""
        whole = math.floor(self.scale)
        part = self.scale - whole
        planned = []
        for t in self.prof.templates:
            n = whole + (1 if self.rng.random() < part else 0)
            if t.sections and n == 0:
                n = 1  # every copy cites a source document: keep one of each
            for _ in range(n):
                label = self._text(_label_length(t), title=True)
                slug = _slug(label) + "-" + self.namer.next()
                iri = URIRef(f"{ID}{t.kind}/{slug}")
                self.copies[t.iri].append(iri)
                self.by_types[t.types].append(iri)
                for section, _ in t.sections:
                    self.section_copies[(iri, section)] = URIRef(
                        f"{iri}/{str(section).rsplit('/', 1)[1]}"
                    )
                planned.append((t, iri, label))
        return planned

    # -------------------------------------------------------------- text and values

    def _text(self, length: int, title: bool = False) -> str:
        words = []
        size = 0
        while size < max(length, 3):
            w = self.rng.choice(self.prof.words)
            words.append(w.capitalize() if title else w)
            size += len(w) + 1
        text = " ".join(words)
        return text[0].upper() + text[1:] if not title else text

    def literal(self, o: Literal, p, ctx: dict) -> Literal:
        if p == ACRONYM:  # before the text: acronyms are language-tagged like labels
            return Literal(ctx["acronym"], lang=o.language)
        if o.language:
            if p == SMP.comparator:
                return o
            return Literal(self._text(len(o), title=(p in ctx["title_props"])), lang=o.language)
        dt = o.datatype
        if dt in DATES:
            return Literal(_shift_date(str(o), ctx["years"]), datatype=dt)
        if dt in NUMBERS:
            value = o.toPython()
            if dt == XSD.decimal:
                scaled = (value * type(value)(ctx["factor"])).quantize(value)
                return Literal(str(scaled), datatype=dt)
            return Literal(str(max(0, round(int(value) * ctx["factor"]))), datatype=dt)
        if p == SMP.comparator:
            return o
        if dt is None or dt == XSD.string:
            text = str(o)
            if len(text) <= 3:  # a language code and the like
                return o
            if re.fullmatch(r"[\d\- ]+", text):  # an ISBN, a number as text
                return Literal(
                    "".join(str(self.rng.randrange(10)) if c.isdigit() else c for c in text)
                )
            return Literal(f"{text[:3].upper()}-{ctx['slug_id']}")
        return o

    # -------------------------------------------------------------- links

    def shared_object(self, p, used: set):
        pool = self.prof.shared_objects.get(p)
        if not pool:
            return None
        for _ in range(12):
            o = self.rng.choice(pool)
            if o not in used:
                return o
        return None

    def local(self, p, target, ctx: dict, used: set):
        """A copy of the template `target`: for a section, the section of the document copy
        this resource cites; for a document, one copy per resource (remembered in ctx)."""
        prof = self.prof
        if target in prof.section_doc:  # a section: of the document copy this resource cites
            doc = prof.section_doc[target]
            doc_copy = self._doc_copy(doc, ctx)
            if doc_copy is None:
                return None
            return self.section_copies.get((doc_copy, target))
        if target in ctx["memo"]:
            o = ctx["memo"][target]
            return None if o in used else o
        candidates = self.copies.get(target)
        if not candidates:
            # No copy of that template at this scale: another resource of the same types,
            # except for links that must stay acyclic.
            if p in ACYCLIC:
                return None
            candidates = self.by_types.get(self.types_of.get(target))
            if not candidates:
                return None
        for _ in range(12):
            o = self.rng.choice(candidates)
            if o != ctx["iri"] and o not in used:
                if target in self.docs:
                    ctx["memo"][target] = o
                return o
        return None

    def _doc_copy(self, doc, ctx: dict):
        if doc in ctx["memo"]:
            return ctx["memo"][doc]
        candidates = self.copies.get(doc)
        if not candidates:
            return None
        o = self.rng.choice(candidates)
        ctx["memo"][doc] = o
        return o

    # -------------------------------------------------------------- emit

    def resource(self, t: Template, iri: URIRef, label: str) -> Iterator[Triple]:
        initials = "".join(w[0] for w in label.split()[:4]).upper()
        slug_id = str(iri).rsplit("-", 1)[1].upper()
        ctx = {
            "iri": iri,
            "memo": {},
            "years": self.rng.randint(-4, 4),
            "factor": self.rng.uniform(0.5, 1.5),
            "acronym": f"{initials}-{slug_id}",
            "slug_id": slug_id,
            "title_props": {URIRef("http://purl.org/dc/terms/title")},
        }
        for cls in t.types:
            yield (iri, RDF.type, cls)
        yield (iri, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal(label, lang="en"))
        # Provenance first, so that sections follow the document chosen here.
        edges = sorted(t.edges, key=lambda e: (e[0] != DERIVED_FROM, e[0] != DESCRIBED_IN))
        used: dict = defaultdict(set)
        for p, o in edges:
            if p == URIRef("http://www.w3.org/2000/01/rdf-schema#label"):
                continue
            value = self.value(p, o, ctx, used[p])
            if value is None:
                continue
            if isinstance(value, tuple):  # a blank-node structure: its triples, then the link
                node, triples = value
                yield (iri, p, node)
                yield from triples
                continue
            used[p].add(value)
            yield (iri, p, value)
        for section, section_edges in t.sections:
            copy = self.section_copies[(iri, section)]
            yield (copy, RDF.type, SMP.SourceSection)
            for p, o in section_edges:
                if p == SECTION_OF:
                    yield (copy, p, iri)
                elif isinstance(o, Literal):
                    yield (copy, p, self.literal(o, p, ctx))

    def value(self, p, o, ctx: dict, used: set):
        if isinstance(o, Literal):
            return self.literal(o, p, ctx)
        if isinstance(o, tuple):
            return self.bnode(o[1], ctx)
        if not isinstance(o, URIRef):
            return None
        prof = self.prof
        if o in prof.template_iris or o in prof.section_doc:
            return self.local(p, o, ctx, used)
        if _folder(o) is not None:  # shared vocabulary (or a pinned resource)
            found = self.shared_object(p, used)
            if found is not None:
                self.referenced.add(found)
            return found
        # An IRI outside the project: a link that recurs (a language, a licence) is kept; one
        # that belongs to the template alone (its web page, its Wikidata item) gets a
        # synthetic stand-in of its own.
        if self.external[o] > 1:
            return o
        ctx["external"] = ctx.get("external", 0) + 1
        return URIRef(
            f"https://example.org/synthetic/{_localname(p)}/"
            f"{ctx['slug_id'].lower()}-{ctx['external']}"
        )

    def bnode(self, edges, ctx: dict):
        self.bnodes += 1
        node = BNode(f"syn{self.bnodes}")
        triples = []
        for p, o in edges:
            if isinstance(o, Literal):
                triples.append((node, p, self.literal(o, p, ctx)))
            elif isinstance(o, tuple):
                inner, more = self.bnode(o[1], ctx)
                triples.append((node, p, inner))
                triples.extend(more)
            else:
                triples.append((node, p, o))
        return node, triples

    def shared_closure(self) -> tuple[set, list]:
        """The shared resources referred to, and everything they refer to in turn."""
        curated = self.prof.curated
        todo = sorted(self.referenced | self.prof.ontology_refs, key=str)
        seen: set = set()
        triples = []
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for p, o in curated.predicate_objects(node):
                triples.append((node, p, o))
                if (isinstance(o, BNode) or _folder(o) is not None) and o not in seen:
                    todo.append(o)
        return {n for n in seen if isinstance(n, URIRef)}, sorted(triples)

    def run(self) -> Iterator[Triple]:
        planned = self.plan()
        for t, iri, label in planned:
            for triple in self.resource(t, iri, label):
                self.triples += 1
                yield triple
        shared, triples = self.shared_closure()
        self.shared = shared
        for triple in triples:
            self.triples += 1
            yield triple


def _label_length(t: Template) -> int:
    for p, o in t.edges:
        if str(p) == "http://www.w3.org/2000/01/rdf-schema#label" and isinstance(o, Literal):
            return len(o)
    return 30


def _slug(label: str) -> str:
    words = re.findall(r"[a-z0-9]+", label.lower())[:3]
    return "-".join(words) or "resource"


def _localname(p) -> str:
    return re.split(r"[#/]", str(p))[-1].lower()


def _shift_date(text: str, years: int) -> str:
    match = re.match(r"^(-?\d{4})(.*)$", text)
    if not match:
        return text
    year = int(match.group(1)) + years
    rest = match.group(2)
    if rest.startswith("-02-29"):
        rest = "-02-28" + rest[6:]
    return f"{year:04d}{rest}"


# --------------------------------------------------------------------------- public API


def synthesize(scale: float, seed: int = 0, root: Path | None = None) -> Synthetic:
    """Generate at `scale` (1.0: about the curated graph's size) into an rdflib Graph, and
    say which copies stand for which curated resources."""
    gen = _Generator(_profile_for((root or Settings().root).resolve()), scale, seed)
    graph = bind_all(Graph())
    for triple in gen.run():
        graph.add(triple)
    return Synthetic(graph, dict(gen.copies), gen.shared, len(graph))


def generate(scale: float, seed: int = 0, root: Path | None = None) -> Graph:
    """Synthetic DATA shaped like the curated graph (see the module docstring)."""
    return synthesize(scale, seed, root).graph


def write_turtle(path: Path, scale: float, seed: int = 0, root: Path | None = None) -> Synthetic:
    """Stream the same triples as `generate()` to a Turtle file (one triple a line: also
    valid N-Triples), without holding them in a Graph."""
    gen = _Generator(_profile_for((root or Settings().root).resolve()), scale, seed)
    with open(path, "w", encoding="utf-8") as out:
        for s, p, o in gen.run():
            out.write(f"{s.n3()} {p.n3()} {o.n3()} .\n")
    return Synthetic(None, dict(gen.copies), gen.shared, gen.triples)


def template_triples(root: Path | None = None) -> tuple[int, int]:
    """(triples of the resources copied per unit of scale, triples of the curated data)."""
    prof = _profile_for((root or Settings().root).resolve())
    per_unit = 0
    for t in prof.templates:
        per_unit += len(t.types) + _count_edges(t.edges)
        for _, edges in t.sections:
            per_unit += 1 + len(edges)
    return per_unit, len(prof.curated)


def _count_edges(edges) -> int:
    n = 0
    for _, o in edges:
        n += 1
        if isinstance(o, tuple):
            n += _count_edges(o[1])
    return n


def scale_for(triples: int, root: Path | None = None) -> float:
    """The scale whose graph has about `triples` data triples (the shared vocabulary is a
    fixed part at scale >= 1 and shrinks below it)."""
    per_unit, curated = template_triples(root)
    shared = curated - per_unit
    if triples >= curated:
        return (triples - shared) / per_unit
    # Below 1x the shared part shrinks with what is referred to: search.
    low, high = 0.0, 1.0
    for _ in range(12):
        mid = (low + high) / 2
        if len(generate(mid, 0, root)) < triples:
            low = mid
        else:
            high = mid
    return round((low + high) / 2, 4)


def class_counts(graph: Graph, subjects: Iterable | None = None) -> Counter:
    """Asserted rdf:type counts, over `subjects` when given."""
    wanted = set(subjects) if subjects is not None else None
    return Counter(o for s, o in graph.subject_objects(RDF.type) if wanted is None or s in wanted)


def shape_summary(graph: Graph, subjects: Iterable) -> dict:
    """The measures the generator preserves, over `subjects`: class counts, mean fan-out per
    property, mean literal length per property, and the share of links (other than rdf:type)
    that point to the shared vocabularies."""
    subjects = set(subjects)
    fanout: Counter = Counter()
    lengths: dict = defaultdict(list)
    links = shared = 0
    for s in subjects:
        for p, o in graph.predicate_objects(s):
            if p == RDF.type:
                continue
            fanout[p] += 1
            if isinstance(o, Literal):
                lengths[p].append(len(o))
            elif isinstance(o, URIRef) and _folder(o) is not None:
                links += 1
                if _folder(o) not in GENERATED_FOLDERS:
                    shared += 1
    n = max(len(subjects), 1)
    return {
        "subjects": len(subjects),
        "classes": class_counts(graph, subjects),
        "fanout": {p: c / n for p, c in fanout.items()},
        "literal_length": {p: sum(v) / len(v) for p, v in lengths.items()},
        "shared_link_share": shared / links if links else 0.0,
    }
