"""Validation of the asserted data: SHACL shapes and data-quality SPARQL checks.

Both run on the asserted graph with the ontology beside it, never on the inferred graph: a
curator must fix what they wrote, not what the reasoner derived from it.

Two validators give the same findings (for a shape without sh:message, each words its own
message). "compiled" (the default) parses the data files into an
in-memory pyoxigraph store and runs the shapes compiled to SPARQL (smpkg.shacl) and the checks
there; "pyshacl", the reference, runs pySHACL and the checks on rdflib graphs. The compiled one
hands a shapes graph it cannot compile to pySHACL, whole.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.query import ResultRow

from . import shacl
from .config import VALIDATORS
from .load import Sources, load_turtle, turtle_files
from .queries import NamedQuery, load_query_file

log = logging.getLogger("smpkg.validate")


@dataclass
class Finding:
    severity: str
    focus: str
    message: str
    source: str  # the shape or check that found it
    path: str | None = None
    value: str | None = None
    files: list[str] = field(default_factory=list)

    def line(self) -> str:
        where = ", ".join(self.files) or "(no source file)"
        detail = f" [{self.path}]" if self.path else ""
        value = f" value={self.value}" if self.value else ""
        return (
            f"{self.severity}: {self.focus}{detail}: {self.message}{value} ({where}; {self.source})"
        )


@dataclass
class ValidationReport:
    findings: list[Finding]

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def violation_count(self) -> int:
        return len(self.violations)

    @property
    def conforms(self) -> bool:
        return not self.violations


def load_shapes(shapes_dir: Path) -> Graph:
    return load_turtle(turtle_files(shapes_dir)).graph


def load_checks(checks_dir: Path) -> list[NamedQuery]:
    return [load_query_file(p) for p in sorted(checks_dir.glob("*.rq"))]


def run_shacl(data: Graph, ontology: Graph, shapes: Graph) -> list[Finding]:
    """The reference: pySHACL on rdflib graphs."""
    # Only the reference validator needs pySHACL, and it is slow to import (measured: 150 ms).
    import pyshacl  # noqa: PLC0415

    _, report, _ = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    findings = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        shape = report.value(result, SH.sourceShape)
        label = shapes.value(shape, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))
        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        findings.append(
            Finding(
                severity=shacl.SEVERITIES.get(report.value(result, SH.resultSeverity), "violation"),
                focus=str(report.value(result, SH.focusNode)),
                message="; ".join(messages) or "constraint not met",
                source=f"shape {label or shape}",
                path=str(path) if isinstance(path, URIRef) else None,
                value=str(value) if value is not None else None,
            )
        )
    return findings


def build_store(data: Sources, ontology: Graph) -> ox.Store:
    """The ontology and the asserted data in the default graph of an in-memory store, the data
    parsed from its files (much faster than copying the rdflib graph triple by triple)."""
    store = ox.Store()
    shacl.load_graph(store, ontology)
    if data.files:
        shacl.load_files(store, list(data.files))
    else:
        # Sources built in memory (synthetic data, tests) have a graph and no files.
        shacl.load_graph(store, data.graph)
    return store


def run_compiled(store: ox.Store, shapes: list[shacl.Shape]) -> list[Finding]:
    """The compiled shapes (smpkg.shacl.compile_shapes) on the store, as findings."""
    return [
        Finding(
            severity=r.shape.severity,
            focus=shacl.term_text(r.focus),
            message=r.message,
            source=f"shape {r.shape.label}",
            path=str(r.shape.result_path) if r.shape.result_path is not None else None,
            value=shacl.term_text(r.value),
        )
        for r in shacl.run(store, shapes)
    ]


def run_checks(
    graph: Graph | ox.Store, checks: list[NamedQuery], timings: dict | None = None
) -> list[Finding]:
    """The checks on an rdflib graph (the reference) or a pyoxigraph store."""
    findings = []
    for check in checks:
        t0 = time.perf_counter()
        for focus, message in _check_rows(graph, check.text):
            findings.append(
                Finding(
                    severity="violation",
                    focus=focus,
                    message=message if message is not None else check.summary,
                    source=f"check {check.name}",
                )
            )
        if timings is not None:
            timings[f"check {check.name}"] = round(time.perf_counter() - t0, 3)
    return findings


def _check_rows(graph: Graph | ox.Store, text: str):
    """(focus, message or None) of each row of a check, as str() of the rdflib terms."""
    if isinstance(graph, ox.Store):
        rows = shacl.select(graph, text)
        names = {v.value for v in rows.variables}
        for row in rows:
            message = row["message"] if "message" in names else None
            focus = row["focus"] if "focus" in names else row[0]
            yield (
                shacl.term_text(focus),
                message.value if isinstance(message, ox.Literal) else None,
            )
        return
    for row in graph.query(text):
        if not isinstance(row, ResultRow):
            raise TypeError(f"a SELECT query was expected, not {text[:80]!r}")
        focus = row.get("focus", row[0])
        message = row.get("message")
        yield str(focus), str(message) if isinstance(message, Literal) else None


def union_graph(ontology: Graph, data: Graph) -> Graph:
    union = Graph()
    for triple in ontology:
        union.add(triple)
    for triple in data:
        union.add(triple)
    return union


def validate(
    data: Sources,
    ontology: Graph,
    shapes: Graph,
    checks: list[NamedQuery],
    validator: str = "compiled",
    timings: dict | None = None,
) -> ValidationReport:
    """Shapes and checks on the asserted data. `validator` is "compiled" or "pyshacl" (the
    build and `smpkg validate` pass Settings.validator). `timings`, when given, receives the
    seconds of each part."""
    if validator not in VALIDATORS:
        raise ValueError(f"validator must be one of {VALIDATORS}, not {validator!r}")
    timings = timings if timings is not None else {}
    if validator == "pyshacl":
        findings = _timed(timings, "pySHACL", lambda: run_shacl(data.graph, ontology, shapes))
        union = _timed(timings, "union graph", lambda: union_graph(ontology, data.graph))
        findings += run_checks(union, checks, timings)
    else:
        store = _timed(timings, "store", lambda: build_store(data, ontology))
        try:
            compiled = _timed(timings, "compile shapes", lambda: shacl.compile_shapes(shapes))
            findings = _timed(timings, "shapes", lambda: run_compiled(store, compiled))
        except shacl.Unsupported as exc:
            log.warning("validating with pySHACL: the shapes compiler does not cover %s", exc)
            findings = _timed(timings, "pySHACL", lambda: run_shacl(data.graph, ontology, shapes))
        findings += run_checks(store, checks, timings)
    for finding in findings:
        finding.files = data.files_of(URIRef(finding.focus))
    findings.sort(key=lambda f: (f.severity != "violation", f.focus, f.message))
    return ValidationReport(findings)


def _timed(timings: dict, name: str, fn):
    t0 = time.perf_counter()
    result = fn()
    timings[name] = round(time.perf_counter() - t0, 3)
    return result
