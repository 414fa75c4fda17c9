"""Parsing the curated sources: all-or-nothing, with the file and line of any error.

Every file is parsed into triples of its own first; they are merged only when all of them
parsed, so a broken file never leaves a half-loaded graph behind.
"""

from __future__ import annotations

import gc
import hashlib
import re
import sys
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import Identifier

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
        text = exc._str
        newline = b"\n" if isinstance(text, bytes) else "\n"
        return text[: exc._i].count(newline) + 1
    for attr in ("lineno", "line", "lines"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _reason(exc: Exception) -> str:
    if isinstance(exc, BadSyntax):
        return f"Turtle syntax error: {exc._why}"
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


# --------------------------------------------------------------------------- terms as text
#
# At scale the build keeps every term as its N-Triples text (`<iri>`, `_:label`, `"lexical"`,
# `"lexical"@lang`, `"lexical"^^<datatype>`): pyoxigraph parses Turtle into such strings forty
# times faster than rdflib builds a Graph, strings hash and compare in C, and the cache files
# are written from them as they are. rdflib terms are made from them only where a consumer
# needs a Graph.

Triple = tuple  # (subject, predicate, object), N-Triples text each
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ESCAPED = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _quoted(lexical: str) -> str:
    # pyoxigraph's own quoting, so that a term has one text whichever side made it.
    return str(ox.Literal(lexical))


def nt(term: Identifier) -> str:
    """The N-Triples text of an rdflib term, as pyoxigraph writes the same term."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        if term.language:
            return f"{_quoted(str(term))}@{term.language}"
        if term.datatype is not None:
            # rdflib tells `"x"^^xsd:string` from `"x"`; keep them apart as it does.
            return f"{_quoted(str(term))}^^<{term.datatype}>"
        return _quoted(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def _unescape(match: re.Match) -> str:
    short, long, char = match.groups()
    if char is not None:
        return _ESCAPED.get(char, char)
    return chr(int(short or long, 16))


def term_of(text: str) -> Identifier:
    """The rdflib term of an N-Triples text (the inverse of `nt`)."""
    if text[0] == "<":
        return URIRef(text[1:-1])
    if text[0] == "_":
        return BNode(text[2:])
    end = text.rindex('"')
    lexical = text[1:end]
    if "\\" in lexical:
        lexical = _ESCAPE.sub(_unescape, lexical)
    rest = text[end + 1 :]
    if rest.startswith("@"):
        return Literal(lexical, lang=rest[1:])
    if rest.startswith("^^<"):
        return Literal(lexical, datatype=URIRef(rest[3:-1]))
    return Literal(lexical)


@contextmanager
def bulk_work():
    """No cyclic garbage collection inside the block. The build makes millions of small
    tuples that are never part of a cycle; the collector would walk all of them again and
    again as they pile up (a third of the reasoning time at a million triples)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Terms:
    """Both directions between rdflib terms and their text, each term converted once."""

    def __init__(self):
        self.text: dict = {}
        self.term: dict = {}

    def to_text(self, triples) -> list[Triple]:
        text, term = self.text, self.term
        out = []
        for triple in triples:
            row = []
            for node in triple:
                found = text.get(node)
                if found is None:
                    found = text[node] = nt(node)
                    term.setdefault(found, node)
                row.append(found)
            out.append(tuple(row))
        return out

    def to_term(self, text: str) -> Identifier:
        found = self.term.get(text)
        if found is None:
            found = self.term[text] = term_of(text)
        return found

    def to_triple(self, triple: Triple) -> tuple:
        to_term = self.to_term
        return (to_term(triple[0]), to_term(triple[1]), to_term(triple[2]))


def graph_of(triples, graph: Graph | None = None) -> Graph:
    """An rdflib Graph of text triples."""
    target = graph if graph is not None else Graph()
    terms = Terms()
    add = target.store.add
    for triple in triples:
        add(terms.to_triple(triple), context=target)
    return target


def _canonical(literal: ox.Literal) -> str:
    # rdflib normalises typed literals ("01"^^xsd:integer is "1"); the graph must not depend
    # on which parser read the file, and owlrl, the reference, sees rdflib's form.
    return nt(Literal(literal.value, datatype=URIRef(literal.datatype.value)))


def read_terms(path: Path, canonical: dict | None = None) -> list[Triple]:
    """The triples of one Turtle file as text, or DataParseError with the file and line.

    pyoxigraph reads the file; when it refuses it, rdflib decides, as it did alone before:
    a file rdflib reads is taken from rdflib, otherwise rdflib's error (file, line, reason)
    is the one reported."""
    canonical = {} if canonical is None else canonical
    intern = sys.intern
    out: list[Triple] = []
    append = out.append
    try:
        for triple in ox.parse(
            path=str(path),
            format=ox.RdfFormat.TURTLE,
            base_iri=path.absolute().as_uri(),
            rename_blank_nodes=True,
        ):
            obj = triple.object
            o = str(obj)
            if o[-1] == ">" and o[0] == '"':
                found = canonical.get(o)
                if found is None:
                    found = canonical[o] = intern(_canonical(obj))
                o = found
            else:
                o = intern(o)
            append((intern(str(triple.subject)), intern(str(triple.predicate)), o))
    except Exception:  # noqa: BLE001 - whatever pyoxigraph refuses, rdflib decides
        return Terms().to_text(parse_file(path))
    return out


class Sources:
    """The merged triples of a set of files and, for each subject, the files that describe it.

    `triples` (text, each once) is what the build works with; `graph`, the same as an rdflib
    Graph, is made the first time it is asked for."""

    def __init__(
        self,
        graph: Graph | None = None,
        files: list[Path] | None = None,
        *,
        triples: list[Triple] | None = None,
        subjects: dict[Path, set[str]] | None = None,
    ):
        self.files = list(files or [])
        if graph is not None:
            self.__dict__["graph"] = graph
        if triples is not None:
            self.__dict__["triples"] = triples
        self._subjects = subjects or {}

    @cached_property
    def graph(self) -> Graph:
        with bulk_work():
            return graph_of(self.triples, bind_all(Graph()))

    @cached_property
    def triples(self) -> list[Triple]:
        return Terms().to_text(self.graph)

    def made_graph(self) -> Graph | None:
        """`graph` if something has asked for it already, else None."""
        return self.__dict__.get("graph")

    def files_of(self, node) -> list[str]:
        """The files that describe `node` (a term, or its N-Triples text)."""
        key = nt(node) if isinstance(node, Identifier) else str(node)
        return sorted(str(p) for p, subjects in self._subjects.items() if key in subjects)


@bulk_work()
def load_turtle(files: list[Path], root: Path | None = None) -> Sources:
    """Every file parsed before anything is merged: one broken file loads nothing."""
    canonical: dict = {}
    parsed = [(path, read_terms(path, canonical)) for path in files]
    subjects: dict[Path, set[str]] = {}
    merged = list(dict.fromkeys(t for _, triples in parsed for t in triples))
    for path, triples in parsed:
        shown = path.relative_to(root) if root and path.is_relative_to(root) else path
        subjects.setdefault(shown, set()).update(t[0] for t in triples)
    return Sources(files=files, triples=merged, subjects=subjects)


def load_dataset(files: list[Path]) -> Dataset:
    """Any RDF files as one dataset; TriG and N-Quads keep their graph names, the triples of
    other files go to the default graph. All files parse or nothing is returned."""
    dataset = Dataset()
    staged: list[Graph] = []
    for path in files:
        fmt = format_for(path)
        if fmt in QUAD_FORMATS:
            quads = Dataset()
            try:
                quads.parse(path, format=fmt)
            except Exception as exc:
                raise DataParseError(path, _line_of(exc), _reason(exc)) from exc
            staged.append(quads)
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
