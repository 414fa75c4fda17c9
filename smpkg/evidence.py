"""Statement-level evidence: which statements need a passage, which have one, and whether each
passage's quote stands verbatim in its seed.

The mechanism (docs/modelling.md, "Evidence"): a `smp:Passage` quotes a seed and
`smp:supports` reified statements (`rdf:subject`, `rdf:predicate`, `rdf:object`). Which
statements need evidence is one SPARQL query, `ontology/evidence/coverage.rq`; which data files
must already be fully evidenced is the committed list `data/evidenced-files.txt`.

`python -m smpkg.evidence [data files]` prints the coverage of every data file, the statements
without evidence of listed and named files, and every quote problem.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import RDF

from .namespaces import ID, SMP

ROOT = Path(__file__).resolve().parents[1]
COVERAGE_QUERY = ROOT / "ontology" / "evidence" / "coverage.rq"
EVIDENCED_LIST = ROOT / "data" / "evidenced-files.txt"

# The seed text file of each source document (../shared/seeds/<prefix>_<hash>.txt).
SEED_OF_DOCUMENT = {
    "emn-inform-announcement-2022": "000",
    "emn-oecd-inform-2022": "001",
    "icmpd-commentary-six-ways": "002",
    "iom-smp-guidance": "003",
    "iom-smp-infosheet": "004",
}
PASSAGE_IRI = re.compile(
    re.escape(f"{ID}passage/")
    + r"(?P<document>[a-z0-9-]+?)-l(?P<start>\d+)(?:-(?P<end>\d+))?(?:-(?P<variant>[a-z]))?$"
)
HYPHENATED = re.compile(r"(\w)-[ \t]*\n[ \t]*(\w)")
SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Passage:
    iri: str
    quote: str
    document: str
    start: int
    end: int


@dataclass(frozen=True)
class FileCoverage:
    path: str
    covered: int
    evidenced: int
    missing: tuple[str, ...]


def evidence_nodes(graph: Graph) -> set:
    """The passages of a graph and the reified statements they support."""
    found = set(graph.subjects(RDF.type, SMP.Passage))
    return found | {o for p in found for o in graph.objects(p, SMP.supports)}


def without_evidence(graph: Graph) -> Graph:
    """The graph without its passages and reified statements: the statements about the world."""
    nodes = evidence_nodes(graph)
    kept = Graph()
    for triple in graph:
        if triple[0] not in nodes:
            kept.add(triple)
    return kept


def seeds_dir() -> Path:
    """Where the seed texts are: $SMPKG_SEEDS, else ../shared/seeds beside the repository."""
    return Path(os.environ.get("SMPKG_SEEDS", ROOT.parent / "shared" / "seeds"))


def normalised(text: str, keep_hyphen: bool = False) -> str:
    """Whitespace collapsed to single spaces; a word broken by a hyphen at a line end joined
    (without the hyphen, or with it when `keep_hyphen`, for compounds such as "SMP-like")."""
    joined = HYPHENATED.sub(r"\1-\2" if keep_hyphen else r"\1\2", text)
    return SPACE.sub(" ", joined).strip()


def seed_lines(document: str, directory: Path) -> list[str]:
    prefix = SEED_OF_DOCUMENT[document]
    (path,) = sorted(directory.glob(f"{prefix}_*.txt"))
    return path.read_text(encoding="utf-8").splitlines()


def quote_problem(passage: Passage, lines: list[str]) -> str | None:
    """Why the quote is not verbatim in lines start..end of its seed, or None when it is."""
    if not 1 <= passage.start <= passage.end <= len(lines):
        return f"{passage.iri}: lines {passage.start}-{passage.end} are not in the seed"
    span = "\n".join(lines[passage.start - 1 : passage.end])
    quote = normalised(passage.quote)
    if quote in normalised(span) or quote in normalised(span, keep_hyphen=True):
        return None
    return f"{passage.iri}: quote not found in lines {passage.start}-{passage.end}: {quote!r}"


def solutions(store: ox.Store, query: str) -> ox.QuerySolutions:
    """The rows of a SELECT query (the queries of this module are all SELECT)."""
    rows = store.query(query)
    assert isinstance(rows, ox.QuerySolutions)
    return rows


def store_of(files: list[Path]) -> ox.Store:
    store = ox.Store()
    for path in files:
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


def passages(store: ox.Store) -> list[Passage | str]:
    """Every passage, or a message for a passage IRI that does not name document and lines."""
    found: list[Passage | str] = []
    query = f"SELECT ?p ?q WHERE {{ ?p a <{SMP.Passage}> OPTIONAL {{ ?p <{SMP.quote}> ?q }} }}"
    for row in solutions(store, query):
        iri, quote = row["p"].value, row["q"]
        match = PASSAGE_IRI.match(iri)
        if not match or match["document"] not in SEED_OF_DOCUMENT:
            found.append(f"{iri}: IRI is not id/passage/{{document}}-l{{first}}[-{{last}}]")
            continue
        start = int(match["start"])
        found.append(
            Passage(
                iri,
                quote.value if quote else "",
                match["document"],
                start,
                int(match["end"] or start),
            )
        )
    return found


def quote_problems(store: ox.Store, directory: Path) -> list[str]:
    problems: list[str] = []
    cache: dict[str, list[str]] = {}
    for passage in passages(store):
        if isinstance(passage, str):
            problems.append(passage)
            continue
        if passage.document not in cache:
            cache[passage.document] = seed_lines(passage.document, directory)
        problem = quote_problem(passage, cache[passage.document])
        if problem:
            problems.append(problem)
    return problems


def covered_statements(store: ox.Store) -> dict[str, bool]:
    """Each statement that needs evidence (as an N-Triples line) and whether it has some."""
    result = {}
    for row in solutions(store, COVERAGE_QUERY.read_text(encoding="utf-8")):
        key = f"{row['s']} {row['p']} {row['o']} ."
        result[key] = row["evidenced"].value == "true"
    return result


def file_triples(path: Path) -> set[str]:
    return {f"{q.subject} {q.predicate} {q.object} ." for q in ox.parse(path=str(path))}


def coverage(data_files: list[Path], ontology: Path, root: Path = ROOT) -> list[FileCoverage]:
    statements = covered_statements(store_of([ontology, *data_files]))
    report = []
    for path in data_files:
        mine = [t for t in sorted(file_triples(path)) if t in statements]
        missing = tuple(t for t in mine if not statements[t])
        name = str(path.relative_to(root))
        report.append(FileCoverage(name, len(mine), len(mine) - len(missing), missing))
    return report


def evidenced_files(listing: Path = EVIDENCED_LIST) -> list[str]:
    """The data files (paths relative to the repository) that must be fully evidenced."""
    lines = listing.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def main(argv: list[str]) -> int:
    """The coverage table; the statements without evidence of every listed file and of every
    file named on the command line; every quote problem."""
    data_files = sorted((ROOT / "data").rglob("*.ttl"))
    report = coverage(data_files, ROOT / "ontology" / "smp.ttl")
    named = {str((Path.cwd() / name).resolve().relative_to(ROOT)) for name in argv}
    listed = set(evidenced_files())
    print(f"{'file':<50} {'covered':>8} {'evidenced':>10}  listed")
    for row in report:
        print(f"{row.path:<50} {row.covered:>8} {row.evidenced:>10}  {row.path in listed}")
    print(
        f"{'total':<50} {sum(r.covered for r in report):>8} {sum(r.evidenced for r in report):>10}"
    )
    failing = [r for r in report if r.path in listed and r.missing]
    for row in (r for r in report if (r.path in listed or r.path in named) and r.missing):
        print(f"\n{row.path}: {len(row.missing)} statements without evidence")
        print("\n".join(f"  {t}" for t in row.missing))
    problems = []
    if seeds_dir().is_dir():
        problems = quote_problems(store_of(data_files), seeds_dir())
        print("\n".join(problems) or "every quote is verbatim in its seed")
    else:
        print(f"quotes not checked: {seeds_dir()} is absent (set SMPKG_SEEDS)")
    return 1 if failing or problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
