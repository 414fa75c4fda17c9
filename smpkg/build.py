"""The build: parse, validate, reason, cache. An unchanged input is never reasoned twice.

The cache lives in `settings.cache_path/<key>/`, where the key hashes every ontology, data,
shape and check file, the versions of rdflib and owlrl, and the noise rule. A build writes to a
temporary directory and renames it into place, so a cache entry is whole or absent.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any, NamedTuple

from rdflib import Dataset, Graph
from rdflib.util import from_n3

from .atomic import staged_directory
from .config import Settings
from .errors import ValidationFailed
from .load import Terms, bulk_work, fingerprint, load_dataset, load_turtle, turtle_files
from .namespaces import GRAPH_FILES, bind_all, graph_file
from .oxigraph_engine import OxigraphEngine, load_build
from .products import PRODUCTS_VERSION, write_products
from .rdflib_engine import RdflibEngine
from .reason import RULE_VERSION, ReasoningReport, reason, reason_text
from .rules import Derivation, Unsupported

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class KnowledgeGraph:
    """A built graph: three named graphs on disk, parsed on demand."""

    directory: Path
    version: str
    report: ReasoningReport
    warnings: int = 0
    from_cache: bool = False
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)
    cpu_timings: dict = field(default_factory=dict)

    def path(self, name: str) -> Path:
        return graph_file(self.directory, name)

    def _parse(self, name: str) -> Graph:
        graph = bind_all(Graph(identifier=GRAPH_FILES[name]))
        graph.parse(self.path(name), format="nt")
        return graph

    @cached_property
    def ontology(self) -> Graph:
        return self._parse("ontology")

    @cached_property
    def asserted(self) -> Graph:
        return self._parse("asserted")

    @cached_property
    def inferred(self) -> Graph:
        return self._parse("inferred")

    @cached_property
    def derivations(self) -> dict:
        """For each inferred triple the rules derived: how (empty when owlrl reasoned)."""
        path = self.directory / "derivations.json"
        return read_derivations(path) if path.exists() else {}

    def explain(self, triple) -> Derivation | None:
        """Why an inferred triple holds: the rule, the axioms and the premises; None for an
        asserted triple, or for one owlrl derived while closing the ontology."""
        return self.derivations.get(triple)

    def dataset(self, include_inferred: bool = True) -> Dataset:
        """The named graphs as one rdflib Dataset whose default graph is their union."""
        ds = bind_all(Dataset(default_union=True))
        names = ["ontology", "asserted"] + (["inferred"] if include_inferred else [])
        for name in names:
            target = ds.graph(GRAPH_FILES[name])
            for triple in getattr(self, name):
                target.add(triple)
        return ds

    def summary(self) -> dict:
        return {
            "version": self.version,
            "from_cache": self.from_cache,
            "seconds": round(self.seconds, 3),
            "timings": self.timings,
            "reasoning": self.report.as_dict(),
            "warnings": self.warnings,
        }


def input_files(settings: Settings) -> dict[str, list[Path]]:
    return {
        "ontology": sorted(p for p in settings.ontology_dir.glob("*.ttl")),
        "data": turtle_files(settings.data_dir),
        "shapes": turtle_files(settings.shapes_dir),
        "checks": sorted(settings.checks_dir.glob("*.rq")),
    }


def cache_key(settings: Settings, files: dict[str, list[Path]]) -> str:
    everything = [p for group in files.values() for p in group]
    return fingerprint(
        everything,
        settings.root,
        f"rdflib {dist_version('rdflib')}",
        f"owlrl {dist_version('owlrl')}",
        f"pyoxigraph {dist_version('pyoxigraph')}",
        RULE_VERSION,
        PRODUCTS_VERSION,
        f"reasoner {settings.reasoner}",
    )


def _cached(directory: Path, key: str, progress: Progress, start: float) -> KnowledgeGraph:
    meta = json.loads((directory / "build.json").read_text())
    progress(f"cached build {key[:12]} found in {directory}")
    return KnowledgeGraph(
        directory,
        meta["version"],
        ReasoningReport.from_dict(meta["reasoning"]),
        warnings=meta.get("warnings", 0),
        from_cache=True,
        seconds=time.perf_counter() - start,
        timings=meta.get("timings", {}),
        cpu_timings=meta.get("cpu_timings", {}),
    )


def cpu_seconds() -> float:
    """CPU time of this process and of its children waited for (sort(1) in the dumps)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class _Steps:
    """Runs the steps of a build and keeps how long each took: wall time, and CPU time (the
    measure that stays meaningful on a loaded machine)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def __call__(self, name: str, fn: Callable[[], Any]) -> Any:
        t0, c0 = time.perf_counter(), cpu_seconds()
        result = fn()
        self.timings[name] = round(time.perf_counter() - t0, 3)
        self.cpu[name] = round(cpu_seconds() - c0, 3)
        return result


def _validated(settings: Settings, files: dict, step: _Steps, progress: Progress):
    """The parsed ontology and data, and the validation report (raises when it fails)."""
    # The validators are imported only for a build that validates, not to open a cached one
    # (measured: 21 ms, 4 % of the 0.5 s start-up of `smpkg serve` from the cache).
    from .validate import load_checks, load_shapes, validate  # noqa: PLC0415

    progress(f"parsing {len(files['ontology'])} ontology and {len(files['data'])} data files")
    ontology = step("parse ontology", lambda: load_turtle(files["ontology"], settings.root))
    data = step("parse data", lambda: load_turtle(files["data"], settings.root))
    progress(
        f"validating {len(data.triples)} asserted triples against "
        f"{len(files['shapes'])} shape files and {len(files['checks'])} checks"
    )
    report = step(
        "validate",
        lambda: validate(
            data,
            ontology.graph,
            load_shapes(settings.shapes_dir),
            load_checks(settings.checks_dir),
            validator=settings.validator,
        ),
    )
    if not report.conforms:
        raise ValidationFailed(report)
    return ontology, data, report


class _Reasoned(NamedTuple):
    inferred: list  # text triples
    graph: Graph | None  # owlrl's result, when owlrl reasoned
    report: ReasoningReport
    derivations: dict


def _reasoned(settings: Settings, ontology, data, step: _Steps, progress: Progress) -> _Reasoned:
    if settings.reasoner == "rules":
        progress("reasoning (OWL 2 RL: owlrl on the ontology, compiled rules on the data)")
        try:
            done = step(
                "reason", lambda: reason_text(ontology.triples, data.triples, ontology.graph)
            )
            return _Reasoned(done.inferred, None, done.report, done.derivations)
        except Unsupported as exc:
            progress(f"the compiled reasoner does not cover {exc}; reasoning with owlrl")
    else:
        progress("reasoning (owlrl, OWL 2 RL)")
    graph, report = step("reason", lambda: reason(ontology.graph + data.graph))
    return _Reasoned(Terms().to_text(graph), graph, report, {})


def build(settings: Settings, progress: Progress = _quiet, force: bool = False) -> KnowledgeGraph:
    """Parse, validate, reason, write the graphs and their linked-data products
    (`smpkg.products`) into the cache; or load the cached result of the same inputs."""
    start = time.perf_counter()
    files = input_files(settings)
    key = cache_key(settings, files)
    directory = settings.cache_path / key[:16]
    if not force and (directory / "build.json").exists():
        return _cached(directory, key, progress, start)
    step = _Steps()
    ontology, data, report = _validated(settings, files, step, progress)
    done = _reasoned(settings, ontology, data, step, progress)
    progress(f"kept {done.report.inferred} inferred triples of a closure of {done.report.closure}")
    triples = {"ontology": ontology.triples, "asserted": data.triples, "inferred": done.inferred}
    meta = {
        "key": key,
        "version": key[:12],
        "reasoning": done.report.as_dict(),
        "warnings": len(report.warnings),
        "timings": step.timings,
        "cpu_timings": step.cpu,
        "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with bulk_work(), staged_directory(directory, ".build-") as tmp:
        for name, found in triples.items():
            write_ntriples(graph_file(tmp, name), found)
        (tmp / "build.json").write_text(json.dumps(meta, indent=2))
        write_text_derivations(tmp / "derivations.json", done.derivations)
        staged = KnowledgeGraph(tmp, key[:12], done.report)
        graphs = {name: str(iri) for name, iri in GRAPH_FILES.items()}
        progress("writing the on-disk store, the statistics, the explanations and the dumps")
        write_products(staged, graphs, triples, done.derivations, progress, step, settings.base_iri)
        (tmp / "build.json").write_text(json.dumps(meta, indent=2))
    kg = KnowledgeGraph(
        directory,
        key[:12],
        done.report,
        warnings=len(report.warnings),
        seconds=time.perf_counter() - start,
        timings=step.timings,
        cpu_timings=step.cpu,
    )
    # Graphs already made (for validation, for owlrl) are handed on; the others are parsed
    # from the files if they are ever asked for.
    for name, graph in (
        ("ontology", ontology.made_graph()),
        ("asserted", data.made_graph()),
        ("inferred", done.graph),
    ):
        if graph is not None:
            kg.__dict__[name] = graph
    return kg


def write_ntriples(path: Path, triples) -> None:
    """Text triples (`load.nt`) as an N-Triples file."""
    with open(path, "w", encoding="utf-8") as out:
        out.writelines(f"{s} {p} {o} .\n" for s, p, o in triples)


def write_text_derivations(path: Path, derivations: dict) -> None:
    """The text derivations of `reason.reason_text` as JSON, one row a derived triple, terms
    in N-Triples form; `read_derivations` reads them back as rdflib `Derivation`s."""
    rows = []
    for triple in sorted(derivations):
        rule, axioms, premises = derivations[triple]
        rows.append({"triple": triple, "rule": rule, "axioms": axioms, "premises": premises})
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(rows, ensure_ascii=False))


def read_derivations(path: Path) -> dict:
    def triple(terms):
        return tuple(from_n3(t) for t in terms)

    out = {}
    for row in json.loads(path.read_text()):
        out[triple(row["triple"])] = Derivation(
            row["rule"],
            tuple(triple(a) for a in row["axioms"]),
            tuple(triple(p) for p in row["premises"]),
        )
    return out


def open_engine(kg: KnowledgeGraph, kind: str):
    """A query engine over a built graph: the three named graphs, default graph their union."""
    if kind == "rdflib":
        return RdflibEngine(kg.dataset())
    return load_build(kg.directory)


def open_dataset_engine(files: list[Path], kind: str):
    """A query engine over arbitrary RDF files (`smpkg serve --dataset`)."""
    dataset = load_dataset(files)
    return RdflibEngine(dataset) if kind == "rdflib" else OxigraphEngine.from_dataset(dataset)
