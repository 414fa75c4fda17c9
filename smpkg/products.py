"""What a build writes for the linked-data side, beside its N-Triples files, so that the
service answers resource pages, explanations, the ontology documentation, VoID and dumps from
files on disk and never loads the graphs into its own memory:

- `oxigraph/`: the on-disk store (`smpkg.disk_store`), which the query workers open, and
  which the server process opens too for the explanations' look-ups (labels, facts);
- `linked-data.json`: the counts VoID and the ontology documentation give
  (`statistics.store_statistics`), computed once with SPARQL on that store, but for the
  triples and distinct terms per graph and the links, counted from the text triples the
  store was loaded from (`statistics.text_statistics`, kept in the store's marker too, and
  `statistics.text_links`);
- `search-index.json`: the web app's search index (`smpkg.search_product`), read from that
  store with the app's own search queries;
- `resource-documents.gz` and `.json`: the Turtle document of each resource, as the service
  answers `/id/...`, and their index (`smpkg.document_product`), read from that store;
- `explanations.sqlite`: the derivation index, one row per inferred statement keyed by its
  N-Triples text, with the rule, the axioms and the premises, each with its status;
- `dumps-N/`: every dump file and the manifest (`release.write_dumps`);
- `void-documents.json`: the service's VoID document in each RDF format
  (`smpkg.void_product`), made from the statistics and that manifest, with a placeholder for
  the service's own URL.

All are written inside the build's staged directory, so a cache entry has all of them or is
absent."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .disk_store import DISK_STORE_DIR, ensure_disk_store, open_disk_store
from .document_product import write_resource_documents
from .load import Triple
from .release import dumps_directory, write_dumps
from .search_product import write_search_index
from .statistics import store_statistics, text_links, text_statistics
from .void import AUTHORITIES, EXAMPLES, STATISTICS_FILE
from .void_product import write_void

INDEX_FILE = "explanations.sqlite"
# Part of the build's cache key: a build written by code with other products is made anew.
PRODUCTS_VERSION = "linked-data products 5"

Progress = Callable[[str], None]
# Runs one named step and keeps its time (the build's `_Steps`).
Step = Callable[[str, Callable[[], Any]], Any]


def triple_key(triple: Iterable[str]) -> str:
    """The index key of a statement: its terms' N-Triples text, space-separated."""
    return " ".join(triple)


def _statuses(asserted: Iterable[Triple], ontology: Iterable[Triple], inferred: Iterable[Triple]):
    """How a premise holds, as the explanations name it."""
    asserted_set, ontology_set, inferred_set = set(asserted), set(ontology), set(inferred)

    def status(triple: Triple, derived: Mapping) -> str:
        if triple in asserted_set:
            return "asserted"
        if triple in ontology_set:
            return "ontology"
        if triple in derived or triple in inferred_set:
            return "inferred"
        return "intermediate" if any(t.startswith("_:") for t in triple) else "asserted"

    return status


def write_index(
    path: Path,
    derivations: Mapping[Triple, tuple],
    asserted: Iterable[Triple],
    ontology: Iterable[Triple],
    inferred: Iterable[Triple],
) -> int:
    """The derivation index: the rule, axioms and premises (with their status) of each
    derived statement, as JSON under the statement's key. Returns the number of rows."""
    status = _statuses(asserted, ontology, inferred)

    def rows():
        for triple, (rule, axioms, premises) in derivations.items():
            body = {
                "rule": rule,
                "axioms": [list(a) for a in axioms],
                "premises": [[*p, status(tuple(p), derivations)] for p in premises],
            }
            yield triple_key(triple), json.dumps(body, ensure_ascii=False)

    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE derivation (key TEXT PRIMARY KEY, body TEXT) WITHOUT ROWID")
        db.executemany("INSERT OR REPLACE INTO derivation VALUES (?, ?)", rows())
    db.close()
    return len(derivations)


class DerivationIndex:
    """The derivation index of a build, read-only; thread-safe."""

    def __init__(self, path: Path):
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM derivation WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None


def write_products(
    kg,
    graphs: Mapping[str, str],
    triples: Mapping[str, list[Triple]],
    derivations: Mapping[Triple, tuple],
    progress: Progress,
    step: Step,
    base_iri: str,
) -> None:
    """Every product into the build directory `kg.directory` (still staged); `triples` holds
    the text triples of each graph file (`ontology`, `asserted`, `inferred`); `base_iri` is
    the one the VoID documents name the dataset under. Each product is made as a `step`,
    which keeps its time."""
    directory = Path(kg.directory)
    _, marker = step(
        "store",
        lambda: ensure_disk_store(
            directory, graphs, statistics=lambda _: text_statistics(triples, graphs)
        ),
    )
    location = directory / DISK_STORE_DIR
    # Opened once, read-only, for the three products read from it.
    engine = open_disk_store(location)
    targets = {a.key: a.uri_space for a in AUTHORITIES}
    stats = step(
        "statistics",
        lambda: store_statistics(
            engine,
            graphs,
            EXAMPLES,
            text_links(triples, targets),
            counts=marker.get("statistics"),
        ),
    )
    (directory / STATISTICS_FILE).write_text(json.dumps(stats, ensure_ascii=False))
    step("search", lambda: write_search_index(directory, engine.store))
    step("documents", lambda: write_resource_documents(directory, engine.store, location))
    step(
        "explanations",
        lambda: write_index(
            directory / INDEX_FILE,
            derivations,
            triples["asserted"],
            triples["ontology"],
            triples["inferred"],
        ),
    )
    progress("writing the dumps")
    manifest = step("dumps", lambda: write_dumps(kg, dumps_directory(kg)))
    step("void", lambda: write_void(directory, kg, manifest, base_iri))


def read_statistics(directory: Path) -> dict:
    """The counts a build's products hold (`linked-data.json`)."""
    return json.loads((Path(directory) / STATISTICS_FILE).read_text())
