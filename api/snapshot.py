"""The served snapshot: everything a request reads about the data, in one frozen object.

A reload builds a new `Snapshot` off the request path (a worker thread) and swaps it in with
one assignment (`app.state.snapshot = ...`); a request reads it once (`current`), so it never
sees the new engine with the old version, statistics or documents. The documents a snapshot
renders (service description, VoID, ontology pages) are kept in its own bounded cache, keyed
by format and the server's root path: nothing a client can vary at will. A document names
the service's own URL: `SMPKG_PUBLIC_URL` when set; otherwise it is rendered once with a
placeholder (`smpkg.void_product.PLACEHOLDER`, which the build's VoID documents hold too),
and each response puts in the URL the request came to, when that URL is a plain http(s)
origin (anything else gets the configured listen address)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.types import Scope

from smpkg.cache import ResultCache
from smpkg.config import Settings
from smpkg.document_product import ResourceDocuments
from smpkg.explain import Explainer
from smpkg.oxigraph_engine import OxigraphEngine
from smpkg.product_file import StaleProduct
from smpkg.search import SearchIndex
from smpkg.search_product import load_search_index
from smpkg.void_product import PLACEHOLDER

log = logging.getLogger("smpkg.api")

# An origin fit to put into a document as it is: no character that needs escaping in
# Turtle, JSON, XML or HTML.
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)
_PLAIN_HOST = re.compile(r"[A-Za-z0-9.-]+(?::([0-9]{1,5}))?")
DOCUMENT_ENTRIES = 64


def _documents() -> ResultCache:
    return ResultCache(DOCUMENT_ENTRIES, 32 << 20, 16 << 20, size=len)


@dataclass(frozen=True)
class Snapshot:
    """The data a request is answered from, and what is derived from it."""

    settings: Settings
    kg: Any  # the build (None for --dataset files)
    executor: Any  # smpkg.executor.QueryExecutor
    version: str
    mode: str  # "smp" or "dataset"
    dataset_files: tuple[Path, ...]
    dataset_info: dict
    etag_seed: str
    has_named_queries: bool = True
    documents: ResultCache = field(default_factory=_documents, compare=False)
    # What the web app derives once per snapshot (api.app.cache: the search index, the
    # browse tables); a dict so that the frozen snapshot can hold it.
    memo: dict = field(default_factory=dict, compare=False)

    @cached_property
    def explainer(self) -> Explainer | None:
        """Why each inferred statement holds, for the resource pages (None without a
        build); made at its first use, once per snapshot."""
        return Explainer(self.kg) if self.kg is not None else None

    @cached_property
    def stored_search(self) -> SearchIndex | None:
        """The search index the build stored (`smpkg.search_product`), loaded once per
        snapshot; None without a build, or when its index is missing or stale (the app then
        builds one from its search queries). The same with an external store, which must
        hold this build."""
        if self.kg is None:
            return None
        try:
            return load_search_index(self.kg.directory)
        except StaleProduct as exc:
            log.warning("search index built from queries: %s", exc)
            return None

    @cached_property
    def pages(self) -> OxigraphEngine | None:
        """The engine the resource pages ask, in this process: the build's on-disk store,
        opened read-only beside the query workers (the same data they answer from), so that
        a page costs no round trip to a worker. None with an external store (the pages then
        show what that store answers, through the executor) or for --dataset files."""
        if self.explainer is None or self.settings.store_url:
            return None
        return OxigraphEngine(self.explainer.store)

    @cached_property
    def resource_documents(self) -> ResourceDocuments | None:
        """The Turtle documents the build stored (`smpkg.document_product`), for the
        shortest path of `/id/` (`api.document_lane`); None where the resource pages do not
        read the build's store (no build, or an external store: `pages`), when the build has
        none (or of another format), or when the service's row limit could cut a stored
        document. Decided without opening the store, which the stored documents never read."""
        if self.kg is None or self.settings.store_url:
            return None
        try:
            documents = ResourceDocuments(self.kg.directory)
        except StaleProduct as exc:
            log.warning("resource documents read from the store: %s", exc)
            return None
        if self.settings.max_rows < documents.limit:
            documents.close()
            return None
        return documents

    def document(self, key: tuple, render: Callable[[], bytes]) -> bytes:
        """The document under `key`, rendered once per snapshot (bounded cache)."""
        body = self.documents.get(key)
        if body is None:
            body = render()
            self.documents.put(key, body)
        return body


SCOPE_KEY = "smpkg.snapshot"


def current(request: Request) -> Snapshot:
    """The snapshot this request is answered from (`pinned` when the request arrived)."""
    return pinned(request.scope, request.app)


def pinned(scope: Scope, app: Any) -> Snapshot:
    """The snapshot of the request `scope`: read once, at its first use, and kept in the
    scope, so the middleware (ETag seed, response cache) and the handler agree."""
    snapshot = scope.get(SCOPE_KEY)
    if snapshot is None:
        snapshot = scope[SCOPE_KEY] = app.state.snapshot
    return snapshot


def site_url(request: Request) -> str:
    """The service's own base URL: SMPKG_PUBLIC_URL when set, else the origin the request
    came to when it is a plain http(s) origin, else the configured listen address."""
    settings: Settings = request.app.state.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    origin = _plain_origin(request.scope) or f"{request.url.scheme}://{request.url.netloc}"
    if _ORIGIN.fullmatch(origin):
        return origin + request.scope.get("root_path", "")
    return f"http://{settings.host}:{settings.port}" + request.scope.get("root_path", "")


def _plain_origin(scope: Scope) -> str | None:
    """The origin `request.url` would give, read straight from a Host header that is a plain
    name and port (every query names its endpoint URL: building the URL object for it was
    the larger part of the cost); None for any other Host, which `request.url` then reads."""
    scheme = scope.get("scheme", "http")
    if scheme not in ("http", "https"):
        return None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1")
            match = _PLAIN_HOST.fullmatch(host)
            if match is None or (match[1] is not None and int(match[1]) > 65535):
                return None
            return f"{scheme}://{host}"
    return None


def rendered_site(request: Request) -> str:
    """The base URL a cached document is rendered with: the public URL, or the placeholder
    that `localised` replaces."""
    settings: Settings = request.app.state.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return PLACEHOLDER + request.scope.get("root_path", "")


def localised(request: Request, body: bytes) -> bytes:
    """A cached document with the placeholder replaced by this request's `site_url`."""
    if request.app.state.settings.public_url:
        return body
    root = request.scope.get("root_path", "")
    return body.replace((PLACEHOLDER + root).encode(), site_url(request).encode())
