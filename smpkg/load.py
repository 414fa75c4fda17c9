"""Parsing the curated sources: all-or-nothing, with the file and line of any error.

Every file is parsed into a graph of its own first; the merged graph is built only when all of
them parsed, so a broken file never leaves a half-loaded graph behind.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax

from .errors import DataParseError
from .namespaces import bind_all

RDF_SUFFIXES = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".n3": "n3",
}
QUAD_FORMATS = {"nquads", "trig"}


def format_for(path: Path) -> str:
    try:
        return RDF_SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise DataParseError(path, None, f"unknown RDF file type {path.suffix!r}") from None


def turtle_files(*directories: Path) -> list[Path]:
    """The Turtle files below the directories, in a stable order."""
    found: list[Path] = []
    for directory in directories:
        found.extend(sorted(p for p in directory.rglob("*.ttl") if p.is_file()))
    return found


def _line_of(exc: Exception) -> int | None:
    if isinstance(exc, BadSyntax):
        # BadSyntax keeps the whole text and the offset; its own line count is 0-based.
        text = exc._str  # noqa: SLF001
        newline = b"\n" if isinstance(text, bytes) else "\n"
        return text[: exc._i].count(newline) + 1  # noqa: SLF001
    for attr in ("lineno", "line", "lines"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _reason(exc: Exception) -> str:
    if isinstance(exc, BadSyntax):
        return f"Turtle syntax error: {exc._why}"  # noqa: SLF001
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def parse_file(path: Path, graph: Graph | None = None) -> Graph:
    """Parse one RDF file into a new graph (or `graph`), or raise DataParseError."""
    target = graph if graph is not None else Graph()
    try:
        target.parse(path, format=format_for(path))
    except DataParseError:
        raise
    except Exception as exc:  # rdflib raises many unrelated types for bad input
        raise DataParseError(path, _line_of(exc), _reason(exc)) from exc
    return target


@dataclass
class Sources:
    """The merged graph of a set of files and, for each subject, the files that describe it."""

    graph: Graph
    files: list[Path]
    origins: dict[URIRef, set[Path]] = field(default_factory=dict)

    def files_of(self, node) -> list[str]:
        return sorted(str(p) for p in self.origins.get(node, ()))


def load_turtle(files: list[Path], root: Path | None = None) -> Sources:
    parsed = [(path, parse_file(path)) for path in files]
    merged = bind_all(Graph())
    origins: dict[URIRef, set[Path]] = {}
    for path, graph in parsed:
        shown = path.relative_to(root) if root and path.is_relative_to(root) else path
        for triple in graph:
            merged.add(triple)
            origins.setdefault(triple[0], set()).add(shown)
    return Sources(merged, files, origins)


def load_dataset(files: list[Path]) -> Dataset:
    """Any RDF files as one dataset; TriG and N-Quads keep their graph names, the triples of
    other files go to the default graph. All files parse or nothing is returned."""
    dataset = Dataset()
    staged = []
    for path in files:
        fmt = format_for(path)
        if fmt in QUAD_FORMATS:
            part = Dataset()
            try:
                part.parse(path, format=fmt)
            except Exception as exc:
                raise DataParseError(path, _line_of(exc), _reason(exc)) from exc
            staged.append(part)
        else:
            staged.append(parse_file(path))
    for part in staged:
        if isinstance(part, Dataset):
            for s, p, o, g in part.quads((None, None, None, None)):
                dataset.graph(g).add((s, p, o))
        else:
            default = dataset.default_graph
            for triple in part:
                default.add(triple)
    return dataset


def fingerprint(files: list[Path], root: Path, *extra: str) -> str:
    """A hash of every input byte, of where each file sits below `root`, and of the code
    versions that shape the output."""
    digest = hashlib.sha256()
    for path in sorted(files):
        name = path.relative_to(root) if path.is_relative_to(root) else path
        digest.update(name.as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    for item in extra:
        digest.update(item.encode())
        digest.update(b"\0")
    return digest.hexdigest()
