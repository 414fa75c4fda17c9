"""A resource's RDF document read straight from a pyoxigraph store: the statements that
`smpkg.describe` puts in a description (every statement with the resource as subject, the
statements of the blank nodes it points to, in the same graph, and every statement with the
resource as object whose subject is an IRI; named graphs only, as `GRAPH ?g` matches), found
with index look-ups (`quads_for_pattern`) instead of the three description queries, and
written by pyoxigraph.

The RDF documents need neither labels nor explanations, which the description queries spend
most of their time on (two OPTIONALs per row); the HTML page still uses `smpkg.describe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

import pyoxigraph as ox

OWL_DEPRECATED = ox.NamedNode("http://www.w3.org/2002/07/owl#deprecated")
REPLACED_BY = ox.NamedNode("http://purl.org/dc/terms/isReplacedBy")
TRUE = ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))


@dataclass(frozen=True)
class ResourceQuads:
    """The statements of one resource's document, in the named graphs they sit in."""

    iri: ox.NamedNode
    quads: tuple[ox.Quad, ...]
    truncated: bool  # a side had more than `limit` statements: the rest is left out

    def __bool__(self) -> bool:
        return bool(self.quads)

    def replacement(self, base: str) -> str | None:
        """The IRI under `base` that replaces a deprecated resource (`owl:deprecated true`
        and `dcterms:isReplacedBy`), the first in IRI order; None for a current one."""
        mine = [q for q in self.quads if q.subject == self.iri]
        if not any(q.predicate == OWL_DEPRECATED and q.object == TRUE for q in mine):
            return None
        found = sorted(
            q.object.value
            for q in mine
            if q.predicate == REPLACED_BY and isinstance(q.object, ox.NamedNode)
        )
        return next((iri for iri in found if iri.startswith(base)), None)


def _named(quads, limit: int | None) -> list[ox.Quad]:
    """At most `limit` of `quads` that sit in a named graph."""
    return list(islice((q for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)), limit))


def resource_quads(store: ox.Store, iri: str, limit: int | None = None) -> ResourceQuads:
    """The statements of `iri`'s document; at most `limit` with it as subject and as many
    with it as object (`limit` None: all)."""
    node = ox.NamedNode(iri)
    outgoing = _named(store.quads_for_pattern(node, None, None, None), limit)
    incoming = _named(
        (
            q
            for q in store.quads_for_pattern(None, None, node, None)
            if not isinstance(q.subject, ox.BlankNode)
        ),
        limit,
    )
    truncated = limit is not None and limit in (len(outgoing), len(incoming))
    found: dict[ox.Quad, None] = {}
    for quad in outgoing:
        found[quad] = None
        if isinstance(quad.object, ox.BlankNode):
            for detail in store.quads_for_pattern(quad.object, None, None, quad.graph_name):
                found[detail] = None
    for quad in incoming:
        found[quad] = None
    return ResourceQuads(node, tuple(found), truncated)


def document_items(quads: tuple[ox.Quad, ...], with_graphs: bool) -> list:
    """What a writer gets: the triples once each, for a triple format; for a quad format
    (TriG, N-Quads) every triple in the default graph, which is all a client that reads the
    default graph sees (Comunica dereferencing an IRI), and again in its named graph."""
    triples = dict.fromkeys(q.triple for q in quads)
    if not with_graphs:
        return list(triples)
    items: list = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    return items + list(quads)


def document_bytes(
    quads: tuple[ox.Quad, ...], fmt: ox.RdfFormat, prefixes: dict[str, str]
) -> bytes:
    """The document in a pyoxigraph format (Turtle, N-Triples, RDF/XML, TriG, N-Quads)."""
    items = document_items(quads, fmt.supports_datasets)
    return ox.serialize(items, format=fmt, prefixes=prefixes) or b""
