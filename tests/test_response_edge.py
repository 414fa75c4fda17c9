"""The outermost layer (api/response_edge.py): one wrapper of `send` that adds the security
headers, records the request's metrics and writes its access line, for every response: a
plain one, one sent before routing, and a failure that never started one."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from api.metrics import Metrics
from api.response_edge import ResponseEdge
from api.security import CONTENT_SECURITY_POLICY


def run(edge: ResponseEdge, path: str = "/page") -> list[dict]:
    scope = {"type": "http", "method": "GET", "path": path, "headers": []}
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(edge(scope, receive, send))
    return sent


def answer(content_type: bytes, body: bytes, status: int = 200):
    async def app(scope, receive, send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", content_type)],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def requests_counted(metrics: Metrics, route: str, status: str) -> float:
    value = metrics.registry.get_sample_value(
        "smpkg_http_requests_total", {"method": "GET", "route": route, "status": status}
    )
    return value or 0.0


def access_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "smpkg.access"]


def test_html_gets_every_security_header_once_and_one_line_and_count(caplog):
    caplog.set_level(logging.INFO, logger="smpkg.access")
    metrics = Metrics()
    edge = ResponseEdge(answer(b"text/html; charset=utf-8", b"<p>hi</p>"), metrics, "oxigraph")
    start, body = run(edge)
    names = [name for name, _ in start["headers"]]
    assert len(names) == len(set(names))
    headers = dict(start["headers"])
    assert headers[b"content-security-policy"] == CONTENT_SECURITY_POLICY.encode()
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert body["body"] == b"<p>hi</p>"
    [line] = access_lines(caplog)
    assert (line["status"], line["bytes"], line["path"], line["engine"]) == (
        200,
        9,
        "/page",
        "oxigraph",
    )
    # No route in the scope and not a known path: counted as "unmatched", not by its path.
    assert requests_counted(metrics, "unmatched", "200") == 1


def test_json_gets_no_content_security_policy_and_a_known_path_keeps_its_label(caplog):
    caplog.set_level(logging.INFO, logger="smpkg.access")
    metrics = Metrics()
    edge = ResponseEdge(
        answer(b"application/json", b"{}"), metrics, "rdflib", known_paths=frozenset({"/health"})
    )
    start, _ = run(edge, "/health")
    assert b"content-security-policy" not in dict(start["headers"])
    assert dict(start["headers"])[b"referrer-policy"] == b"same-origin"
    assert requests_counted(metrics, "/health", "200") == 1
    assert access_lines(caplog)[0]["engine"] == "rdflib"


def test_a_failure_before_any_response_is_logged_and_counted_as_a_500(caplog):
    caplog.set_level(logging.INFO, logger="smpkg.access")
    metrics = Metrics()

    async def broken(scope, receive, send) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run(ResponseEdge(broken, metrics, "oxigraph"))
    [record] = [r for r in caplog.records if r.name == "smpkg.access"]
    assert record.levelno == logging.WARNING
    assert json.loads(record.getMessage())["status"] == 500
    assert requests_counted(metrics, "unmatched", "500") == 1
