"""The dataset description: VoID and DCAT, with every count computed from the graphs.

The dataset is `{base}dataset`; each release of it is `{base}dataset/{version}`. The service
describes the current data (`/.well-known/void`, `/dataset`): the dataset node carries the
counts, the SPARQL endpoint, the dumps (as void:dataDump and as dcat:Distribution with media
type, size and SHA-256), the class and property partitions, the three named graphs as subsets
and one linkset per authority and link predicate (the EU country table, ISCO-08 as ESCO
publishes it, NACE Rev. 2, Wikidata, the UN SDGs). A release (`smpkg export --release`)
describes its version node instead, with its previous version.

The counts are those the service reports for its default graph (the union of the named
graphs): void:triples distinct triples, void:entities distinct IRI subjects, void:classes
distinct objects of rdf:type, void:properties distinct predicates; in a class partition
void:entities is the number of distinct subjects typed with the class.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, VOID, XSD

from .cache import ResultCache
from .namespaces import GRAPH, ID, bind_all
from .parts import PARTS, ontology_version
from .statistics import Counts, Statistics, statistics_from_json

# DCAT 3 (rdflib's DCAT namespace object predates dcat:version and the versioning terms).
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
IANA = "https://www.iana.org/assignments/media-types/"
LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
TITLE = "Skills mobility partnerships knowledge graph (smpkg)"
DESCRIPTION = (
    "An open knowledge graph of skills mobility partnerships, talent partnerships and global "
    "skill partnerships as policy reports describe them: programmes, the countries and actors "
    "involved by role, sectors, occupations, funding, frameworks and the source document and "
    "section behind every fact, with an OWL 2 RL ontology and the inferences of an OWL 2 RL "
    "reasoner kept apart from the curated statements."
)
KEYWORDS = (
    "skills mobility partnership",
    "talent partnership",
    "global skill partnership",
    "labour migration",
    "linked data",
)
# Written by `smpkg.products` at build time (named here: products imports this module).
STATISTICS_FILE = "linked-data.json"
FORMAT_IRIS = {
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "nquads": "N-Quads",
    "trig": "TriG",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF_XML",
}


@dataclass(frozen=True)
class Authority:
    key: str
    title: str
    uri_space: str
    homepage: str | None = None


# The authorities the curated data links to (docs/modelling.md section 2).
AUTHORITIES = (
    Authority(
        "eu-country",
        "EU Publications Office authority table of countries",
        "http://publications.europa.eu/resource/authority/country/",
        "https://op.europa.eu/en/web/eu-vocabularies",
    ),
    Authority(
        "isco",
        "ISCO-08 occupation groups as published by ESCO",
        "http://data.europa.eu/esco/isco/",
        "https://esco.ec.europa.eu/",
    ),
    Authority(
        "nace",
        "NACE Rev. 2 statistical classification of economic activities",
        "http://data.europa.eu/ux2/nace2/",
        "https://op.europa.eu/en/web/eu-vocabularies",
    ),
    Authority(
        "wikidata", "Wikidata", "http://www.wikidata.org/entity/", "https://www.wikidata.org/"
    ),
    Authority("sdg", "United Nations Sustainable Development Goals", "http://metadata.un.org/sdg/"),
)


# The resources VoID names as examples, when the data holds them.
EXAMPLES = tuple(str(ID[e]) for e in ("programme/mentor-ii", "programme/thamm", "country/MAR"))

_statistics = ResultCache(max_entries=4, size=lambda _: 0)  # a few builds (reloads)


def statistics(kg) -> Statistics:
    """Counts of a build, as its products hold them (`products.STATISTICS_FILE`, written at
    build time by `statistics.store_statistics`), read once per build directory and kept for
    the last few builds."""
    key = str(kg.directory)
    found = _statistics.get(key)
    if found is None:
        found = statistics_from_json(json.loads((kg.directory / STATISTICS_FILE).read_text()))
        _statistics.put(key, found)
    return found


def _add_counts(g: Graph, node, counts: Counts) -> None:
    for prop, value in (
        ("triples", counts.triples),
        ("entities", counts.entities),
        ("classes", counts.classes),
        ("properties", counts.properties),
        ("distinctSubjects", counts.distinct_subjects),
        ("distinctObjects", counts.distinct_objects),
    ):
        g.add((node, VOID[prop], Literal(value)))


def _distribution(g: Graph, dataset, url: str, entry: dict) -> None:
    dist = URIRef(url)
    g.add((dataset, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCAT.downloadURL, dist))
    g.add((dist, DCAT.accessURL, dist))
    g.add(
        (
            dist,
            DCTERMS.title,
            Literal(
                f"{entry['part']} ({entry['format']}{', gzip' if entry['compression'] else ''})"
            ),
        )
    )
    g.add((dist, DCAT.mediaType, URIRef(IANA + entry["media_type"])))
    g.add((dist, DCTERMS["format"], FORMATS_NS[FORMAT_IRIS[entry["format"]]]))
    if entry["compression"] == "gzip":
        g.add((dist, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
    g.add((dist, DCAT.byteSize, Literal(entry["bytes"], datatype=XSD.nonNegativeInteger)))
    checksum = BNode()
    g.add((dist, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(entry["sha256"], datatype=XSD.hexBinary)))
    g.add((dist, DCTERMS.license, LICENCE))
    g.add((dist, VOID.triples, Literal(entry["triples"])))


def void_graph(
    kg,
    manifest: dict,
    *,
    base_iri: str,
    endpoint: str | None,
    download_base: str,
    versioned: bool = False,
    previous: str | None = None,
    landing_page: str | None = None,
) -> Graph:
    """The VoID + DCAT description of a build. `download_base` is the URL the manifest's
    files are under; `versioned` describes the release `{base}dataset/{version}` rather than
    the dataset as served now."""

    stats = statistics(kg)
    version = manifest["version"]
    g = bind_all(Graph())
    for prefix, ns in (("sd", SD), ("spdx", SPDX), ("formats", FORMATS_NS)):
        g.bind(prefix, ns)
    dataset = URIRef(base_iri + "dataset")
    release = URIRef(f"{base_iri}dataset/{version}")
    node = release if versioned else dataset

    for kind in (VOID.Dataset, DCAT.Dataset):
        g.add((node, RDF.type, kind))
    _about(g, node, kg, manifest, versioned)
    _versions(g, node, dataset, release, version, versioned, previous, base_iri)
    _identity(g, node, kg, stats, landing_page)
    if endpoint:
        _service(g, node, endpoint)
    _add_counts(g, node, stats.union)
    _dumps(g, node, manifest, download_base)
    _subsets_and_partitions(g, node, stats)
    _linksets(g, node, stats)
    return g


def _about(g: Graph, node: URIRef, kg, manifest: dict, versioned: bool) -> None:
    """Title, description, licence, publisher, dates and version of the dataset."""
    version = manifest["version"]
    g.add(
        (
            node,
            DCTERMS.title,
            Literal(TITLE + (f", release {version}" if versioned else ""), lang="en"),
        )
    )
    g.add((node, DCTERMS.description, Literal(DESCRIPTION, lang="en")))
    g.add((node, DCTERMS.license, LICENCE))
    publisher = BNode()
    g.add((node, DCTERMS.publisher, publisher))
    g.add((node, DCTERMS.creator, publisher))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal("smpkg project")))
    issued = None
    for subject in kg.ontology.subjects(RDF.type, OWL.Ontology):
        issued = kg.ontology.value(subject, DCTERMS.issued) or issued
        g.add((node, DCTERMS.conformsTo, subject))
    if versioned:
        g.add((node, DCTERMS.issued, Literal(manifest["created"], datatype=XSD.dateTime)))
    elif issued is not None:
        g.add((node, DCTERMS.issued, issued))
    if manifest.get("built"):
        g.add((node, DCTERMS.modified, Literal(manifest["built"], datatype=XSD.dateTime)))
    g.add((node, DCAT.version, Literal(version)))
    g.add((node, OWL.versionInfo, Literal(version)))
    if ontology_version(kg):
        g.add(
            (
                node,
                RDFS.comment,
                Literal(
                    f"Ontology version {ontology_version(kg)}, build {manifest['build']}.",
                    lang="en",
                ),
            )
        )


def _versions(
    g: Graph,
    node: URIRef,
    dataset: URIRef,
    release: URIRef,
    version: str,
    versioned: bool,
    previous: str | None,
    base_iri: str,
) -> None:
    """How the dataset and its releases point at each other."""
    if versioned:
        g.add((node, DCAT.isVersionOf, dataset))
        g.add((dataset, DCAT.hasVersion, node))
        if previous:
            g.add((node, DCAT.previousVersion, URIRef(f"{base_iri}dataset/{previous}")))
    else:
        g.add((node, DCAT.hasCurrentVersion, release))
        g.add((node, DCAT.hasVersion, release))
        g.add((release, DCAT.isVersionOf, node))
        g.add((release, DCAT.version, Literal(version)))


def _identity(g: Graph, node: URIRef, kg, stats: Statistics, landing_page: str | None) -> None:
    """Keywords, landing page, sources, URI space, example resources, vocabularies."""
    for word in KEYWORDS:
        g.add((node, DCAT.keyword, Literal(word, lang="en")))
    if landing_page:
        g.add((node, DCAT.landingPage, URIRef(landing_page)))
        g.add((node, FOAF.homepage, URIRef(landing_page)))
    for source in stats.sources:
        g.add((node, DCTERMS.source, source))
    g.add((node, VOID.uriSpace, Literal(str(ID))))
    for example in stats.examples:
        g.add((node, VOID.exampleResource, example))
    for vocabulary in stats.vocabularies:
        g.add((node, VOID.vocabulary, URIRef(vocabulary)))


def _service(g: Graph, node: URIRef, endpoint: str) -> None:
    """The SPARQL endpoint, as a VoID endpoint and a DCAT data service."""
    g.add((node, VOID.sparqlEndpoint, URIRef(endpoint)))
    service = URIRef(endpoint)
    g.add((node, DCAT.accessService, service))
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, RDF.type, SD.Service))
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCAT.servesDataset, node))
    g.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))


def _dumps(g: Graph, node: URIRef, manifest: dict, download_base: str) -> None:
    """A data dump and a DCAT distribution per file of the manifest."""
    files = manifest["files"]
    for entry in files:
        if entry.get("part") is None:
            continue
        url = download_base + entry["name"]
        target = node if entry["part"] == "full" else GRAPH[entry["part"]]
        g.add((target, VOID.dataDump, URIRef(url)))
        _distribution(g, target, url, entry)
        if entry["compression"] is None:
            g.add((target, VOID.feature, FORMATS_NS[FORMAT_IRIS[entry["format"]]]))


def _subsets_and_partitions(g: Graph, node: URIRef, stats: Statistics) -> None:
    """A subset per named graph, a partition per class and per property."""
    for name, counts in stats.graphs.items():
        subset = GRAPH[name]
        g.add((node, VOID.subset, subset))
        for kind in (VOID.Dataset, DCAT.Dataset):
            g.add((subset, RDF.type, kind))
        g.add((subset, DCTERMS.title, Literal(f"smpkg {name} graph", lang="en")))
        g.add((subset, DCTERMS.description, Literal(PARTS[name], lang="en")))
        g.add((subset, DCTERMS.license, LICENCE))
        g.add((subset, SD.name, subset))
        _add_counts(g, subset, counts)

    for klass, count in sorted(stats.class_instances.items(), key=lambda i: str(i[0])):
        if isinstance(klass, BNode):
            continue
        partition = BNode()
        g.add((node, VOID.classPartition, partition))
        g.add((partition, VOID["class"], klass))
        g.add((partition, VOID.entities, Literal(count)))
    for prop, count in sorted(stats.property_triples.items(), key=lambda i: str(i[0])):
        partition = BNode()
        g.add((node, VOID.propertyPartition, partition))
        g.add((partition, VOID.property, prop))
        g.add((partition, VOID.triples, Literal(count)))


def _linksets(g: Graph, node: URIRef, stats: Statistics) -> None:
    """A linkset per authority and link predicate, with its target dataset."""
    targets = {}
    for authority in AUTHORITIES:
        if not any(key == authority.key for key, _ in stats.links):
            continue
        target = targets[authority.key] = BNode()
        g.add((target, RDF.type, VOID.Dataset))
        g.add((target, DCTERMS.title, Literal(authority.title, lang="en")))
        g.add((target, VOID.uriSpace, Literal(authority.uri_space)))
        if authority.homepage:
            g.add((target, FOAF.homepage, URIRef(authority.homepage)))
    links = sorted(stats.links.items(), key=lambda item: (item[0][0], str(item[0][1])))
    for (key, predicate), count in links:
        local = str(predicate).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        linkset = URIRef(f"{node}#links-{key}-{local}")
        g.add((node, VOID.subset, linkset))
        g.add((linkset, RDF.type, VOID.Linkset))
        g.add((linkset, VOID.linkPredicate, predicate))
        g.add((linkset, VOID.subjectsTarget, node))
        g.add((linkset, VOID.objectsTarget, targets[key]))
        g.add((linkset, VOID.triples, Literal(count)))
        g.add(
            (
                linkset,
                DCTERMS.title,
                Literal(f"Links to the {_title(key)} by {_local(predicate)}", lang="en"),
            )
        )


def _title(key: str) -> str:
    return next(a.title for a in AUTHORITIES if a.key == key)


def _local(predicate) -> str:
    text = str(predicate)
    if text.startswith(str(SKOS)):
        return "skos:" + text[len(str(SKOS)) :]
    return text
