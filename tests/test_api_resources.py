"""Dereferenceable IRIs: /id/{kind}/{slug} and /ontology by content negotiation, on the
repository's graph (in-process), and the IRI mapping under another base (dataset mode)."""

from __future__ import annotations

import html as html_module
import json
import re

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

from api import create_app
from smpkg.namespaces import ASSERTED_GRAPH, INFERRED_GRAPH, SMP

BASE = "https://w3id.org/smpkg/"
# One IRI of each kind, with a type it has and the label it must show.
RESOURCES = {
    "programme/mentor-ii": (SMP.Scheme, "Mediterranean Network for Training Orientation"),
    "organisation/giz": (SMP.DevelopmentAgency, "German Development Agency"),
    "country/MAR": (SMP.Country, "Morocco"),
    "framework/gcm-objective-18": (SMP.PolicyObjective, "Objective 18"),
    "sector/healthcare": (SMP.Sector, "healthcare"),
    "source/emn-oecd-inform-2022": (SMP.SourceDocument, "EMN-OECD inform"),
    "source/emn-oecd-inform-2022/box-2": (SMP.SourceSection, "Box 2"),
    "instrument/mpf": (SMP.FundingInstrument, "Migration Partnership Facility"),
}
# Accept header -> (content type, rdflib parser; None for HTML, a Dataset for quads)
RDF_TYPES = {
    "text/turtle": ("text/turtle", "turtle"),
    "application/ld+json": ("application/ld+json", "json-ld"),
    "application/n-triples": ("application/n-triples", "nt"),
    "application/rdf+xml": ("application/rdf+xml", "xml"),
    "application/trig": ("application/trig", "trig"),
    "application/n-quads": ("application/n-quads", "nquads"),
}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def parse(response, parser: str) -> Graph:
    if parser in ("trig", "nquads"):
        ds = Dataset()
        ds.parse(data=response.content, format=parser)
        return ds
    return Graph().parse(data=response.content, format=parser)


def triples(graph) -> set:
    if isinstance(graph, Dataset):
        return {(s, p, o) for s, p, o, _ in graph.quads((None, None, None, None))}
    return set(graph)


@pytest.fixture(scope="module")
def kinds_checked(smp_graph):
    """Every kind in the table exists in the data with the type given."""
    for path, (klass, _) in RESOURCES.items():
        iri = URIRef(BASE + "id/" + path)
        assert (iri, RDF.type, klass) in smp_graph.asserted or (
            iri,
            RDF.type,
            klass,
        ) in smp_graph.inferred, path
    return True


@pytest.mark.parametrize("path", RESOURCES)
@pytest.mark.parametrize("accept", list(RDF_TYPES) + ["*/*"])
def test_rdf_by_content_negotiation(smp_client, kinds_checked, path, accept):
    r = smp_client.get(f"/id/{path}", headers={"Accept": accept})
    assert r.status_code == 200, r.text
    media, parser = RDF_TYPES.get(accept, ("text/turtle", "turtle"))
    assert r.headers["content-type"] == f"{media}; charset=utf-8"
    assert "accept" in r.headers["vary"].lower()
    ext = {
        "turtle": "ttl",
        "json-ld": "jsonld",
        "nt": "nt",
        "xml": "rdf",
        "trig": "trig",
        "nquads": "nq",
    }[parser]
    assert r.headers["content-location"] == f"/id/{path}.{ext}"
    graph = parse(r, parser)
    iri = URIRef(BASE + "id/" + path)
    klass, label = RESOURCES[path]
    found = triples(graph)
    assert (iri, RDF.type, klass) in found
    labels = [str(o) for s, p, o in found if s == iri and p == RDFS.label]
    assert any(label in text for text in labels), labels
    assert all(iri in (s, o) or not isinstance(s, URIRef) for s, p, o in found)


@pytest.mark.parametrize("path", RESOURCES)
def test_html_page_for_browsers(smp_client, path):
    r = smp_client.get(f"/id/{path}", headers={"Accept": BROWSER})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-location"] == f"/id/{path}.html"
    _, label = RESOURCES[path]
    assert label in r.text
    assert f"<code>{BASE}id/{path}</code>" in r.text
    for media in RDF_TYPES:
        assert re.search(
            rf'<link rel="alternate" type="{re.escape(media)}" '
            rf'href="/id/{re.escape(path)}\.\w+">',
            r.text,
        )
    assert_offline(r.text)


def assert_offline(html: str) -> None:
    """Nothing loaded from elsewhere: scripts and stylesheets only from this service's own
    paths; no images, fonts or imports."""
    assert not re.search(r"<img|@import|url\(", html)
    loaded = re.findall(r'<(?:script[^>]+src|link[^>]+rel="stylesheet"[^>]+href)="([^"]+)"', html)
    assert loaded, "the page loads the site's stylesheet and script"
    for src in loaded:
        assert src.startswith("/") and not src.startswith("//"), src
    for media in re.findall(r'<link rel="alternate" type="[^"]+" href="([^"]+)"', html):
        assert media.startswith("/")


def embedded_jsonld(html: str) -> str:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no embedded JSON-LD"
    return match.group(1)


def test_embedded_jsonld_is_the_description(smp_client):
    html = smp_client.get("/id/programme/mentor-ii", headers={"Accept": "text/html"}).text
    doc = embedded_jsonld(html)
    json.loads(doc)
    embedded = Graph().parse(data=doc, format="json-ld")
    turtle = smp_client.get("/id/programme/mentor-ii", headers={"Accept": "text/turtle"})
    assert isomorphic(embedded, Graph().parse(data=turtle.text, format="turtle"))
    assert len(embedded) > 30


def toggled(html: str) -> str:
    """What sits behind the page's toggle for types and inferred statements."""
    after = html.split('<details class="more" id="types">', 1)[1]
    return after.split('<h2 id="rdf">', 1)[0]


def test_page_marks_inferred_types_and_explains_them(smp_client):
    html = smp_client.get("/id/programme/mentor-ii", headers={"Accept": "text/html"}).text
    types = toggled(html).split('<h2 id="types-heading">')[1].split("<h2")[0]
    items = re.findall(r"<li>(.*?)</li>\n", types, re.S)
    scheme = next(i for i in items if 'href="/ontology#Scheme"' in i)
    assert ">asserted<" in scheme and "inferred" not in scheme
    funded = next(i for i in items if i.startswith('<a href="/ontology#EUFundedInitiative"'))
    assert '<span class="badge inferred"' in funded and "why?" in funded


def test_explanation_of_an_inferred_relation(smp_client):
    """MENTOR II is funded by the European Union through the chain financedThrough ∘ fundedBy
    via the Migration Partnership Facility: the page says so, with links."""
    html = smp_client.get("/id/programme/mentor-ii", headers={"Accept": "text/html"}).text
    row = next(
        r
        for r in toggled(html).split("\n<li>")
        if r.startswith('<a href="/ontology#fundedBy"') and "european-union" in r.split("<p")[0]
    )
    assert '<a href="/id/organisation/european-union"' in row
    assert '<span class="badge inferred"' in row
    assert "<code>prp-spo2</code> (property chain)" in row
    assert (
        '<a href="/ontology#financedThrough">financed through</a> followed by '
        '<a href="/ontology#fundedBy">funded by</a> implies'
    ) in row
    assert (
        '<a href="/id/programme/mentor-ii">MENTOR II</a> <a href="/ontology#financedThrough">'
        'financed through</a> <a href="/id/instrument/mpf">MPF</a>'
    ) in row
    assert (
        '<a href="/id/instrument/mpf">MPF</a> <a href="/ontology#fundedBy">funded by</a> '
        '<a href="/id/organisation/european-union">EU</a>'
    ) in row


def test_page_shows_incoming_literals_and_sources(smp_client):
    html = smp_client.get("/id/programme/mentor-ii", headers={"Accept": "text/html"}).text
    incoming = html.split('<h3 id="incoming">')[1].split("<h2")[0]
    assert '<a href="/id/programme/mentor-i"' in incoming
    sources = html.split('<h3 id="sources">')[1].split("<h2")[0]
    assert '<a href="/id/source/emn-oecd-inform-2022"' in sources
    assert '<a href="/id/source/emn-oecd-inform-2022/box-2"' in sources and "Box 2:" in sources
    strategy = smp_client.get(
        "/id/framework/bulgaria-national-strategy-migration", headers={"Accept": "text/html"}
    ).text
    assert re.search(r'2021<span class="lit-note">year</span>', strategy)


def test_document_urls_and_format_parameter(smp_client):
    r = smp_client.get("/id/country/MAR.ttl", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert "content-location" not in r.headers
    r = smp_client.get("/id/country/MAR.html")
    assert r.headers["content-type"].startswith("text/html")
    r = smp_client.get("/id/country/MAR?format=jsonld", headers={"Accept": "text/html"})
    assert r.headers["content-type"].startswith("application/ld+json")
    link = r.headers["link"]
    assert '</id/country/MAR.nt>; rel="alternate"; type="application/n-triples"' in link


def test_quad_formats_keep_graph_names(smp_client):
    r = smp_client.get("/id/programme/mentor-ii", headers={"Accept": "application/n-quads"})
    ds = Dataset()
    ds.parse(data=r.content, format="nquads")
    mentor = URIRef(BASE + "id/programme/mentor-ii")
    assert (mentor, SMP.financedThrough, URIRef(BASE + "id/instrument/mpf")) in ds.graph(
        ASSERTED_GRAPH
    )
    assert (mentor, SMP.fundedBy, URIRef(BASE + "id/organisation/european-union")) in ds.graph(
        INFERRED_GRAPH
    )


@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/ld+json", "*/*"])
def test_unknown_iri_is_404(smp_client, accept):
    r = smp_client.get("/id/programme/no-such-programme", headers={"Accept": accept})
    assert r.status_code == 404
    assert "accept" in r.headers["vary"].lower()
    if accept == "text/html":
        assert r.headers["content-type"].startswith("text/html")
        assert "no-such-programme" in r.text
    assert "@prefix" not in r.text


def test_unacceptable_is_406_with_the_list(smp_client):
    r = smp_client.get("/id/programme/mentor-ii", headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert "accept" in r.headers["vary"].lower()
    for media in list(RDF_TYPES) + ["text/html"]:
        assert media in r.text


def test_head(smp_client):
    r = smp_client.head("/id/country/MAR", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.content == b""


def test_ontology_documentation_for_browsers(smp_client):
    r = smp_client.get("/ontology", headers={"Accept": BROWSER})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert_offline(html)
    for anchor in ("Programme", "Initiative", "fundedBy", "financedThrough", "originCountry"):
        assert f'id="{anchor}"' in html
    programme = html.split('id="Programme"')[1].split("</section>")[0]
    assert "subclass of" in programme and 'href="https://schema.org/Project"' in programme
    assert re.search(r"instances</th><td>\d+ asserted", programme)
    funded = html.split('id="fundedBy"')[1].split("</section>")[0]
    assert "financed through</a> followed by <a" in funded
    assert "domain</th>" in funded and "range</th>" in funded
    defined = html.split('id="EUFundedInitiative"')[1].split("</section>")[0]
    assert "defined as" in defined
    assert '<a href="/id/organisation/european-union">European Union</a>' in defined


def test_ontology_for_rdf_clients(smp_client, smp_graph):
    for accept, parser in (
        ("text/turtle", "turtle"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
        ("*/*", "turtle"),
    ):
        r = smp_client.get("/ontology", headers={"Accept": accept})
        assert r.status_code == 200
        assert isomorphic(Graph().parse(data=r.content, format=parser), smp_graph.ontology)
    r = smp_client.get("/ontology.nt")
    assert r.headers["content-type"].startswith("application/n-triples")
    version = smp_client.get("/ontology/0.2.0", headers={"Accept": "text/turtle"})
    assert version.status_code == 200
    assert smp_client.get("/ontology/9.9.9").status_code == 404


def test_links_between_pages_resolve(smp_client):
    html = smp_client.get("/id/programme/mentor-ii", headers={"Accept": "text/html"}).text
    main = html.split('<main id="main">')[1]
    targets = sorted({h.split("#")[0] for h in re.findall(r'href="(/[^"]*)"', main)})
    assert len(targets) > 15
    for target in targets:
        r = smp_client.get(target, headers={"Accept": "text/html"})
        assert r.status_code == 200, target


# --------------------------------------------------------------------------- another base

OTHER = "http://data.example.org/smp/"
OTHER_TRIG = f"""@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{OTHER}graph/asserted> {{
  <{OTHER}id/programme/alpha> a <{OTHER}ontology#Programme> ; rdfs:label "Alpha"@en ;
      <{OTHER}ontology#partner> <{OTHER}id/country/XYZ> .
  <{OTHER}id/country/XYZ> rdfs:label "Xyzland"@en .
}}
"""


@pytest.fixture(scope="module")
def other_base(tmp_path_factory):

    path = tmp_path_factory.mktemp("other") / "other.trig"
    path.write_text(OTHER_TRIG)
    app = create_app(make_settings(dataset=(path,), base_iri=OTHER, query_workers=1))
    with TestClient(app) as client:
        yield client
    app.state.snapshot.executor.close()


def test_requests_map_to_the_configured_base(other_base):
    r = other_base.get("/id/programme/alpha", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    assert (URIRef(OTHER + "id/programme/alpha"), RDFS.label, Literal("Alpha", lang="en")) in g
    html = other_base.get("/id/programme/alpha", headers={"Accept": "text/html"}).text
    assert '<a href="/id/country/XYZ"' in html and "Xyzland" in html
    incoming = other_base.get("/id/country/XYZ", headers={"Accept": "text/html"}).text
    assert '<a href="/id/programme/alpha"' in incoming
    assert other_base.get("/id/programme/mentor-ii").status_code == 404


def test_dataset_mode_has_no_ontology_or_dumps(other_base):
    assert other_base.get("/ontology").status_code == 404
    assert other_base.get("/download").status_code == 404
    assert other_base.get("/.well-known/void").status_code == 404


def test_plain_json_gets_jsonld(smp_client):
    r = smp_client.get("/id/country/MAR", headers={"Accept": "application/json"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/ld+json; charset=utf-8"
    r = smp_client.get("/id/programme/no-such-programme", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json()["status"] == 404


@pytest.mark.parametrize("path", ["/id/programme/with%20space", "/id/programme/%3Cx%3E", "/id/"])
def test_impossible_iris_are_404(smp_client, path):
    assert smp_client.get(path, headers={"Accept": "text/turtle"}).status_code == 404


def test_ontology_instance_counts_link_to_their_instances(smp_client):

    page = smp_client.get("/ontology", headers={"Accept": "text/html"}).text
    programme = page.split('id="Programme"')[1].split("</section>")[0]
    link = re.search(r'in all</td>|<a href="(/sparql\?query=[^"]+)">(\d+)</a> in all', programme)
    assert link and link.group(1), programme
    r = smp_client.get(html_module.unescape(link.group(1)))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    # The results page links the dataset's IRIs to this service's pages.
    assert 'href="/id/programme/thamm"' in r.text
    assert f"{link.group(2)} rows" in r.text


# --------------------------------------------------------------------------- pages for people


def page(client, path: str) -> str:
    r = client.get(path, headers={"Accept": BROWSER})
    assert r.status_code == 200, path
    return r.text


def fact(html: str, title: str) -> str:
    """The summary line titled `title` (its <dt> and values)."""
    summary = html.split('<h2 id="summary">', 1)[1].split('<h2 id="statements">', 1)[0]
    found = re.search(rf'<div class="fact"><dt>{re.escape(title)}</dt>(.*?)</div>', summary, re.S)
    assert found, f"no summary line {title!r}"
    return found.group(1)


def test_programme_summary_shows_the_quote_beside_its_destination(smp_client):
    """PALIM's destination is Belgium, stated in Box 6: the summary says both, with the quote
    and a link to the passage's page."""
    html = page(smp_client, "/id/programme/palim")
    assert '<p class="kind">Project · Skills mobility partnership' in html
    destination = fact(html, "Destination")
    assert '<a href="/id/country/BEL"' in destination
    evidence = re.findall(
        r'<p class="evidence"><a href="(/id/passage/[^"]+)"[^>]*>([^<]+)</a>: <q>([^<]+)</q>',
        destination,
    )
    assert evidence, destination
    assert all(short == "Box 6" for _, short, _ in evidence)
    assert any("PALIM project" in html_module.unescape(q) for _, _, q in evidence)
    assert "Morocco" in fact(html, "Origin")
    assert "2019-03" in fact(html, "Start") and "Box 6" in fact(html, "Start")
    assert "ICT" in fact(html, "Sector")
    passage = smp_client.get(evidence[0][0] + ".ttl").text
    assert html_module.unescape(evidence[0][2]) in passage


def test_statement_table_has_an_evidence_column(smp_client):
    html = page(smp_client, "/id/programme/palim")
    table = html.split('<h2 id="statements">', 1)[1].split('<h3 id="incoming">', 1)[0]
    assert '<th scope="col">Evidence</th>' in table
    rows = table.split("<tr>")[2:]
    destination = next(r for r in rows if 'href="/ontology#destinationCountry"' in r)
    assert '<a href="/id/country/BEL"' in destination and '<p class="evidence">' in destination
    assert not any('class="badge inferred"' in r for r in rows), "inferred rows are toggled"


def test_vocabulary_and_inferred_types_sit_inside_the_toggle(smp_client):
    html = page(smp_client, "/id/programme/palim")
    before, hidden = html.split('<details class="more" id="types">', 1)
    before = before.split('<main id="main">', 1)[1]
    for vocabulary in ("http://www.w3.org/ns/prov#Entity", "https://schema.org/Project"):
        assert vocabulary in hidden
        assert vocabulary not in before
    assert 'href="/ontology#ICTInitiative"' in hidden and "why?" in hidden
    assert "<summary>Types and inferred statements" in hidden


def test_passage_page_lists_the_statements_it_supports(smp_client):
    html = page(smp_client, "/id/passage/emn-oecd-inform-2022-l414-415")
    assert '<blockquote class="passage-quote"><p>The PALIM project' in html
    assert '<a href="/id/source/emn-oecd-inform-2022/box-6"' in html
    assert '<a href="/id/source/emn-oecd-inform-2022"' in html
    table = html.split('<h2 id="supports">', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tbody>", 1)[1].split("<tr>")[1:]
    destination = next(r for r in rows if 'href="/ontology#destinationCountry"' in r)
    assert '<a href="/id/programme/palim"' in destination
    assert '<a href="/id/country/BEL"' in destination
    assert len(rows) > 5
    assert_offline(html)
    turtle = smp_client.get(
        "/id/passage/emn-oecd-inform-2022-l414-415", headers={"Accept": "text/turtle"}
    )
    assert turtle.headers["content-type"].startswith("text/turtle")


def test_country_page_links_to_the_programmes_filtered_by_it(smp_client):
    html = page(smp_client, "/id/country/BEL")
    views = html.split('<nav class="resource-views"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/browse/programmes?destination=country:BEL">' in views
    target = smp_client.get("/browse/programmes?destination=country:BEL")
    assert target.status_code == 200 and "PALIM" in target.text


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("target-group/nurses", "occupation/nurses"),
        ("target-group/doctors", "occupation/medical-doctors"),
    ],
)
def test_a_deprecated_resource_redirects_to_its_replacement(smp_client, old, new):
    """0.2.0 merged the target groups of nurses and doctors into the occupations; the old IRIs
    are deprecated with dcterms:isReplacedBy and answer 301 to the replacement, the format
    suffix kept."""
    r = smp_client.get(f"/id/{old}", headers={"Accept": "text/turtle"}, follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == f"/id/{new}"
    r = smp_client.get(f"/id/{old}.ttl", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == f"/id/{new}.ttl"
    followed = smp_client.get(f"/id/{old}", headers={"Accept": "text/turtle"})
    assert followed.status_code == 200 and followed.url.path == f"/id/{new}"
    assert "owl:deprecated" not in followed.text


@pytest.mark.parametrize(
    "path",
    [
        "/id/programme/pal%00im",
        "/id/%00",
        "/id/programme/palim%7F",
        "/id/%01x",
        # schemathesis: a private-use code point, which RFC 3987 allows only in a query part
        "/id/%F3%B8%94%99z5",
    ],
)
@pytest.mark.parametrize("accept", ["text/html", "text/turtle"])
def test_control_characters_in_a_path_name_nothing(smp_client, path, accept):
    """The probe's NUL in an /id/ path answered 500: a path that makes no IRI names nothing."""
    response = smp_client.get(path, headers={"Accept": accept})
    assert response.status_code == 404
    assert "Traceback" not in response.text
