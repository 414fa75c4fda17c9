"""Content negotiation for every route of the service, in one place.

A route offers a list of formats (`smpkg.formats.Format`, HTML among them when it has a
page); `choose` picks one from `format=` (a key, a media type, or `html`), else from the
Accept header, and raises UnsupportedFormat (406) when none fits. Query results are
negotiated by the executor (`smpkg.formats.choose_format`), on the same Accept parser.
`error_media` and `wants_html` read the same header for error bodies and index pages."""

from __future__ import annotations

from starlette.requests import Request

from smpkg.formats import BY_KEY, HTML, Format, negotiate, parse_accept

__all__ = ["HTML", "JSON", "choose", "choose_format", "error_media", "json_as_jsonld", "wants_html"]

# Plain JSON, for pages that have a JSON form (the download index).
JSON = Format("json", "application/json", extension="json")
JSONLD = BY_KEY["jsonld"]


def choose(request: Request, offered: list[Format], *, json_is_jsonld: bool = True) -> Format:
    """The format of `offered` the request asks for (format= wins over Accept)."""
    param = request.query_params.get("format")
    return choose_format(request.headers.get("accept"), param, offered, json_is_jsonld)


def choose_format(
    accept: str | None,
    format_param: str | None,
    offered: list[Format],
    json_is_jsonld: bool = True,
) -> Format:
    """As `choose`, from the header and parameter. With `json_is_jsonld`, plain JSON asked
    of an RDF document is JSON-LD (the registry maps application/json to SPARQL JSON
    results, which a document is not)."""
    param = (format_param or "").strip().lower()
    if param in ("html", "text/html") and HTML in offered:
        return HTML
    if json_is_jsonld and JSONLD in offered:
        if param in ("json", "application/json"):
            param = JSONLD.key
        accept = json_as_jsonld(accept)
    return negotiate(accept, offered, param or None)


def json_as_jsonld(accept: str | None) -> str | None:
    """The Accept header with application/json read as application/ld+json."""
    if not accept:
        return accept
    return ",".join(
        "application/ld+json" + part.strip()[len("application/json") :]
        if part.strip().lower().startswith("application/json")
        else part
        for part in accept.split(",")
    )


def error_media(accept: str | None) -> str:
    """json, html or text: the error format the client prefers."""
    for media, q, _ in parse_accept(accept):
        if q <= 0:
            continue
        if media in ("text/html", "application/xhtml+xml"):
            return "html"
        if media.endswith("/json") or media.endswith("+json"):
            return "json"
        if media in ("text/plain", "text/*", "*/*"):
            return "text"
    return "text"


def wants_html(accept: str | None) -> bool:
    """Whether the client prefers an HTML page to JSON (browsers do; */* does not)."""
    for media, q, _ in parse_accept(accept):
        if q <= 0:
            continue
        if media in ("text/html", "application/xhtml+xml"):
            return True
        if media in ("application/json", "*/*", "application/*"):
            return False
    return False
