"""The queries every engine and server is measured with.

- the named queries of `queries/*.rq`, with their example parameters (mapped to the synthetic
  counterparts of the curated resources they name, see `benchmarks.synthetic.Synthetic`);
- a set of ad-hoc queries, written the way a researcher would type them, each with a
  `__NONCE__` placeholder in a filter that never removes a row: the HTTP test of "distinct
  ad-hoc queries" replaces it with a number unique to each request, so that no two requests
  are alike (no result cache, no parsed-query cache can serve them).

Servers that have no parameter binding (oxigraph server, rdflib-endpoint) get the named
query with its parameters inlined as a VALUES block at the start of the WHERE clause, which is
what smpkg's engines do with a binding; `inline()` makes that text, and the latency part checks
that it returns as many rows as the bound query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smpkg.queries import NamedQuery

PREFIXES = """PREFIX smp: <https://w3id.org/smpkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


@dataclass(frozen=True)
class AdHoc:
    name: str
    text: str  # with __NONCE__
    http: bool = False  # part of the "distinct ad-hoc queries" HTTP mix

    def render(self, nonce: str = "0") -> str:
        return self.text.replace("__NONCE__", nonce)


# The nonce sits in a FILTER comparing a bound IRI with a string: always true, never
# optimised away by its text alone, and different for every request.
ADHOC = [
    AdHoc(
        "triples-per-graph",
        PREFIXES
        + """
SELECT ?g (COUNT(*) AS ?n) WHERE {
  GRAPH ?g { ?s ?p ?o }
  FILTER (STR(?g) != "__NONCE__")
} GROUP BY ?g ORDER BY ?g""",
    ),
    AdHoc(
        "initiatives-of-a-country",
        PREFIXES
        + """
SELECT ?initiative ?label ?role WHERE {
  ?initiative ?role <https://w3id.org/smpkg/id/country/MAR> ;
              a smp:Initiative ;
              rdfs:label ?label .
  ?role rdfs:subPropertyOf smp:involvesPlace .
  FILTER (STR(?initiative) != "__NONCE__")
} ORDER BY ?label LIMIT 50""",
        http=True,
    ),
    AdHoc(
        "label-contains",
        PREFIXES
        + """
SELECT ?resource ?label WHERE {
  ?resource rdfs:label ?label .
  FILTER (CONTAINS(LCASE(STR(?label)), "nurse") && STR(?resource) != "__NONCE__")
} ORDER BY ?label LIMIT 20""",
        http=True,
    ),
    AdHoc(
        "implementers-and-seats",
        PREFIXES
        + """
SELECT ?initiative ?implementer ?country WHERE {
  ?initiative smp:implementedBy ?implementer .
  ?implementer smp:basedIn ?country .
  FILTER (STR(?initiative) != "__NONCE__")
} ORDER BY ?initiative ?implementer LIMIT 100""",
        http=True,
    ),
    AdHoc(
        "initiatives-per-class",
        PREFIXES
        + """
SELECT ?class (COUNT(?x) AS ?n) WHERE {
  ?x a ?class .
  ?class rdfs:subClassOf* smp:Initiative .
  FILTER (STR(?x) != "__NONCE__")
} GROUP BY ?class ORDER BY DESC(?n) ?class""",
    ),
    AdHoc(
        "part-of-chains",
        PREFIXES
        + """
SELECT ?part ?whole WHERE {
  ?part smp:partOf+ ?whole .
  FILTER (STR(?part) != "__NONCE__")
} ORDER BY ?part ?whole LIMIT 200""",
    ),
    AdHoc(
        "figures-above",
        PREFIXES
        + """
SELECT ?figure ?value ?about WHERE {
  ?figure a smp:Figure ; smp:figureValue ?value ; smp:figureAbout ?about .
  FILTER (?value > 10 && STR(?figure) != "__NONCE__")
} ORDER BY DESC(?value) ?figure LIMIT 25""",
        http=True,
    ),
    AdHoc(
        "optional-dates",
        PREFIXES
        + """
SELECT ?initiative ?start ?end ?status WHERE {
  ?initiative a smp:Initiative .
  OPTIONAL { ?initiative smp:startDate ?start }
  OPTIONAL { ?initiative smp:endDate ?end }
  OPTIONAL { ?initiative smp:status ?status }
  FILTER (STR(?initiative) != "__NONCE__")
} ORDER BY ?initiative LIMIT 100""",
    ),
    AdHoc(
        "neighbourhood-construct",
        PREFIXES
        + """
CONSTRUCT { ?s ?p ?o } WHERE {
  ?s smp:destinationCountry <https://w3id.org/smpkg/id/country/DEU> ; ?p ?o .
  FILTER (STR(?s) != "__NONCE__")
} LIMIT 500""",
    ),
    AdHoc(
        "ask-eu-funded",
        PREFIXES
        + """
ASK {
  ?x a smp:EUFundedInitiative .
  FILTER (STR(?x) != "__NONCE__")
}""",
    ),
]

HTTP_ADHOC = [q for q in ADHOC if q.http]

_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def _strip_comments(text: str) -> str:
    return "\n".join("" if line.lstrip().startswith("#") else line for line in text.splitlines())


def inline(query: NamedQuery, bindings: dict) -> str:
    """The query text with its bound parameters as a VALUES block opening the WHERE group."""
    text = _strip_comments(query.text)
    if not bindings:
        return text.strip() + "\n"
    names = sorted(bindings)
    block = (
        "VALUES ("
        + " ".join(f"?{n}" for n in names)
        + ") { ("
        + " ".join(bindings[n].n3() for n in names)
        + ") }"
    )
    match = _WHERE.search(text)
    if not match:
        raise ValueError(f"{query.name}: no WHERE clause to put the parameters in")
    return (text[: match.end()] + "\n  " + block + text[match.end() :]).strip() + "\n"


def example_values(query: NamedQuery, mapping: dict[str, str]) -> dict[str, str]:
    """The query's example parameter values, IRIs mapped to their synthetic counterparts."""
    values = {}
    for param in query.params:
        if param.example is None:
            continue
        value = str(param.example)
        if param.type == "iri":
            iri = str(param.bind(value))
            value = mapping.get(iri, iri)
        values[param.name] = value
    return values
