"""The SPARQL 1.1 Service Description (GET /sparql without a query).

The description is negotiated (Turtle, JSON-LD, RDF/XML, N-Triples; an HTML page with a query
form for browsers) and lists the result formats, the features, the default dataset and the
named graphs with VoID statistics (triples, entities, classes, properties, distinct subjects
and objects), computed once per dataset version by a query worker.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD
from starlette.concurrency import run_in_threadpool

from smpkg.formats import BY_KEY, GRAPH_FORMATS, RESULT_FORMATS, Format, serialize_graph
from smpkg.namespaces import ASSERTED_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH

from ..negotiation import HTML, choose_format
from ..snapshot import Snapshot, localised, rendered_site, site_url
from ..snapshot import current as snapshot_of
from ..templating import render_page

router = APIRouter()

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")

FORMAT_IRIS = {
    "json": FORMATS["SPARQL_Results_JSON"],
    "xml": FORMATS["SPARQL_Results_XML"],
    "csv": FORMATS["SPARQL_Results_CSV"],
    "tsv": FORMATS["SPARQL_Results_TSV"],
    "turtle": FORMATS["Turtle"],
    "ntriples": FORMATS["N-Triples"],
    "nquads": FORMATS["N-Quads"],
    "trig": FORMATS["TriG"],
    "jsonld": FORMATS["JSON-LD"],
    "rdfxml": FORMATS["RDF_XML"],
}
# Turtle first: what `Accept: */*` (curl) gets; HTML only when asked for by name.
DESCRIPTION_FORMATS = [
    BY_KEY["turtle"],
    BY_KEY["jsonld"],
    BY_KEY["rdfxml"],
    BY_KEY["ntriples"],
    HTML,
]
SMP_GRAPHS = {
    str(ONTOLOGY_GRAPH): "The ontology (ontology/*.ttl).",
    str(ASSERTED_GRAPH): "The curated statements (data/**/*.ttl), each traceable to a source.",
    str(INFERRED_GRAPH): "Triples inferred by OWL 2 RL reasoning (owlrl) over the ontology and "
    "the data, kept apart from the asserted ones.",
}
STAT_PROPERTIES = (
    ("triples", "triples"),
    ("entities", "entities"),
    ("classes", "classes"),
    ("properties", "properties"),
    ("distinctSubjects", "distinct_subjects"),
    ("distinctObjects", "distinct_objects"),
)


def endpoint_url(request: Request) -> str:
    """The endpoint's own URL (`snapshot.site_url`)."""
    return site_url(request) + "/sparql"


def dataset_view(state) -> dict:
    """What the description says about the dataset: graphs, counts, limits."""
    info = state.dataset_info
    graphs = []
    names = list(info["graphs"])
    if state.mode == "smp":
        names = list(SMP_GRAPHS) + [g for g in names if g not in SMP_GRAPHS]
    for name in names:
        stats = info["graphs"].get(name) or {k: 0 for _, k in STAT_PROPERTIES}
        graphs.append({"name": name, "stats": stats, "description": SMP_GRAPHS.get(name, "")})
    settings = state.settings
    if state.mode == "smp":
        default_note = (
            "The union of all named graphs: the asserted statements, the ontology "
            "and the inferred triples."
        )
        title = "Skills mobility partnerships knowledge graph (smpkg)"
    else:
        default_note = "The union of all graphs of the served files."
        title = "RDF files served by smpkg: " + ", ".join(p.name for p in state.dataset_files)
    return {
        "title": title,
        "version": state.version,
        "engine": settings.engine,
        "default": info["default"],
        "default_note": default_note,
        "graphs": graphs,
        "timeout": settings.query_timeout,
        "max_rows": settings.max_rows,
        "max_request_bytes": settings.max_request_bytes,
        "isolation": state.executor.isolation,
        "linked_data": state.mode == "smp",  # resource pages, ontology, dumps, VoID
    }


def description_graph(state, endpoint: str) -> Graph:
    view = dataset_view(state)
    g = Graph()
    for prefix, ns in (
        ("sd", SD),
        ("void", VOID),
        ("formats", FORMATS),
        ("ent", ENTAILMENT),
        ("dcterms", DCTERMS),
        ("rdfs", RDFS),
        ("owl", OWL),
        ("xsd", XSD),
    ):
        g.bind(prefix, ns, override=True, replace=True)
    service = URIRef(endpoint)
    dataset = URIRef(endpoint + "#dataset")
    default = URIRef(endpoint + "#default-graph")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for fmt in RESULT_FORMATS + GRAPH_FORMATS:
        g.add((service, SD.resultFormat, FORMAT_IRIS[fmt.key]))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    g.add((service, DCTERMS.title, Literal("smpkg SPARQL 1.1 endpoint")))
    g.add(
        (
            service,
            RDFS.comment,
            Literal(
                "Read-only: SPARQL Update is refused (403). No outbound requests: SERVICE is refused "
                "(403) and FROM / FROM NAMED / default-graph-uri / named-graph-uri only select graphs "
                "held here (a graph we do not hold is empty, never fetched). "
                f"Every query stops after {view['timeout']:g} s (504). Results are cut at "
                f"{view['max_rows']} rows or triples, signalled by the SMPKG-Truncated: true response "
                "header (and a head link ending in #truncated in SPARQL JSON and XML results). "
                "Inferred triples are materialised by OWL 2 RL reasoning, so queries evaluate under "
                "simple entailment over asserted plus inferred triples."
            ),
        )
    )
    g.add((service, SD.defaultDataset, dataset))

    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, DCTERMS.title, Literal(view["title"])))
    g.add((dataset, OWL.versionInfo, Literal(view["version"])))
    g.add((dataset, VOID.sparqlEndpoint, service))
    if state.mode == "smp":  # the full VoID + DCAT description, dumps and partitions
        g.add(
            (dataset, RDFS.seeAlso, URIRef(endpoint.removesuffix("/sparql") + "/.well-known/void"))
        )
    _stats(g, dataset, view["default"])
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, RDF.type, VOID.Dataset))
    g.add((default, RDFS.comment, Literal(view["default_note"])))
    _stats(g, default, view["default"])
    for graph in view["graphs"]:
        named = BNode()
        described = URIRef(f"{endpoint}#graph-{len(list(g.objects(dataset, SD.namedGraph)))}")
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(graph["name"])))
        g.add((named, SD.graph, described))
        g.add((described, RDF.type, SD.Graph))
        g.add((described, RDF.type, VOID.Dataset))
        if graph["description"]:
            g.add((described, RDFS.comment, Literal(graph["description"])))
        _stats(g, described, graph["stats"])
        g.add((dataset, VOID.subset, described))
    return g


def _stats(g: Graph, node, stats: dict) -> None:
    for prop, key in STAT_PROPERTIES:
        g.add((node, VOID[prop], Literal(int(stats.get(key, 0)))))


def _render(state: Snapshot, endpoint: str, fmt: Format) -> bytes:
    def render() -> bytes:
        if fmt is HTML:
            return render_page(
                "service.html",
                endpoint=endpoint,
                view=dataset_view(state),
                result_formats=RESULT_FORMATS,
                graph_formats=GRAPH_FORMATS,
                has_queries=state.has_named_queries,
            ).encode("utf-8")
        return serialize_graph(description_graph(state, endpoint), fmt)

    return state.document(("service", endpoint, fmt.key), render)


def description_format(accept: str | None, format_param: str | None) -> Format:
    """The negotiated format of the description (format= wins; `format=html` too)."""
    return choose_format(accept, format_param, DESCRIPTION_FORMATS, json_is_jsonld=False)


async def service_description(request: Request, format_param: str | None = None) -> Response:
    fmt = description_format(request.headers.get("accept"), format_param)
    endpoint = rendered_site(request) + "/sparql"
    body = await run_in_threadpool(_render, snapshot_of(request), endpoint, fmt)
    body = localised(request, body)
    media = "text/html; charset=utf-8" if fmt is HTML else fmt.content_type
    return Response(body, media_type=media, headers={"Vary": "Accept"})
