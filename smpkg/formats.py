"""Result and RDF serialisations, and content negotiation over them.

SELECT/ASK results are written here (SPARQL JSON, XML, CSV, TSV) from the engine-neutral
`Answer`, so both engines produce byte-identical output for the same rows. Graphs go through
rdflib's serialisers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD

from .engine import Answer
from .errors import UnsupportedFormat
from .namespaces import PREFIXES, bind_all


@dataclass(frozen=True)
class Format:
    key: str  # the short name used by format= and the CLI
    media_type: str
    rdflib_name: str | None = None  # for graph formats
    extension: str = ""
    quads: bool = False

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"


RESULT_FORMATS = [
    Format("json", "application/sparql-results+json", extension="srj"),
    Format("xml", "application/sparql-results+xml", extension="srx"),
    Format("csv", "text/csv", extension="csv"),
    Format("tsv", "text/tab-separated-values", extension="tsv"),
]
GRAPH_FORMATS = [
    Format("turtle", "text/turtle", "turtle", "ttl"),
    Format("ntriples", "application/n-triples", "nt", "nt"),
    Format("nquads", "application/n-quads", "nquads", "nq", quads=True),
    Format("trig", "application/trig", "trig", "trig", quads=True),
    Format("jsonld", "application/ld+json", "json-ld", "jsonld"),
    Format("rdfxml", "application/rdf+xml", "xml", "rdf"),
]
# An HTML page (of results, a resource, a document), offered to browsers that ask for
# text/html by name (never for */*): the one HTML format of the service.
HTML = Format("html", "text/html", extension="html")
# Names clients use for the same media types; they negotiate to the entry above.
ALIASES = {
    "application/json": "json",
    "text/xml": "xml",
    "application/xml": "xml",
    "application/x-turtle": "turtle",
    "text/plain": "ntriples",
    "text/n3": "turtle",
    "application/x-trig": "trig",
    "application/json+ld": "jsonld",
    "srj": "json",
    "srx": "xml",
    "ttl": "turtle",
    "nt": "ntriples",
    "nq": "nquads",
    "json-ld": "jsonld",
    "rdf": "rdfxml",
    "xml-rdf": "rdfxml",
    "rdf/xml": "rdfxml",
}
BY_KEY = {f.key: f for f in RESULT_FORMATS + GRAPH_FORMATS}
BY_MEDIA = {f.media_type: f for f in RESULT_FORMATS + GRAPH_FORMATS}


def lookup(name: str) -> Format | None:
    name = name.strip().lower()
    if name in BY_KEY:
        return BY_KEY[name]
    if name in BY_MEDIA:
        return BY_MEDIA[name]
    if name in ALIASES:
        return BY_KEY[ALIASES[name]]
    return None


def parse_accept(header: str | None) -> list[tuple[str, float, int]]:
    """(media range, q, position) for each entry of an Accept header, best first."""
    if not header:
        return [("*/*", 1.0, 0)]
    entries = []
    for position, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        q = 1.0
        for param in pieces[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        entries.append((media, q, position))

    # More specific ranges beat wildcards at equal q; then the client's order.
    def specificity(media: str) -> int:
        return 0 if media == "*/*" else 1 if media.endswith("/*") else 2

    entries.sort(key=lambda e: (-e[1], -specificity(e[0]), e[2]))
    return entries


def negotiate(accept: str | None, offered: list[Format], format_param: str | None = None) -> Format:
    """The best of `offered` for the request, or UnsupportedFormat listing what is offered."""
    available = [f.media_type for f in offered]
    if format_param:
        wanted = format_param.strip().lower()
        fmt = next((f for f in offered if wanted in (f.key, f.media_type)), None) or lookup(
            format_param
        )
        if fmt is None or fmt not in offered:
            raise UnsupportedFormat(format_param, available)
        return fmt
    entries = parse_accept(accept)
    for media, q, _ in entries:
        if q <= 0:
            continue
        if media == "*/*":
            for fmt in offered:
                if not _refused(entries, fmt):
                    return fmt
            continue
        if media.endswith("/*"):
            prefix = media[:-1]
            for fmt in offered:
                if fmt.media_type.startswith(prefix) and not _refused(entries, fmt):
                    return fmt
            continue
        # An offered format's own media type first (callers may offer formats of their own,
        # such as an HTML page), then the registry and its aliases.
        fmt = next((f for f in offered if f.media_type == media), None) or lookup(media)
        if fmt is not None and fmt in offered:
            return fmt
    raise UnsupportedFormat(accept or "", available)


def _refused(entries, fmt: Format) -> bool:
    """Whether the client gave this format q=0, by its media type or an alias of it."""
    for media, q, _ in entries:
        if q > 0 or media.endswith("*"):
            continue
        if media == fmt.media_type or lookup(media) == fmt:
            return True
    return False


# --------------------------------------------------------------------------- results


# SPARQL JSON without spaces, as pyoxigraph writes it: an answer is the same bytes whichever
# engine (or external store) produced it.
COMPACT = (",", ":")


def _term_json(term) -> dict:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype != XSD.string:
        out["datatype"] = str(term.datatype)
    return out


def results_json(answer: Answer) -> bytes:
    links = list(getattr(answer, "links", ()) or ())
    if answer.form == "ASK":
        head = {"link": links} if links else {}
        return json.dumps({"head": head, "boolean": answer.boolean}, separators=COMPACT).encode()
    bindings = [
        {
            var: _term_json(term)
            for var, term in zip(answer.variables, row, strict=False)
            if term is not None
        }
        for row in answer.rows
    ]
    head = {"vars": answer.variables}
    if links:
        head["link"] = links
    doc = {"head": head, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, separators=COMPACT).encode()


def results_xml(answer: Answer) -> bytes:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        '<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>',
    ]
    for var in answer.variables:
        out.append(f"<variable name={quoteattr(var)}/>")
    for link in getattr(answer, "links", ()) or ():
        out.append(f"<link href={quoteattr(link)}/>")
    out.append("</head>\n")
    if answer.form == "ASK":
        out.append(f"<boolean>{'true' if answer.boolean else 'false'}</boolean>\n</sparql>\n")
        return "".join(out).encode()
    out.append("<results>\n")
    for row in answer.rows:
        out.append("<result>")
        for var, term in zip(answer.variables, row, strict=False):
            if term is None:
                continue
            out.append(f"<binding name={quoteattr(var)}>")
            if isinstance(term, URIRef):
                out.append(f"<uri>{escape(str(term))}</uri>")
            elif isinstance(term, BNode):
                out.append(f"<bnode>{escape(str(term))}</bnode>")
            else:
                attrs = ""
                if term.language:
                    attrs = f" xml:lang={quoteattr(term.language)}"
                elif term.datatype and term.datatype != XSD.string:
                    attrs = f" datatype={quoteattr(str(term.datatype))}"
                out.append(f"<literal{attrs}>{escape(str(term))}</literal>")
            out.append("</binding>")
        out.append("</result>\n")
    out.append("</results>\n</sparql>\n")
    return "".join(out).encode()


def results_csv(answer: Answer) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if answer.form == "ASK":
        writer.writerow(["boolean"])
        writer.writerow(["true" if answer.boolean else "false"])
        return buffer.getvalue().encode()
    writer.writerow(answer.variables)
    for row in answer.rows:
        writer.writerow(
            ["" if t is None else (f"_:{t}" if isinstance(t, BNode) else str(t)) for t in row]
        )
    return buffer.getvalue().encode()


def _tsv_term(term) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    return term.n3()


def results_tsv(answer: Answer) -> bytes:
    if answer.form == "ASK":
        return f"?boolean\n{'true' if answer.boolean else 'false'}\n".encode()
    lines = ["\t".join(f"?{v}" for v in answer.variables)]
    lines += ["\t".join(_tsv_term(t) for t in row) for row in answer.rows]
    return ("\n".join(lines) + "\n").encode()


RESULT_WRITERS = {"json": results_json, "xml": results_xml, "csv": results_csv, "tsv": results_tsv}


def serialize_graph(graph: Graph | Dataset, fmt: Format) -> bytes:
    bind_all(graph)
    if fmt.quads and not isinstance(graph, Dataset):
        ds = bind_all(Dataset())
        target = ds.default_graph
        for triple in graph:
            target.add(triple)
        graph = ds
    if fmt.rdflib_name is None:
        raise ValueError(f"{fmt.key} is not a graph format")
    return graph.serialize(format=fmt.rdflib_name, encoding="utf-8")


def serialize_answer(answer: Answer, fmt: Format) -> bytes:
    if answer.is_graph:
        return serialize_graph(answer.graph(), fmt)
    return RESULT_WRITERS[fmt.key](answer)


def offered_for(answer_form: str) -> list[Format]:
    return GRAPH_FORMATS if answer_form in ("CONSTRUCT", "DESCRIBE") else RESULT_FORMATS


# Names clients put in format= for a graph result (SPARQLWrapper sends its returnFormat).
GRAPH_FORMAT_PARAMS = {
    "json": "jsonld",
    "application/json": "jsonld",
    "xml": "rdfxml",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
    "n3": "turtle",
    "rdf+xml": "rdfxml",
}


def offered_formats(form: str) -> list[Format]:
    """What the query workers serve a query form as: the SPARQL result or RDF formats. The
    HTML page of results is the service's (api/results.py), rendered from SPARQL JSON."""
    return offered_for(form)


def choose_format(
    form: str, accept: str | None, format_param: str | Sequence[str] | None = None
) -> Format:
    """The result format for a query form: format= wins over Accept; several format= values
    (SPARQLWrapper sends its short name and the media type) are tried in order."""
    offered = offered_formats(form)
    params = [format_param] if isinstance(format_param, str) else list(format_param or [])
    params = [p.strip() for p in params if p and p.strip()]
    if params:
        for param in params:
            key = param.lower()
            if form in ("CONSTRUCT", "DESCRIBE"):
                key = GRAPH_FORMAT_PARAMS.get(key, key)
            try:
                return negotiate(None, offered, key)
            except UnsupportedFormat:
                continue
        raise UnsupportedFormat(", ".join(params), [f.media_type for f in offered])
    return negotiate(accept, offered)


def by_key(key: str) -> Format:
    """The format named `key`, HTML included."""
    return HTML if key == HTML.key else BY_KEY[key]


def table(answer: Answer, limit: int | None = None) -> str:
    """A plain-text table for a terminal."""
    if answer.form == "ASK":
        return "true" if answer.boolean else "false"
    if answer.is_graph:
        return serialize_graph(answer.graph(), BY_KEY["turtle"]).decode()
    rows = [["" if t is None else _short(t) for t in row] for row in answer.rows[:limit]]
    widths = [max([len(v)] + [len(r[i]) for r in rows]) for i, v in enumerate(answer.variables)]
    line = lambda cells: " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False))  # noqa: E731
    out = [line(answer.variables), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    out.append(
        f"({len(answer.rows)} row{'s' if len(answer.rows) != 1 else ''}"
        f"{', truncated' if answer.truncated else ''})"
    )
    return "\n".join(out)


def _short(term) -> str:
    if isinstance(term, Literal):
        return str(term)
    text = str(term)
    for prefix, ns in PREFIXES.items():
        if text.startswith(str(ns)) and len(text) > len(str(ns)):
            return f"{prefix}:{text[len(str(ns)) :]}"
    return text
