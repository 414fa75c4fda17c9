"""The OpenAPI document says what the service does: every operation's media types and every
error status, checked by schemathesis (a real run of its command line against the service on
127.0.0.1, over every operation of /openapi.json) and by reading the document itself."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from browser import ARTIFACTS
from conftest import missing

# schemathesis's checks that compare the service with its document. Left out: the checks
# that a schema-valid request is accepted and a schema-invalid one refused: whether a
# SPARQL text or an IRI parameter is acceptable is a grammar no JSON Schema can state.
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    )
)
ERROR_STATUSES = {"400", "404", "406", "413", "500", "503"}


def test_every_operation_documents_its_media_types_and_errors(smp_client):
    schema = smp_client.get("/openapi.json").json()
    assert len(schema["paths"]) > 30
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert set(responses) >= ERROR_STATUSES, (method, path)
            assert "application/json" in responses["400"]["content"], (method, path)
            ok = next(r for c, r in responses.items() if c.startswith(("2", "3")))
            assert ok.get("content"), f"{method} {path}: no media type for its answer"


def test_resource_documents_list_what_negotiation_offers(smp_client):
    schema = smp_client.get("/openapi.json").json()
    offered = set(schema["paths"]["/id/{path}"]["get"]["responses"]["200"]["content"])
    assert {"text/turtle", "application/ld+json", "text/html", "application/n-quads"} <= offered
    for media in offered:
        response = smp_client.get("/id/programme/palim", headers={"Accept": media})
        assert response.status_code == 200, media
        assert response.headers["content-type"].split(";")[0] == media


def run_schemathesis(url: str, report: Path, examples: int, seed: int) -> dict:
    command = shutil.which("schemathesis")
    if command is None:
        missing("schemathesis is not installed (pip install -e '.[test]')")
    subprocess.run(
        [
            command,
            "run",
            f"{url}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            str(examples),
            "--seed",
            str(seed),
            "--request-timeout",
            "30",
            "--report",
            "json",
            "--report-json-path",
            str(report),
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=report.parent,  # where it keeps its cache of crashes
    )
    return json.loads(report.read_text())


@pytest.mark.network_peer
@pytest.mark.campaign
def test_schemathesis_finds_no_server_error_nor_undocumented_answer(
    app_server, tmp_path, campaign_hours
):
    """Short in CI (a few examples per operation, a fixed seed); with --hours, new seeds
    until the time is up, and the figures of the whole run printed."""
    deadline = time.monotonic() + campaign_hours * 3600 / 3  # a third of a long campaign
    seed, generated, runs = 20261204, 0, 0
    while True:
        report = run_schemathesis(app_server.url, tmp_path / f"run-{runs}.json", 3, seed)
        operations = report["operations"]
        assert operations["tested"] == operations["total"] == operations["selected"]
        assert operations["errored"] == 0 and report["errors"] == []
        assert report["failures"] == [], json.dumps(report["failures"], indent=1)
        generated += report["test_cases"]["generated"]
        runs += 1
        if time.monotonic() >= deadline:
            break
        seed += 1
    assert generated > 10 * operations["total"] * runs  # many requests each, not one
    if campaign_hours:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        figures = {"runs": runs, "requests": generated, "failures": 0}
        (ARTIFACTS / "campaign-schemathesis.json").write_text(json.dumps(figures))
