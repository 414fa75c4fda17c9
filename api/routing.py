"""Registering routes whose path parameters FastAPI does not model.

FastAPI builds a pydantic field for every parameter an endpoint declares, and the first one
imports `pydantic.v1` to check it against the old model classes: together a sizeable share
of the service's start-up, for parameters that are plain path segments. So an endpoint here
keeps its readable signature (`request`, then the path's parameters as strings), FastAPI sees
only `request`, the values come from `request.path_params`, and the OpenAPI document still
lists each path parameter."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request


def _path_parameter(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "title": name.capitalize()},
    }


def by_path(fn: Callable) -> tuple[Callable, dict[str, Any]]:
    """The async handler `fn(request, **path_params)` as an endpoint taking the request
    alone, and the `openapi_extra` that documents its path parameters."""
    names = [n for n in inspect.signature(fn).parameters if n != "request"]
    if not names:
        return fn, {}

    async def endpoint(request: Request):
        return await fn(request, **request.path_params)

    endpoint.__name__ = fn.__name__
    endpoint.__qualname__ = fn.__qualname__
    endpoint.__doc__ = fn.__doc__
    endpoint.__module__ = fn.__module__
    return endpoint, {"parameters": [_path_parameter(n) for n in names]}


def _merged(extra: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    given = dict(kwargs.pop("openapi_extra", None) or {})
    if extra:
        given["parameters"] = extra["parameters"] + list(given.get("parameters", []))
    return given


def get(router: APIRouter, path: str, **kwargs):
    """`router.get(path)`, with the path parameters taken as above."""

    def register(fn):
        endpoint, extra = by_path(fn)
        router.add_api_route(
            path, endpoint, methods=["GET"], openapi_extra=_merged(extra, kwargs) or None, **kwargs
        )
        return fn

    return register


def get_and_head(router: APIRouter, path: str, **kwargs):
    """GET in the OpenAPI document, HEAD beside it (one operation id each)."""

    def register(fn):
        endpoint, extra = by_path(fn)
        openapi_extra = _merged(extra, kwargs) or None
        router.add_api_route(path, endpoint, methods=["GET"], openapi_extra=openapi_extra, **kwargs)
        router.add_api_route(path, endpoint, methods=["HEAD"], include_in_schema=False)
        return fn

    return register
