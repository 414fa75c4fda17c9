"""The data commands of the `smpkg` command line (build, validate, query, stats, export, format,
publish) and what every command shares: errors are one line on stderr and a non-zero exit (2
when nothing was done: a setting or the cache directory cannot work; 1 otherwise), never a
traceback; long steps report progress on stderr so stdout stays clean for data. `smpkg serve`
belongs to the service: api.cli adds it (through `extra`) and is the entry point of the whole
command line, so that this package never imports `api`."""

from __future__ import annotations

import argparse
import errno
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings
from .errors import ConfigurationError, SmpkgError, ValidationFailed

if TYPE_CHECKING:
    from .build import KnowledgeGraph

# The commands import what they use (rdflib, the build, pySHACL) themselves: `smpkg --help` or
# one command pays for no other's, and api.cli's `serve` starts its query workers' fork server
# before any of it is imported.

# Adds one command to the sub-parsers of `parser` (as `_build_parser` does): how a layer above
# this package (api.cli) extends the command line.
AddCommand = Callable[[Any], None]

SAMPLE_QUERY = """\
PREFIX smp: <https://w3id.org/smpkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?origin (COUNT(DISTINCT ?initiative) AS ?initiatives)
WHERE {
  ?initiative smp:originCountry ?country .
  ?country rdfs:label ?origin .
}
GROUP BY ?origin
ORDER BY DESC(?initiatives) ?origin
LIMIT 10
"""


def progress(message: str) -> None:
    print(f"smpkg: {message}", file=sys.stderr, flush=True)


def settings_from(args) -> Settings:
    overrides = {}
    if getattr(args, "engine", None):
        overrides["engine"] = args.engine
    if getattr(args, "root", None):
        overrides["root"] = Path(args.root).resolve()
    return Settings.from_env(**overrides)


def _built(settings: Settings, force: bool = False) -> KnowledgeGraph:
    from .build import build

    check_cache(settings, force)
    return build(settings, progress=progress, force=force)


# What the cache directory is probed with: a page, so that a full filesystem refuses it.
_PROBE_BYTES = 4096


def _cache_problem(path: Path) -> str | None:
    """Why a build cannot be written under `path` (read-only, forbidden, not a directory,
    full), or None: a file is made there and removed, as the build would."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".probe-", dir=path)
        try:
            os.write(handle, b"\0" * _PROBE_BYTES)
        finally:
            os.close(handle)
            os.unlink(probe)
    except OSError as exc:
        return _os_error(exc)
    return None


def check_cache(settings: Settings, force: bool = False) -> None:
    """Before any work: the cache directory must take a new build, unless the build of these
    inputs is already there to be read (a read-only cache of a finished build is fine)."""
    problem = _cache_problem(settings.cache_path)
    if problem is None:
        return
    if not force:
        from .build import cache_key, input_files

        key = cache_key(settings, input_files(settings))
        try:
            if (settings.cache_path / key[:16] / "build.json").is_file():
                return
        except OSError:  # a forbidden directory: nothing there can be read either
            pass
    raise ConfigurationError(
        f"the cache directory {settings.cache_path} cannot take a build: {problem} "
        "(set SMPKG_CACHE_DIR to a writable directory)"
    )


def _os_error(exc: OSError) -> str:
    """An OSError as one line: what could not be done to which file, and why."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.ENOTDIR and exc.filename:
        reason = f"{reason} (a file stands where a directory is needed)"
    return f"{exc.filename}: {reason}" if exc.filename else reason


def cmd_build(args) -> int:
    from .build import open_engine
    from .formats import table
    from .serving import prepare_store

    settings = settings_from(args)
    kg = _built(settings, force=args.force)
    prepare_store(kg, settings, progress)  # the on-disk store the service opens
    report = kg.report.as_dict()
    print(f"build {kg.version} ({'from cache' if kg.from_cache else 'cold'}, {kg.seconds:.2f} s)")
    for step, seconds in kg.timings.items():
        print(f"  {step:<16} {seconds:8.3f} s")
    print(f"asserted triples (ontology + data): {report['asserted']}")
    print(f"closure before the noise rule:      {report['closure']}")
    print(f"inferred triples kept:              {report['inferred']}")
    for kind, count in report["kept"].items():
        print(f"  kept    {kind:<16} {count}")
    for clause, count in report["dropped"].items():
        print(f"  dropped {clause:<16} {count}")
    if kg.warnings:
        print(f"validation warnings: {kg.warnings} (see `smpkg validate`)")
    if args.sample:
        engine = open_engine(kg, settings.engine)
        print()
        print("Sample query: initiatives by origin country")
        print(table(engine.execute(SAMPLE_QUERY)))
    return 0


def cmd_validate(args) -> int:
    from .build import input_files
    from .load import load_turtle
    from .validate import load_checks, load_shapes, validate

    settings = settings_from(args)
    files = input_files(settings)
    ontology = load_turtle(files["ontology"], settings.root)
    data = load_turtle(files["data"], settings.root)
    report = validate(
        data,
        ontology.graph,
        load_shapes(settings.shapes_dir),
        load_checks(settings.checks_dir),
        validator=settings.validator,
    )
    shown = report.findings if args.warnings else report.violations
    for finding in shown:
        print(finding.line())
    print(
        f"{report.violation_count} violation(s), {len(report.warnings)} warning(s) in "
        f"{len(files['data'])} data files",
        file=sys.stderr,
    )
    return 1 if report.violation_count else 0


def _read_query(text_or_path: str) -> str:
    if text_or_path == "-":
        return sys.stdin.read()
    if text_or_path.endswith(".rq"):
        path = Path(text_or_path)
        if not path.is_file():
            raise SmpkgError(f"no such query file: {text_or_path}")
        return path.read_text(encoding="utf-8")
    return text_or_path


def cmd_query(args) -> int:
    from .build import open_engine
    from .formats import BY_KEY, RESULT_FORMATS, serialize_answer, table
    from .namespaces import sparql_prologue
    from .queries import load_query_file
    from .rdflib_engine import RdflibEngine

    settings = settings_from(args)
    kg = _built(settings)
    text = _read_query(args.query)
    if args.prefixes:
        text = sparql_prologue() + text
    bindings = {}
    if args.param:
        if not args.query.endswith(".rq"):
            raise SmpkgError("--param needs a named query (.rq file) that declares parameters")
        named = load_query_file(Path(args.query))
        values = dict(p.split("=", 1) for p in args.param)
        bindings = named.bindings(values)
    if args.asserted_only:
        engine = (
            RdflibEngine(kg.dataset(include_inferred=False))
            if settings.engine == "rdflib"
            else _asserted_oxigraph(kg)
        )
    else:
        engine = open_engine(kg, settings.engine)
    answer = engine.execute(text, bindings=bindings)
    if args.format == "table":
        print(table(answer))
        return 0
    fmt = BY_KEY[args.format]  # one of the parser's choices
    if answer.is_graph and fmt in RESULT_FORMATS:
        fmt = BY_KEY["turtle"]
    sys.stdout.buffer.write(serialize_answer(answer, fmt))
    return 0


def _asserted_oxigraph(kg: KnowledgeGraph):
    from .oxigraph_engine import OxigraphEngine

    return OxigraphEngine.from_dataset(kg.dataset(include_inferred=False))


def cmd_stats(args) -> int:
    from collections import Counter

    from rdflib.namespace import RDF

    settings = settings_from(args)
    kg = _built(settings)
    print(f"graph version {kg.version}")
    for name in ("ontology", "asserted", "inferred"):
        print(f"  {name:<10} {len(getattr(kg, name)):>7} triples")
    asserted = Counter(o for o in kg.asserted.objects(None, RDF.type))
    inferred = Counter(o for o in kg.inferred.objects(None, RDF.type))
    print()
    print(f"{'class':<56} {'asserted':>9} {'inferred':>9} {'total':>7}")
    for cls in sorted(
        set(asserted) | set(inferred), key=lambda c: (-(asserted[c] + inferred[c]), str(c))
    ):
        name = kg.asserted.namespace_manager.normalizeUri(str(cls))
        print(
            f"{name:<56} {asserted[cls]:>9} {inferred[cls]:>9} {asserted[cls] + inferred[cls]:>7}"
        )
    return 0


def cmd_export(args) -> int:
    from .export import export_bytes

    settings = settings_from(args)
    kg = _built(settings)
    if args.release:
        return _release(kg, settings, Path(args.release))
    data = export_bytes(kg, args.format, args.part, args.asserted_only)
    if args.output and args.output != "-":
        Path(args.output).write_bytes(data)
        progress(f"wrote {len(data)} bytes to {args.output}")
    else:
        sys.stdout.buffer.write(data)
    return 0


def _release(kg: KnowledgeGraph, settings: Settings, root: Path) -> int:
    from .release import write_release

    public = settings.public_url.rstrip("/") + "/sparql" if settings.public_url else None
    release = write_release(kg, root, settings.base_iri, progress=progress, endpoint=public)
    log = release.changelog["summary"]
    print(
        f"release {release.version} in {release.directory}: {len(release.manifest['files'])} files"
    )
    since = f"since {release.previous}" if release.previous else "(the first release)"
    print(
        f"changes {since}: {log['added']} entities added, {log['changed']} changed, "
        f"{log['removed']} removed"
    )
    return 0


def cmd_format(args) -> int:
    from .canonical import canonical_turtle
    from .load import turtle_files

    settings = settings_from(args)
    files = [Path(p) for p in args.files] or (
        sorted(settings.ontology_dir.glob("*.ttl"))
        + turtle_files(settings.shapes_dir)
        + turtle_files(settings.data_dir)
    )
    changed = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        formatted = canonical_turtle(path)
        if formatted != text:
            changed.append(path)
            if not args.check:
                path.write_text(formatted, encoding="utf-8")
    for path in changed:
        print(f"{'would reformat' if args.check else 'reformatted'} {path}")
    return 1 if (args.check and changed) else 0


def cmd_publish(args) -> int:
    from .publish import password_from_env, publish
    from .remote_store import redacted

    settings = settings_from(args)
    kg = _built(settings)
    result = publish(
        kg,
        args.to,
        query_url=args.query_url,
        media=args.format,
        user=args.user,
        password=password_from_env(),
        auth_scheme=args.auth,
        timeout=args.timeout,
        verify=not args.no_verify,
        progress=progress,
    )
    for graph, count in result.graphs.items():
        there = "" if result.remote is None else f", {result.remote.get(graph, 0)} in the store"
        print(f"<{graph}>: {count} triples{there}")
    print(
        f"published build {kg.version} to {redacted(args.to)} in {result.seconds:.2f} s"
        + ("" if result.remote is not None else " (not checked: no query endpoint known)")
    )
    if result.query_url:
        print(f"serve it with: SMPKG_STORE_URL={redacted(result.query_url)} smpkg serve")
    return 0


def parser(extra: Sequence[AddCommand] = ()) -> argparse.ArgumentParser:
    """The data commands, then those `extra` adds."""
    top = argparse.ArgumentParser(
        prog="smpkg", description="The knowledge graph of skills mobility partnerships."
    )
    top.add_argument("--root", help="project directory holding ontology/ and data/")
    top.add_argument(
        "--engine",
        choices=["oxigraph", "rdflib"],
        help="query engine (default: SMPKG_ENGINE or oxigraph)",
    )
    sub = top.add_subparsers(dest="command", required=True)
    _build_parser(sub)
    _validate_parser(sub)
    _query_parser(sub)
    _stats_parser(sub)
    _export_parser(sub)
    _format_parser(sub)
    _publish_parser(sub)
    for add in extra:
        add(sub)
    return top


def _build_parser(sub) -> None:
    p = sub.add_parser("build", help="parse, validate, reason, cache and report")
    p.add_argument("--force", action="store_true", help="ignore the cache")
    p.add_argument("--sample", action="store_true", help="answer a sample query afterwards")
    p.set_defaults(func=cmd_build)


def _validate_parser(sub) -> None:
    p = sub.add_parser("validate", help="SHACL shapes and data-quality checks")
    p.add_argument("--warnings", action="store_true", help="list warnings too")
    p.set_defaults(func=cmd_validate)


def _query_parser(sub) -> None:
    p = sub.add_parser("query", help="run a SPARQL query (text, .rq file or - for stdin)")
    p.add_argument("query")
    p.add_argument(
        "--format",
        default="table",
        choices=["table", "csv", "tsv", "json", "xml", "turtle", "ntriples"],
    )
    p.add_argument("--asserted-only", action="store_true", help="leave inferences out")
    p.add_argument("--prefixes", action="store_true", help="prepend the project's PREFIXes")
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="a named-query parameter (repeatable)",
    )
    p.set_defaults(func=cmd_query)


def _stats_parser(sub) -> None:
    p = sub.add_parser("stats", help="counts per class and per graph, asserted vs inferred")
    p.set_defaults(func=cmd_stats)


def _export_parser(sub) -> None:
    p = sub.add_parser("export", help="write the graph as RDF")
    p.add_argument(
        "--format", default="trig", help="turtle, ntriples, nquads, trig, jsonld or rdfxml"
    )
    p.add_argument("--part", default="full", choices=["full", "ontology", "asserted", "inferred"])
    p.add_argument("--asserted-only", action="store_true", help="full dataset without inferences")
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    p.add_argument(
        "--release",
        metavar="DIR",
        help="write a release to DIR/<version>/: every part in every format, plain "
        "and gzip, manifest with SHA-256, VoID, changelog since the last one",
    )
    p.set_defaults(func=cmd_export)


def _format_parser(sub) -> None:
    p = sub.add_parser("format", help="rewrite Turtle files in the canonical sorted form")
    p.add_argument("files", nargs="*")
    p.add_argument("--check", action="store_true", help="only report files that would change")
    p.set_defaults(func=cmd_format)


def _publish_parser(sub) -> None:
    p = sub.add_parser("publish", help="upload the built dataset to an external SPARQL store")
    p.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the store's Graph Store Protocol endpoint (Oxigraph: .../store)",
    )
    p.add_argument(
        "--query-url",
        metavar="URL",
        help="the store's query endpoint, to check the upload (derived from --to "
        "for Oxigraph, Fuseki, Virtuoso and GraphDB)",
    )
    p.add_argument(
        "--format",
        default="ntriples",
        choices=["ntriples", "turtle"],
        help="media type of the uploads (the same N-Triples bytes either way)",
    )
    p.add_argument("--user", help="account on the store (password from SMPKG_STORE_PASSWORD)")
    p.add_argument(
        "--auth",
        default="basic",
        choices=["basic", "digest"],
        help="HTTP authentication of --user (Virtuoso's -auth endpoint: digest)",
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per upload")
    p.add_argument(
        "--no-verify", action="store_true", help="do not read the triple counts back from the store"
    )
    p.set_defaults(func=cmd_publish)


def main(argv: list[str] | None = None, extra: Sequence[AddCommand] = ()) -> int:
    """Runs one command (of `parser(extra)`) and returns its exit status."""
    args = parser(extra).parse_args(argv)
    try:
        return args.func(args)
    except ValidationFailed as exc:
        for finding in exc.report.violations:
            print(finding.line(), file=sys.stderr)
        print(f"smpkg: error: {exc}", file=sys.stderr)
        return 1
    except ConfigurationError as exc:
        # Nothing was done: a setting, an argument or the cache directory cannot work.
        print(f"smpkg: error: {exc}", file=sys.stderr)
        return 2
    except SmpkgError as exc:
        print(f"smpkg: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # A disk that fills, a directory that turns read-only or forbidden mid-way.
        print(f"smpkg: error: cannot go on: {_os_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
