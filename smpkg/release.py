"""Releases: dumps of the dataset in every common RDF format, plain and gzip-compressed, a
manifest listing each file's size, statement count and SHA-256, and a changelog of the entities
added, changed and removed since the previous release.

Four parts are dumped: the ontology, the asserted data and the inferred data (one named graph
each) and the full dataset (the three named graphs). Quad formats (TriG, N-Quads) and JSON-LD
keep the graph names, so a consumer can still tell asserted from inferred statements; the
triple formats (Turtle, N-Triples, RDF/XML) of the full dataset hold the union of the graphs.
N-Triples and N-Quads lines are sorted; gzip members carry no name and no time, so that the
same content always has the same checksum.

The build writes the dumps of a dataset version into its cache directory (`smpkg.products`,
streamed by `smpkg.dumps`; `ensure_dumps` writes them for a build that lacks them), and the
service serves the files from there; `smpkg export --release DIR` copies them to
`DIR/<version>/` with the release's VoID description and its changelog against the newest
earlier release found in DIR (`write_release`). The version is the ontology's owl:versionInfo
and the build's version (a hash of every input), e.g. `0.1.0+f8c03faf91a3`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDFS

from .atomic import staged_directory
from .describe import compact
from .dumps import FORMATS, NAMED_GRAPH_FORMATS, compress, dump_name, sha256_file, write_part
from .formats import BY_KEY, Format
from .parts import PART_GRAPHS, PARTS, ontology_version
from .void import void_graph

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
CHANGELOG_JSON = "changelog.json"
CHANGELOG_MD = "CHANGELOG.md"
VOID_FILE = "void.ttl"
GZIP_MEDIA = "application/gzip"

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def release_version(kg) -> str:
    """The ontology's owl:versionInfo and the build version: `0.1.0+f8c03faf91a3`."""
    base = ontology_version(kg)
    return f"{base}+{kg.version}" if base else kg.version


def built_at(kg) -> str:
    """When the build was made (build.json), as an xsd:dateTime lexical form."""
    try:
        meta = json.loads((kg.directory / "build.json").read_text())
        return meta.get("built") or ""
    except (OSError, ValueError):
        return ""


# --------------------------------------------------------------------------- dumps


def _entry(name: str, data: bytes, **fields) -> dict:
    return {"name": name, **fields, "bytes": len(data), "sha256": sha256(data)}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_entry(directory: Path, name: str, **fields) -> dict:
    path = directory / name
    return {"name": name, **fields, "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def write_dumps(kg, directory: Path, progress: Progress = _quiet) -> dict:
    """Write every dump and the manifest into `directory` (created; must not exist), streamed
    from the build's N-Triples files (`smpkg.dumps`)."""
    directory.mkdir(parents=True)
    files: list[dict] = []
    triples = {}
    for part in PARTS:
        names = list(PART_GRAPHS) if part == "full" else [part]
        sources = {kg.path(name): str(PART_GRAPHS[name]) for name in names}

        def listed(fmt: Format, count: int, part: str = part) -> None:
            graphs = (
                "named"
                if fmt.key in NAMED_GRAPH_FORMATS
                else "union"
                if part == "full"
                else "single"
            )
            common = {
                "part": part,
                "format": fmt.key,
                "media_type": fmt.media_type,
                "triples": count,
                "graphs": graphs,
            }
            plain = _file_entry(directory, dump_name(part, fmt), **common, compression=None)
            compress(directory, part, fmt)
            packed = _file_entry(
                directory,
                dump_name(part, fmt, compressed=True),
                **common,
                compression="gzip",
                uncompressed_sha256=plain["sha256"],
            )
            files.extend((plain, packed))

        triples[part] = write_part(part, sources, directory, listed)
        progress(f"dumped {part} ({triples[part]} triples) in {len(FORMATS)} formats")
    order = {(f.key, c): i for i, f in enumerate(FORMATS) for c in (0, 1)}
    files.sort(
        key=lambda f: (list(PARTS).index(f["part"]), order[(f["format"], bool(f["compression"]))])
    )
    manifest = {
        "version": release_version(kg),
        "build": kg.version,
        "ontology_version": ontology_version(kg),
        "built": built_at(kg),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "graphs": {name: str(iri) for name, iri in PART_GRAPHS.items()},
        "parts": PARTS,
        "triples": triples,
        "files": files,
    }
    _write_manifest(directory, manifest)
    return manifest


def _write_manifest(directory: Path, manifest: dict) -> None:
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    lines = [f"{f['sha256']}  {f['name']}\n" for f in manifest["files"]]
    lines.append(f"{sha256_file(directory / MANIFEST)}  {MANIFEST}\n")
    (directory / CHECKSUMS).write_text("".join(lines), encoding="utf-8")


def read_manifest(directory: Path) -> dict | None:
    try:
        return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


_lock = threading.Lock()


# Bumped whenever the dumps' content or layout changes, so that a build's cached dumps
# written by older code are not served.
DUMPS_LAYOUT = 2


def dumps_directory(kg) -> Path:
    return kg.directory / f"dumps-{DUMPS_LAYOUT}"


def ensure_dumps(kg, progress: Progress = _quiet) -> tuple[Path, dict]:
    """The dumps of this build, written once into the build's cache directory (atomically: a
    temporary directory renamed into place) and reused by every later call and process."""
    target = dumps_directory(kg)
    manifest = read_manifest(target)
    if manifest is not None:
        return target, manifest
    with _lock:
        manifest = read_manifest(target)
        if manifest is not None:
            return target, manifest
        try:
            tmp = Path(tempfile.mkdtemp(prefix=".release-", dir=kg.directory))
        except OSError:  # a read-only cache: dump next to it in the temporary directory
            target = Path(tempfile.gettempdir()) / f"smpkg-dumps-{DUMPS_LAYOUT}-{kg.version}"
            manifest = read_manifest(target)
            if manifest is not None:
                return target, manifest
            tmp = Path(tempfile.mkdtemp(prefix=".release-"))
        try:
            shutil.rmtree(tmp)
            manifest = write_dumps(kg, tmp, progress)
            try:
                os.replace(tmp, target)
            except OSError:  # another process got there first: use its dumps
                found = read_manifest(target)
                if found is None:
                    raise
                manifest = found
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return target, manifest


def verify(directory: Path) -> list[str]:
    """The files of a release directory whose SHA-256 is not the one SHA256SUMS lists."""
    wrong = []
    for line in (directory / CHECKSUMS).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        path = directory / name
        if not path.is_file() or sha256_file(path) != digest:
            wrong.append(name)
    return wrong


# --------------------------------------------------------------------------- changelog


def load_graphs(directory: Path) -> dict[str, Graph]:
    """The named graphs of a release, read back from its N-Quads dump of the full dataset."""
    ds = Dataset()
    fmt = BY_KEY["nquads"]
    plain, packed = directory / dump_name("full", fmt), directory / dump_name("full", fmt, True)
    if plain.is_file():
        ds.parse(plain, format="nquads")
    else:
        ds.parse(data=gzip.decompress(packed.read_bytes()), format="nquads")
    return {name: ds.graph(iri) for name, iri in PART_GRAPHS.items()}


def _canonical(graph: Graph, node, seen: frozenset = frozenset()) -> str:
    """A term as text, a blank node as the sorted text of what it says (bnode labels differ
    from one parse to the next; the content does not)."""
    if not isinstance(node, BNode):
        return node.n3()
    if node in seen:
        return "[...]"
    inner = sorted(
        f"{p.n3()} {_canonical(graph, o, seen | {node})}" for p, o in graph.predicate_objects(node)
    )
    return "[" + " ; ".join(inner) + "]"


def entity_statements(graphs: dict[str, Graph]) -> tuple[dict[str, set], dict[str, str]]:
    """For each IRI subject, its statements as text (graph, predicate, object), blank nodes
    written out in full; blank nodes no IRI points to (general axioms) count as entities of
    their own, named by their content. Also a label for each entity."""
    statements: dict[str, set] = defaultdict(set)
    labels: dict[str, str] = {}
    for name, graph in graphs.items():
        pointed_to = {o for o in graph.objects() if isinstance(o, BNode)}
        for s, p, o in graph:
            if isinstance(s, URIRef):
                statements[str(s)].add((name, str(p), _canonical(graph, o)))
                if (
                    p == RDFS.label
                    and isinstance(o, Literal)
                    and (o.language in (None, "en") or str(s) not in labels)
                ):
                    labels[str(s)] = str(o)
            elif isinstance(s, BNode) and s not in pointed_to:
                key = "_:" + sha256(_canonical(graph, s).encode())[:16]
                statements[key].add((name, "", _canonical(graph, s)))
    return statements, labels


def changelog(
    old: dict[str, Graph] | None, new: dict[str, Graph], *, version: str, previous: str | None
) -> dict:
    """The entities added, changed and removed between two releases (computed, never
    written by hand). A changed entity lists its added and removed statements, each with its
    graph; `inferred_only` marks an entity whose curated statements did not change."""
    new_statements, new_labels = entity_statements(new)
    old_statements, old_labels = entity_statements(old) if old is not None else ({}, {})

    def statement(item) -> dict:
        graph, predicate, obj = item
        return {"graph": graph, "predicate": predicate, "object": obj}

    def entity(iri: str, labels: dict) -> dict:
        return {"iri": iri, "label": labels.get(iri, "")}

    added = sorted(set(new_statements) - set(old_statements))
    removed = sorted(set(old_statements) - set(new_statements))
    changed = []
    for iri in sorted(set(new_statements) & set(old_statements)):
        plus = new_statements[iri] - old_statements[iri]
        minus = old_statements[iri] - new_statements[iri]
        if plus or minus:
            changed.append(
                {
                    **entity(iri, new_labels),
                    "inferred_only": all(s[0] == "inferred" for s in plus | minus),
                    "added": [statement(s) for s in sorted(plus)],
                    "removed": [statement(s) for s in sorted(minus)],
                }
            )
    return {
        "version": version,
        "previous": previous,
        "summary": {
            "added": len(added),
            "changed": len(changed),
            "removed": len(removed),
            "statements_added": sum(len(c["added"]) for c in changed)
            + sum(len(new_statements[i]) for i in added),
            "statements_removed": sum(len(c["removed"]) for c in changed)
            + sum(len(old_statements[i]) for i in removed),
        },
        "added": [entity(i, new_labels) for i in added],
        "changed": changed,
        "removed": [entity(i, old_labels) for i in removed],
    }


def _short(text: str) -> str:
    if text.startswith("<") and text.endswith(">"):
        return compact(text[1:-1])
    return compact(text) if "://" in text and " " not in text else text


def changelog_markdown(log: dict) -> str:
    s = log["summary"]
    since = f"since {log['previous']}" if log["previous"] else "(first release)"
    out = [
        f"# smpkg {log['version']}",
        "",
        f"Changes {since}: {s['added']} entities added, {s['changed']} changed, "
        f"{s['removed']} removed ({s['statements_added']} statements added, "
        f"{s['statements_removed']} removed).",
        "",
    ]

    def name(item) -> str:
        iri = item["iri"]
        shown = f"`{_short(iri)}`" if not iri.startswith("_:") else "an anonymous axiom"
        return f"{shown} {item['label']}".rstrip()

    for title, key in (("Added", "added"), ("Removed", "removed")):
        if log[key]:
            out += [f"## {title}", ""] + [f"- {name(e)}" for e in log[key]] + [""]
    if log["changed"]:
        out += ["## Changed", ""]
        for entry in log["changed"]:
            note = " (inferred statements only)" if entry["inferred_only"] else ""
            out.append(f"- {name(entry)}{note}")
            for sign, key in (("+", "added"), ("-", "removed")):
                for st in entry[key]:
                    predicate = _short(st["predicate"]) if st["predicate"] else ""
                    out.append(
                        f"  - {sign} {st['graph']}: {predicate} {_short(st['object'])}".replace(
                            ":  ", ": "
                        )
                    )
        out.append("")
    return "\n".join(out)


def releases(root: Path) -> list[tuple[str, dict, Path]]:
    """The releases under `root` (DIR/<version>/manifest.json), oldest first."""
    found = []
    if root.is_dir():
        for child in root.iterdir():
            manifest = read_manifest(child) if child.is_dir() else None
            if manifest is not None and "version" in manifest:
                found.append((manifest["version"], manifest, child))
    found.sort(key=lambda r: (r[1].get("created", ""), r[0]))
    return found


@dataclass
class Release:
    directory: Path
    version: str
    previous: str | None
    manifest: dict
    changelog: dict


def write_release(
    kg, root: Path, base_iri: str, progress: Progress = _quiet, endpoint: str | None = None
) -> Release:
    """`smpkg export --release ROOT`: ROOT/<version>/ with every dump, the manifest and
    SHA256SUMS, the release's VoID description, and the changelog against the newest earlier
    release in ROOT. Writing the same version again replaces it."""

    version = release_version(kg)
    source, manifest = ensure_dumps(kg, progress)
    earlier = [r for r in releases(root) if r[0] != version]
    previous = earlier[-1] if earlier else None
    target = root / version
    with staged_directory(target, ".release-") as tmp:
        for entry in manifest["files"]:
            shutil.copyfile(source / entry["name"], tmp / entry["name"])
        old = load_graphs(previous[2]) if previous else None
        new = {name: getattr(kg, name) for name in PART_GRAPHS}
        log = changelog(old, new, version=version, previous=previous[0] if previous else None)
        files = list(manifest["files"])
        extra = {
            CHANGELOG_JSON: (json.dumps(log, indent=2, ensure_ascii=False) + "\n").encode(),
            CHANGELOG_MD: changelog_markdown(log).encode(),
        }
        release_manifest = {
            **manifest,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "previous": previous[0] if previous else None,
        }
        void = void_graph(
            kg,
            release_manifest,
            base_iri=base_iri,
            endpoint=endpoint,
            download_base=f"{base_iri}download/{version}/",
            versioned=True,
            previous=previous[0] if previous else None,
        )
        extra[VOID_FILE] = void.serialize(format="turtle", encoding="utf-8")
        for name, data in extra.items():
            (tmp / name).write_bytes(data)
            media = {"json": "application/json", "md": "text/markdown", "ttl": "text/turtle"}[
                name.rsplit(".", 1)[1]
            ]
            files.append(
                _entry(
                    name,
                    data,
                    part=None,
                    format=None,
                    media_type=media,
                    triples=None,
                    graphs=None,
                    compression=None,
                )
            )
        release_manifest["files"] = files
        _write_manifest(tmp, release_manifest)
    progress(
        f"release {version} in {target}"
        + (f", changes since {previous[0]}" if previous else ", the first release")
    )
    return Release(target, version, previous[0] if previous else None, release_manifest, log)
