"""Resource documents as a build product: `resource-documents.gz` and its index in the
build's directory, the Turtle document of every resource the data describes, written once by
the build so that the service answers `GET /id/...` for Turtle with one read
(`api.document_lane`).

A document read from the store costs about 0.3 ms of look-ups (pyoxigraph makes a Python
term of every statement it returns) and 0.1 ms of writing; a stored one costs a dictionary
look-up, a `pread` and a gunzip, a few microseconds. The index is loaded whole (87 ms for the
96,621 documents of a million-triple build); an SQLite table, tried first, cost over ten
times as much per look-up. Documents are stored gzip-compressed (a third of their size;
111 MB at a million triples), and a client that accepts gzip gets them as they are. The
stored bytes are those `smpkg.resource_document` writes for the same resource: a stored
document and a live one are the same document.

What is stored: the document of each IRI that is the subject of a statement in a named graph
(every resource the data describes) when it is complete with fewer than `LIMIT` statements
each way and the resource is not deprecated (a replaced resource answers a redirect; a
resource with a long list of links may be cut by the service's row limit): those are read
from the store as before. The service uses the product only when its row limit cannot cut a
stored document (`max_rows` at least `LIMIT`). Keys are the full IRIs: what the service's
base IRI maps a path to is its own business.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyoxigraph as ox

from .product_file import StaleProduct, read_product
from .rdf_writer import OX_PREFIXES
from .resource_document import document_bytes, resource_quads

DOCUMENTS_FILE = "resource-documents.gz"  # the documents' gzip members, one after another
INDEX_FILE = "resource-documents.json"  # IRI -> offset, length, size uncompressed
# Changed whenever what is stored changes: a file of another format is not used.
FORMAT = "resource documents 1"
# A stored document has fewer statements than this each way.
LIMIT = 256

_SUBJECTS = """SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s)) }"""
# Below this many resources the documents are written in this process: two more processes
# cost about a second to start, which a small build does not win back.
PARALLEL_FROM = 20_000
CHUNK = 2_000

_store: ox.Store | None = None


def _open(path: str) -> None:
    global _store  # the store a pool worker writes from, opened once
    _store = ox.Store.read_only(path)


Row = tuple[str, bytes, int]  # IRI, the gzip-compressed document, its size uncompressed


def _written(store: ox.Store, iris: list[str]) -> list[Row]:
    """The stored form of each document of `iris` worth storing."""
    out = []
    for iri in iris:
        found = resource_quads(store, iri, LIMIT)
        if found.truncated or not found or found.replacement("") is not None:
            continue
        body = document_bytes(found.quads, ox.RdfFormat.TURTLE, OX_PREFIXES)
        out.append((iri, gzip.compress(body, compresslevel=6, mtime=0), len(body)))
    return out


def _chunk(iris: list[str]) -> list[Row]:
    assert _store is not None
    return _written(_store, iris)


def _documents(store: ox.Store, location: Path) -> Iterator[Row]:
    solutions = store.query(_SUBJECTS)
    assert isinstance(solutions, ox.QuerySolutions)
    iris = [solution[0].value for solution in solutions]
    if len(iris) < PARALLEL_FROM:
        yield from _written(store, iris)
        return
    chunks = [iris[i : i + CHUNK] for i in range(0, len(iris), CHUNK)]
    context = multiprocessing.get_context("spawn")  # a forked RocksDB handle is not safe
    workers = min(2, os.cpu_count() or 1)
    with ProcessPoolExecutor(
        workers, context, initializer=_open, initargs=(str(location),)
    ) as pool:
        for written in pool.map(_chunk, chunks):
            yield from written


def write_resource_documents(directory: Path, store: ox.Store, location: Path) -> int:
    """Write the Turtle document of every resource of `store` (on disk at `location`, which
    pool workers open read-only) into the build `directory`; returns how many."""
    index: dict[str, list[int]] = {}
    offset = 0
    with open(Path(directory) / DOCUMENTS_FILE, "wb") as out:
        for iri, compressed, size in _documents(store, location):
            out.write(compressed)
            index[iri] = [offset, len(compressed), size]
            offset += len(compressed)
    stored = {"format": FORMAT, "limit": LIMIT, "documents": index}
    with open(Path(directory) / INDEX_FILE, "w", encoding="utf-8") as f:
        json.dump(stored, f, ensure_ascii=False, separators=(",", ":"))
    return len(index)


class ResourceDocuments:
    """The stored documents of a build, read-only; thread-safe (one `pread` a document)."""

    def __init__(self, directory: Path):
        self._file = None
        stored = read_product(Path(directory) / INDEX_FILE, FORMAT)
        try:
            # A file object, not a bare descriptor: it is closed with the snapshot that
            # holds it, when a reload has replaced that snapshot.
            self._file = open(Path(directory) / DOCUMENTS_FILE, "rb", buffering=0)  # noqa: SIM115
            self._fileno = self._file.fileno()
        except FileNotFoundError:
            raise StaleProduct(f"the build has no {DOCUMENTS_FILE}") from None
        self.limit: int = stored["limit"]
        self._index: dict[str, list[int]] = stored["documents"]

    def turtle(self, iri: str) -> tuple[bytes, int] | None:
        """The Turtle document of `iri`, gzip-compressed, and its size uncompressed; None
        when it is not stored (it may still exist: a long or deprecated resource is read
        from the store)."""
        entry = self._index.get(iri)
        if entry is None:
            return None
        offset, length, size = entry
        return os.pread(self._fileno, length, offset), size

    def __len__(self) -> int:
        return len(self._index)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
