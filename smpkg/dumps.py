"""The dump files of a build, written by streaming: the build's N-Triples files are sorted by
`sort(1)` (an external merge sort: memory stays flat whatever the size) and re-serialised by
pyoxigraph's streaming writers, so a million-triple build is dumped without ever holding its
graphs in memory, and the service then sends the files as they are.

Per part (a named graph, or `full`, all three): N-Triples (the union of the part's graphs,
sorted, each triple once), N-Quads (every statement with its graph, sorted), and from those
two, Turtle and RDF/XML (the union) and TriG and JSON-LD (graph names kept). Every file is
also written gzip-compressed, with no name and no time in the member header, so that the same
content always has the same checksum."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox

from .formats import BY_KEY, Format
from .namespaces import PREFIXES

FORMAT_KEYS = ("turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml")
FORMATS: list[Format] = [BY_KEY[k] for k in FORMAT_KEYS]
NAMED_GRAPH_FORMATS = {"nquads", "trig", "jsonld"}  # keep graph names in the dumps
OX_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
PREFIX = "smpkg"
# Level 6 is zlib's default: about three times faster than 9 for a few per cent of size,
# which counts at a million triples (a build writes every part in every format).
GZIP_LEVEL = 6
_BLOCK = 1 << 20


def dump_name(part: str, fmt: Format, compressed: bool = False) -> str:
    return f"{PREFIX}-{part}.{fmt.extension}" + (".gz" if compressed else "")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def _sorted_lines(lines: Iterable[bytes], target: Path, unique: bool) -> int:
    """`lines` (in blocks of whole lines) sorted bytewise into `target` by sort(1); the
    number of lines written."""
    env = {**os.environ, "LC_ALL": "C"}
    tmp_dir = str(target.parent)
    command = ["sort", "-T", tmp_dir, "-o", str(target)] + (["-u"] if unique else [])
    with subprocess.Popen(command, stdin=subprocess.PIPE, env=env) as sorter:
        assert sorter.stdin is not None
        for block in lines:
            sorter.stdin.write(block)
        sorter.stdin.close()
        if sorter.wait() != 0:
            raise OSError(f"sort failed with status {sorter.returncode} writing {target}")
    with target.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(_BLOCK), b""))


def _statements(files: Mapping[Path, str], quads: bool) -> Iterable[bytes]:
    """The build's N-Triples files in blocks of whole lines, as N-Quads lines in their graph
    when asked. The build writes every line as `s p o .` and a newline, and N-Triples escapes
    a newline inside a literal, so ` .` and a newline end a line and occur nowhere else: a
    block is rewritten at once, not line by line."""
    for path, graph in files.items():
        suffix = f" <{graph}> .\n".encode()
        with path.open("rb") as handle:
            rest = b""
            for block in iter(lambda: handle.read(_BLOCK), b""):
                block = rest + block
                cut = block.rfind(b"\n") + 1
                block, rest = block[:cut], block[cut:]
                if block:
                    yield block.replace(b" .\n", suffix) if quads else block
        if rest.strip():  # a last line without its newline
            block = rest.rstrip() + b"\n"
            yield block.replace(b" .\n", suffix) if quads else block


def _reserialise(source: Path, source_format, target: Path, fmt: Format) -> None:
    prefixes = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
    # An N-Triples source parses into the default graph, which a triple format writes as is.
    parsed = ox.parse(path=str(source), format=source_format)
    ox.serialize(parsed, str(target), OX_FORMATS[fmt.key], prefixes=prefixes)


def write_part(
    part: str, files: Mapping[Path, str], directory: Path, on_file: Callable[[Format, int], None]
) -> int:
    """Every format of one part into `directory`; `on_file(format, statements)` after each
    plain file. Returns how many distinct triples the part holds."""
    nt_path = directory / dump_name(part, BY_KEY["ntriples"])
    nq_path = directory / dump_name(part, BY_KEY["nquads"])
    triples = _sorted_lines(_statements(files, quads=False), nt_path, unique=True)
    quads = _sorted_lines(_statements(files, quads=True), nq_path, unique=True)
    for fmt in FORMATS:
        if fmt.key in OX_FORMATS:
            named = fmt.key in NAMED_GRAPH_FORMATS
            source = nq_path if named else nt_path
            source_format = ox.RdfFormat.N_QUADS if named else ox.RdfFormat.N_TRIPLES
            _reserialise(source, source_format, directory / dump_name(part, fmt), fmt)
        on_file(fmt, quads if fmt.key in NAMED_GRAPH_FORMATS else triples)
    return triples


def compress(directory: Path, part: str, fmt: Format) -> None:
    """The gzip member of one dump file, beside it."""
    source = directory / dump_name(part, fmt)
    target = directory / dump_name(part, fmt, compressed=True)
    with (
        source.open("rb") as plain,
        target.open("wb") as raw,
        gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0
        ) as packed,
    ):
        shutil.copyfileobj(plain, packed, _BLOCK)
