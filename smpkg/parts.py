"""The parts the dataset is published in (the ontology, the asserted and the inferred
statements, and the whole), the named graph of each, and the ontology's version: what the
release writer, the VoID description and the download pages all name."""

from __future__ import annotations

from rdflib.namespace import OWL, RDF

from .namespaces import GRAPH_FILES

PARTS = {
    "ontology": "The ontology (OWL 2 RL).",
    "asserted": "The curated statements, each traceable to a source document.",
    "inferred": "The statements inferred by OWL 2 RL reasoning, kept apart from the asserted ones.",
    "full": "The whole dataset: the ontology, the asserted and the inferred statements.",
}
# Each part but the whole is one of the build's named graphs, under the same name.
PART_GRAPHS = GRAPH_FILES


def ontology_version(kg) -> str:
    ontology = kg.ontology
    for subject in ontology.subjects(RDF.type, OWL.Ontology):
        value = ontology.value(subject, OWL.versionInfo)
        if value is not None:
            return str(value)
    return ""
