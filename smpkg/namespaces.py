"""The IRI scheme in code: every namespace the project mints or reuses.

`docs/modelling.md` explains the scheme; this module is what the code and the canonical
Turtle formatter bind, so the two cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox
from rdflib import Graph, Namespace
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SH,
    SKOS,
    TIME,
    VOID,
    XSD,
)

from .config import DEFAULT_BASE


def is_iri(text: str) -> bool:
    """Whether `text` is an absolute IRI by RFC 3987 (pyoxigraph's check, the engine's own)."""
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


# bind_all hands back the graph it was given, a Dataset as a Dataset.
AnyGraph = TypeVar("AnyGraph", bound=Graph)

SMP = Namespace(DEFAULT_BASE + "ontology#")
ONTOLOGY_IRI = DEFAULT_BASE + "ontology"
ID = Namespace(DEFAULT_BASE + "id/")
GRAPH = Namespace(DEFAULT_BASE + "graph/")
SHAPES = Namespace(DEFAULT_BASE + "shapes#")

ONTOLOGY_GRAPH = GRAPH["ontology"]
ASSERTED_GRAPH = GRAPH["asserted"]
INFERRED_GRAPH = GRAPH["inferred"]
# A build's named graphs, each in the N-Triples file `graph_file` names.
GRAPH_FILES = {"ontology": ONTOLOGY_GRAPH, "asserted": ASSERTED_GRAPH, "inferred": INFERRED_GRAPH}


def graph_file(directory: Path, name: str) -> Path:
    """Where a build in `directory` keeps the named graph `name` of `GRAPH_FILES`."""
    return directory / f"{name}.nt"


SCHEMA = Namespace("https://schema.org/")
CPOV = Namespace("http://data.europa.eu/m8g/")
VANN = Namespace("http://purl.org/vocab/vann/")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
WD = Namespace("http://www.wikidata.org/entity/")
ISCO = Namespace("http://data.europa.eu/esco/isco/")
NACE = Namespace("http://data.europa.eu/ux2/nace2/")
SDG = Namespace("http://metadata.un.org/sdg/")

# One folder of the id/ space per kind of thing; see docs/modelling.md section 1.
ID_KINDS = (
    "programme",
    "organisation",
    "country",
    "place",
    "framework",
    "instrument",
    "sector",
    "occupation",
    "source",
    "figure",
    "scheme",
    "component",
    "prerequisite",
    "skill-level",
    "mobility-type",
    "target-group",
    "feature",
    "legal-basis",
    "status",
    "unit",
    "model",
    "passage",
    "group",
    "measure",
)

_ID_PREFIXES = {
    "prog": "programme",
    "agent": "organisation",
    "country": "country",
    "place": "place",
    "fw": "framework",
    "instr": "instrument",
    "sector": "sector",
    "occ": "occupation",
    "src": "source",
    "fig": "figure",
    "scheme": "scheme",
    "component": "component",
    "prereq": "prerequisite",
    "skill": "skill-level",
    "mobility": "mobility-type",
    "target": "target-group",
    "feature": "feature",
    "legal": "legal-basis",
    "status": "status",
    "unit": "unit",
    "model": "model",
    "passage": "passage",
    "group": "group",
    "measure": "measure",
}

PREFIXES: dict[str, Namespace] = {
    "smp": SMP,
    "smpsh": SHAPES,
    **{prefix: Namespace(f"{ID}{kind}/") for prefix, kind in _ID_PREFIXES.items()},
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "owl": Namespace(str(OWL)),
    "xsd": Namespace(str(XSD)),
    "skos": Namespace(str(SKOS)),
    "dcterms": Namespace(str(DCTERMS)),
    "dcat": Namespace(str(DCAT)),
    "void": Namespace(str(VOID)),
    "prov": Namespace(str(PROV)),
    "org": Namespace(str(ORG)),
    "foaf": Namespace(str(FOAF)),
    "sh": Namespace(str(SH)),
    "time": Namespace(str(TIME)),
    "schema": SCHEMA,
    "cpov": CPOV,
    "vann": VANN,
    "eucountry": EU_COUNTRY,
    "wd": WD,
    "isco": ISCO,
    "nace": NACE,
    "sdg": SDG,
}


def bind_all(graph: AnyGraph) -> AnyGraph:
    """Bind the project's prefixes on a graph, replacing rdflib's defaults for the same IRIs."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def sparql_prologue() -> str:
    """PREFIX lines for every project prefix, for queries typed by hand."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
