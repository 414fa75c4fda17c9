"""RDF documents as bytes, written the way the service writes them: compact JSON-LD by rdflib
with the project's prefixes as its context, every other format by pyoxigraph (several times
faster than rdflib's writers on a resource page or a VoID document) with the same prefixes.
The build writes its VoID documents with it (`smpkg.void_product`), and the service writes
what it renders per request with it, so both come out alike."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from rdflib import Dataset
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from .formats import Format
from .namespaces import PREFIXES, bind_all
from .oxigraph_engine import to_ox

OX_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}
OX_PREFIXES = {prefix: str(ns) for prefix, ns in PREFIXES.items()}


def jsonld_bytes(graph) -> bytes:
    """Compact JSON-LD with the project's prefixes as its context."""
    return graph.serialize(
        format="json-ld", context=OX_PREFIXES, auto_compact=True, encoding="utf-8"
    )


def _ox_statements(graph) -> list:
    if not isinstance(graph, Dataset):
        return [ox.Triple(*(to_ox(t) for t in triple)) for triple in graph]
    out = []
    quad: Any
    for quad in graph.quads((None, None, None, None)):
        name = getattr(quad[3], "identifier", quad[3])
        where = ox.DefaultGraph() if name == DATASET_DEFAULT_GRAPH_ID else to_ox(name)
        out.append(ox.Quad(to_ox(quad[0]), to_ox(quad[1]), to_ox(quad[2]), where))
    return out


def rdf_bytes(graph, fmt: Format) -> bytes:
    """A graph (a Dataset for TriG and N-Quads) in `fmt`: compact JSON-LD by rdflib, the
    others by pyoxigraph, with the project's prefixes."""
    if fmt.key == "jsonld":
        return jsonld_bytes(graph)
    if fmt.key in OX_FORMATS:
        out = ox.serialize(_ox_statements(graph), format=OX_FORMATS[fmt.key], prefixes=OX_PREFIXES)
        return out or b""
    return bind_all(graph).serialize(format=fmt.rdflib_name or fmt.key, encoding="utf-8")
