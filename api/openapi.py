"""The OpenAPI document as the service behaves: what each operation answers, in which media
types, and every error a client can meet, read from the same tables the code uses.

FastAPI writes the document from the routes; this module completes it once, when it is first
asked for: each operation's 200 lists the media types its negotiation offers (`PRODUCES`), and
every operation documents the statuses of the one error table (`api.errors.STATUSES`) with the
three error bodies `render_error` writes; and each `{name}` of an operation's path is
documented as its path parameter (a string), read from the path itself: the handlers take the
request alone and read `request.path_params`, since a declared path parameter is a pydantic
model that FastAPI builds at start-up (about 35 ms for the service's 21, pydantic.v1's import
included, measured). A test runs schemathesis over the document against
the running service, so a status or a media type the document lacks fails it."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

from smpkg.formats import GRAPH_FORMATS, HTML, RESULT_FORMATS, Format

from .errors import STATUSES
from .metrics import CONTENT_TYPE as METRICS_TYPE
from .negotiation import JSON
from .routers.downloads import GRAPH_DUMP_FORMATS, VOID_FORMATS
from .routers.resources import OFFERED, ONTOLOGY_FORMATS
from .routers.service import DESCRIPTION_FORMATS

MediaTypes = list[str]


def media(formats: list[Format]) -> MediaTypes:
    return [f.media_type for f in formats]


RESULTS = media(RESULT_FORMATS + GRAPH_FORMATS + [HTML])
DUMP_FILES = media(GRAPH_FORMATS) + ["application/gzip", "application/json", "text/plain"]
# The media types of each operation's 200 (or 303) answer, by path template.
PRODUCES: dict[str, MediaTypes] = {
    "/sparql": RESULTS + media(DESCRIPTION_FORMATS),
    "/queries": media([HTML, JSON]),
    "/queries/{name}": RESULTS,
    "/queries/{name}/sparql": ["application/sparql-query"],
    "/id/{path}": media(OFFERED),
    "/ontology": media(ONTOLOGY_FORMATS),
    "/ontology/{version}": media(ONTOLOGY_FORMATS),
    "/.well-known/void": media(VOID_FORMATS),
    "/dataset": media(VOID_FORMATS),
    "/dataset/{version}": media(VOID_FORMATS),
    "/download": media([HTML, JSON]),
    "/download/{name}": DUMP_FILES,
    "/download/{version}/{name}": DUMP_FILES,
    "/graph/{name}": media(GRAPH_DUMP_FORMATS),
    "/health": ["application/json"],
    "/metrics": [METRICS_TYPE.split(";")[0]],
    "/admin/reload": ["application/json"],
}
PROBLEM = {
    "type": "object",
    "properties": {
        "status": {"type": "integer"},
        "title": {"type": "string"},
        "detail": {"type": "string"},
        "error": {"type": "string"},
    },
    "required": ["status", "title", "detail"],
}
ERROR_BODIES = {
    "application/json": {"schema": PROBLEM},
    "text/html": {"schema": {"type": "string"}},
    "text/plain": {"schema": {"type": "string"}},
}
ERROR_MEANINGS = {
    401: "The operation needs a credential the request lacks.",
    400: "The request is malformed: a query that does not parse, a parameter of the wrong form.",
    403: "Refused: an update, SERVICE, LOAD, a graph the dataset does not hold.",
    404: "Nothing here by that name.",
    405: "The method is not one the operation takes.",
    406: "No acceptable format; the message lists those available.",
    413: "The query text, request body or headers are over their limit.",
    415: "The request body's media type is not one the operation takes.",
    431: "The request's header fields are too many or too long.",
    500: "The server failed (the query engine crashed on this query, say); the message "
    "says what failed, never how (no traceback).",
    503: "Every query worker stayed busy, the queue of slow queries is full (Retry-After), "
    "or the query hit the worker memory limit (SMPKG_WORKER_MEMORY_MB).",
    504: "The query ran past its deadline and was stopped.",
}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every operation's media types and error responses filled in."""
    statuses = sorted({status for _, status in STATUSES} | set(ERROR_MEANINGS))
    for path, operations in schema.get("paths", {}).items():
        produced = PRODUCES.get(path) or PRODUCES.get(_template(path))
        for operation in operations.values():
            _document_path_parameters(path, operation)
            responses = operation.setdefault("responses", {})
            if produced:
                for code, answer in responses.items():
                    if str(code).startswith(("2", "3")):
                        answer["content"] = {m: {} for m in produced}
            for status in statuses:
                answer = responses.setdefault(
                    str(status), {"description": ERROR_MEANINGS.get(status, "An error.")}
                )
                answer["content"] = ERROR_BODIES
    return schema


_PATH_PARAMETER = re.compile(r"{([^}:]+)")


def _document_path_parameters(path: str, operation: dict[str, Any]) -> None:
    """The operation's path parameters, one per `{name}` of its path, as FastAPI would write
    them for a declared `name: str`, ahead of any other parameter."""
    declared = operation.get("parameters", [])
    known = {p["name"] for p in declared if p.get("in") == "path"}
    added = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "title": name.replace("_", " ").title()},
        }
        for name in _PATH_PARAMETER.findall(path)
        if name not in known
    ]
    if added:
        operation["parameters"] = added + declared


def _template(path: str) -> str:
    """A named query's own path (/queries/figures) answers as /queries/{name} does."""
    parts = path.split("/")
    if len(parts) == 3 and parts[1] == "queries":
        return "/queries/{name}"
    return path


def install(app: FastAPI) -> None:
    """Complete the app's document when it is first made (after every router is in)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
