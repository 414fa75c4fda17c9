"""The service's VoID documents as a build product: `void-documents.json` in the build's
directory (smpkg.products), the description of the dataset as `/.well-known/void` serves it,
in each RDF format, written once by the build instead of at every start of the service.

The documents name the service at `PLACEHOLDER`, since the build does not know where it will
be served: the service puts in its own URL (`SMPKG_PUBLIC_URL`, or each request's origin), as
it does for every document it keeps. They also name the dataset under a base IRI, which is a
setting of the service and not part of the build's inputs: the product records the base it
was written for, and a service configured with another one renders its own.

Rendering them took about 0.3 s of CPU at each start-up (parsing the ontology with rdflib,
building the description, writing four formats, JSON-LD the slowest); reading this file
takes about a millisecond. A file of another format, for another base, or none, is stale:
the caller renders the documents itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from rdflib import Graph

from .formats import BY_KEY
from .product_file import StaleProduct, read_product
from .rdf_writer import rdf_bytes
from .void import void_graph

VOID_FILE = "void-documents.json"
# Changed whenever what the documents hold changes: an older file is stale (and
# products.PRODUCTS_VERSION with it, so that cached builds write the new one).
FORMAT = "void documents 1"
# The RDF formats VoID is offered in (the service adds HTML, which it renders per request).
VOID_KEYS = ("turtle", "jsonld", "rdfxml", "ntriples")
# The stand-in for the service's own URL in a document it keeps (an .invalid name never
# resolves, RFC 2606).
PLACEHOLDER = "http://smpkg-service.invalid"


def service_void_graph(kg, manifest: dict, *, base_iri: str, site: str) -> Graph:
    """The VoID description of the dataset as the service at `site` serves it: its SPARQL
    endpoint, its dumps and its landing page under that URL."""
    return void_graph(
        kg,
        manifest,
        base_iri=base_iri,
        endpoint=f"{site}/sparql",
        download_base=f"{site}/download/",
        landing_page=f"{site}/",
    )


def render_void(kg, manifest: dict, *, base_iri: str, site: str) -> dict[str, bytes]:
    """The service's VoID document in every RDF format (format key -> bytes)."""
    graph = service_void_graph(kg, manifest, base_iri=base_iri, site=site)
    return {key: rdf_bytes(graph, BY_KEY[key]) for key in VOID_KEYS}


def write_void(directory: Path, kg, manifest: dict, base_iri: str) -> None:
    """Render the documents, naming the service `PLACEHOLDER`, into the build `directory`."""
    documents = render_void(kg, manifest, base_iri=base_iri, site=PLACEHOLDER)
    stored = {
        "format": FORMAT,
        "base_iri": base_iri,
        "site": PLACEHOLDER,
        "documents": {key: body.decode("utf-8") for key, body in documents.items()},
    }
    with open(Path(directory) / VOID_FILE, "w", encoding="utf-8") as f:
        json.dump(stored, f, ensure_ascii=False)


def load_void(directory: Path, base_iri: str) -> dict[str, bytes]:
    """The documents stored in the build `directory` for a service whose base IRI is
    `base_iri`, naming it `PLACEHOLDER`; StaleProduct when there are none fit for it."""
    stored = read_product(Path(directory) / VOID_FILE, FORMAT)
    if stored.get("base_iri") != base_iri or stored.get("site") != PLACEHOLDER:
        raise StaleProduct(f"{VOID_FILE} was written for the base IRI {stored.get('base_iri')!r}")
    documents = stored.get("documents")
    if not isinstance(documents, dict) or set(documents) != set(VOID_KEYS):
        raise StaleProduct(f"{VOID_FILE} does not hold a document in every format")
    return {key: documents[key].encode("utf-8") for key in VOID_KEYS}
