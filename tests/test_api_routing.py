"""api/routing.py: endpoints whose path parameters FastAPI does not model."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from api import routing


def test_path_parameters_reach_the_handler_and_the_document():
    router = APIRouter()

    @routing.get_and_head(router, "/files/{version}/{name}", summary="A file")
    async def file(request: Request, version: str, name: str):
        return PlainTextResponse(f"{version}:{name}")

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        assert client.get("/files/1.0/data.ttl").text == "1.0:data.ttl"
        assert client.head("/files/1.0/data.ttl").status_code == 200
        operation = client.get("/openapi.json").json()["paths"]["/files/{version}/{name}"]
    assert set(operation) == {"get"}  # HEAD stays out of the document
    params = operation["get"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in params] == [
        ("version", "path", True),
        ("name", "path", True),
    ]
    assert operation["get"]["summary"] == "A file"


def test_openapi_extra_parameters_are_kept_after_the_path_ones():
    router = APIRouter()
    extra = {"name": "format", "in": "query", "required": False, "schema": {"type": "string"}}

    @routing.get(router, "/things/{name}", openapi_extra={"parameters": [extra]})
    async def thing(request: Request, name: str):
        return PlainTextResponse(name)

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        assert client.get("/things/x").text == "x"
        params = client.get("/openapi.json").json()["paths"]["/things/{name}"]["get"]["parameters"]
    assert [p["name"] for p in params] == ["name", "format"]


def test_every_templated_path_of_the_service_documents_its_parameters(smp_client):
    """Each `{x}` in a documented path is a path parameter of each of its operations."""
    spec = smp_client.get("/openapi.json").json()
    templated = 0
    for path, operations in spec["paths"].items():
        names = set(re.findall(r"{([^}:]+)", path))
        for method, operation in operations.items():
            documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert documented == names, (method, path)
            templated += bool(names)
    assert templated >= 8


def test_the_service_starts_without_pydantic_v1_or_jinja2():
    """What start-up leaves out stays out: no route declares a parameter FastAPI would model
    (its check imports pydantic.v1), and Jinja2 waits for the first HTML page."""
    code = (
        "import json, sys\n"
        "from conftest import smp_settings\n"
        "from api import create_app\n"
        "app = create_app(smp_settings().with_(query_workers=1))\n"
        "app.openapi()\n"
        "app.state.snapshot.executor.close()\n"
        "print(json.dumps({m: m in sys.modules for m in ('pydantic.v1', 'jinja2')}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
        timeout=120,
        check=True,
    )
    assert json.loads(out.stdout.splitlines()[-1]) == {"pydantic.v1": False, "jinja2": False}
