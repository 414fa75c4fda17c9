"""SHACL Core shapes compiled to SPARQL and run on a pyoxigraph store: the results and the
store's loading. The shapes graph is read by smpkg.shacl_shapes, rendered by smpkg.shacl_sparql.

pySHACL walks the data graph in Python, one focus node and one value node at a time, which
grows to minutes at a million triples. Here every (shape, constraint) becomes a SPARQL SELECT
that returns only the failing focus and value nodes, so the engine does the scanning.

The compiler covers the part of SHACL Core that `ontology/shapes/` uses (see
smpkg.shacl_shapes.SUPPORTED) and raises `Unsupported` for anything else it finds in the
shapes graph, so that the caller falls back to pySHACL rather than skip a constraint. Semantics follow the SHACL recommendation as
pySHACL implements it for our call (`ont_graph` beside the data, no inference):

- focus nodes of sh:targetClass and values of sh:class are SHACL instances, i.e. reached by
  rdf:type/rdfs:subClassOf* in the data graph (data and ontology together);
- sh:severity and sh:message belong to the shape that holds the constraint, never inherited
  from a parent shape; a deactivated shape reports nothing, and as a nested shape conforms;
- a node conforms to a nested shape (in sh:or, sh:qualifiedValueShape) when that shape would
  report nothing for it.

One deliberate difference: pySHACL copies only the RDFS/OWL axioms of the ontology into the
data graph, while the store here holds the whole ontology (the checks need it), so ontology
terms can become focus nodes too; on a well-formed ontology both report the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import overload

import pyoxigraph as ox
from rdflib import Graph

from .load import parse_file
from .shacl_shapes import SEVERITIES, Shape, Unsupported, compile_shapes
from .shacl_sparql import plan, select

__all__ = [
    "SEVERITIES",
    "Result",
    "Shape",
    "Unsupported",
    "compile_shapes",
    "load_files",
    "load_graph",
    "plan",
    "run",
    "select",
    "term_text",
]


@dataclass
class Result:
    """One validation result, in the terms of a pySHACL report."""

    shape: Shape
    component: str
    focus: ox.NamedNode | ox.BlankNode | ox.Literal
    value: ox.NamedNode | ox.BlankNode | ox.Literal | None = None

    @property
    def message(self) -> str:
        return "; ".join(sorted(self.shape.messages)) or GENERIC_MESSAGES.get(
            self.component, "constraint not met"
        )


GENERIC_MESSAGES = {
    "class": "value is not an instance of the required class",
    "datatype": "value is not a well-formed literal of the required datatype",
    "nodeKind": "value is not of the required node kind",
    "pattern": "value does not match the pattern",
    "in": "value is not one of the allowed values",
    "languageIn": "value's language tag is not one of the allowed ones",
    "minInclusive": "value is below the minimum",
    "minLength": "value is shorter than the minimum length",
    "or": "value conforms to none of the alternative shapes",
    "hasValue": "the required value is missing",
    "minCount": "too few values",
    "maxCount": "too many values",
    "uniqueLang": "more than one value with the same language tag",
    "qualifiedValueShape": "too few values conform to the qualified value shape",
}


def run(store: ox.Store, shapes: list[Shape]) -> list[Result]:
    """Every validation result of the shapes on the store's default graph."""
    results: list[Result] = []
    for owner, text, components in plan(store, shapes):
        try:
            rows = select(store, text)
        except SyntaxError as exc:
            raise Unsupported(
                f"the query compiled for {owner.node} does not parse: {exc}\n{text}"
            ) from exc
        names = {v.value for v in rows.variables}
        for row in rows:
            focus = row["focus"]
            if "ok0" not in names:
                results.append(Result(owner, components[0], focus))
                continue
            for i, component in enumerate(components):
                ok = row[f"ok{i}"]
                if ok is None or ok.value != "true":
                    results.append(Result(owner, component, focus, row["value"]))
    return results


RDF_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".n3": ox.RdfFormat.N3,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}


def load_graph(store: ox.Store, graph: Graph) -> None:
    """Add an rdflib graph to the store's default graph (through N-Triples: one call)."""
    store.load(
        graph.serialize(format="nt", encoding="utf-8"),
        ox.RdfFormat.N_TRIPLES,
        to_graph=ox.DefaultGraph(),
    )


def load_files(store: ox.Store, files: list[Path]) -> None:
    """Parse the files straight into the store's default graph; a file pyoxigraph cannot
    read (a format it lacks, or syntax only rdflib accepts) goes through rdflib instead."""
    for path in files:
        fmt = RDF_FORMATS.get(path.suffix.lower())
        if fmt is not None:
            try:
                store.load(
                    path=path,
                    format=fmt,
                    base_iri=path.resolve().as_uri(),
                    to_graph=ox.DefaultGraph(),
                )
                continue
            except SyntaxError:
                pass
        load_graph(store, parse_file(path))


OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal


@overload
def term_text(term: OxTerm) -> str: ...
@overload
def term_text(term: OxTerm | None) -> str | None: ...
def term_text(term: OxTerm | None) -> str | None:
    """A term as `str()` of the rdflib term gives it: the IRI, the lexical form, the label."""
    return None if term is None else term.value
