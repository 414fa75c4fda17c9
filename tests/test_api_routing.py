"""How the service registers its routes (FastAPI, see api/__init__.py): every templated path
documents its parameters, HEAD rides along with GET, and start-up leaves Jinja2 out."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

from fastapi.routing import APIRoute, APIRouter

import api


def test_get_routes_answer_head_and_document_only_get(smp_client):
    """A resource route answers HEAD too, and the OpenAPI document lists its GET alone, with
    its path parameter."""
    spec = smp_client.get("/openapi.json").json()
    operations = spec["paths"]["/download/{name}"]
    assert set(operations) == {"get"}
    params = operations["get"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in params if p["in"] == "path"] == [
        ("name", "path", True)
    ]
    assert smp_client.head("/ontology").status_code == 200


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


def test_the_service_starts_without_jinja2_or_pydantic_v1():
    """What start-up leaves out stays out: Jinja2 waits for the first HTML page, and no route
    declares a path parameter (FastAPI would build a pydantic model for each, and import
    pydantic.v1 for the first); the handlers read `request.path_params`."""
    code = (
        "import json, sys\n"
        "from conftest import smp_settings\n"
        "from api import create_app\n"
        "app = create_app(smp_settings().with_(query_workers=1))\n"
        "app.openapi()\n"
        "app.state.snapshot.executor.close()\n"
        "print(json.dumps({'jinja2': 'jinja2' in sys.modules,"
        " 'pydantic.v1': 'pydantic.v1' in sys.modules}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
        timeout=120,
        check=True,
    )
    assert json.loads(out.stdout.splitlines()[-1]) == {
        "jinja2": False,
        "pydantic.v1": False,
    }


def _routers() -> list[APIRouter]:
    """The router of every module of `api` that has one (found, not listed by hand)."""
    names = [m.name for m in pkgutil.walk_packages(api.__path__, "api.")]
    found = [getattr(importlib.import_module(n), "router", None) for n in names]
    return [r for r in found if isinstance(r, APIRouter)]


def test_no_handler_declares_a_path_parameter():
    """Every handler of a templated path reads `request.path_params` (start-up time: see
    api/__init__.py); api.openapi documents the parameters from the paths."""
    routes = [r for router in _routers() for r in router.routes if isinstance(r, APIRoute)]
    declared = [(r.path, p.name) for r in routes for p in r.dependant.path_params]
    assert declared == []
    assert sum("{" in r.path for r in routes) >= 15
