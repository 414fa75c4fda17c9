"""Validation of the asserted data: SHACL shapes (pySHACL) and data-quality SPARQL checks.

Both run on the asserted graph with the ontology beside it, never on the inferred graph: a
curator must fix what they wrote, not what the reasoner derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from .load import Sources, load_turtle, turtle_files
from .queries import NamedQuery, load_query_file

SEVERITY = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


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
        return f"{self.severity}: {self.focus}{detail}: {self.message}{value} ({where}; {self.source})"


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
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none",
        advanced=True, allow_warnings=True,
    )
    findings = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        shape = report.value(result, SH.sourceShape)
        label = shapes.value(shape, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))
        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        findings.append(Finding(
            severity=SEVERITY.get(report.value(result, SH.resultSeverity), "violation"),
            focus=str(report.value(result, SH.focusNode)),
            message="; ".join(messages) or "constraint not met",
            source=f"shape {label or shape}",
            path=str(path) if isinstance(path, URIRef) else None,
            value=str(value) if value is not None else None,
        ))
    return findings


def run_checks(graph: Graph, checks: list[NamedQuery]) -> list[Finding]:
    findings = []
    for check in checks:
        for row in graph.query(check.text):
            focus = row.get("focus") if hasattr(row, "get") else row[0]
            message = row.get("message") if hasattr(row, "get") else None
            findings.append(Finding(
                severity="violation",
                focus=str(focus),
                message=str(message) if isinstance(message, Literal) else check.summary,
                source=f"check {check.name}",
            ))
    return findings


def validate(data: Sources, ontology: Graph, shapes: Graph, checks: list[NamedQuery]) -> ValidationReport:
    findings = run_shacl(data.graph, ontology, shapes)
    union = Graph()
    for triple in ontology:
        union.add(triple)
    for triple in data.graph:
        union.add(triple)
    findings += run_checks(union, checks)
    for finding in findings:
        finding.files = data.files_of(URIRef(finding.focus))
    findings.sort(key=lambda f: (f.severity != "violation", f.focus, f.message))
    return ValidationReport(findings)
