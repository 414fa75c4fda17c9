"""How the HTTP server treats connections: the limits uvicorn enforces before the app sees a
request, and a header-read timeout uvicorn lacks.

uvicorn closes a keep-alive connection that stays idle after a response, but not one that
never finishes a request's head: a client that opens a connection and sends nothing, or half
a request line, holds a file descriptor for ever. `HeaderTimeoutProtocol` closes such a
connection once `header_timeout` seconds pass without a complete head.

h11 refuses a head (request line and headers) longer than its buffer, for which uvicorn
answers a bare 400. The buffer is sized to hold the longest query string and headers the app
accepts, so that the app itself answers a query string over its limit with 413 and headers
over theirs with 431; a longer head costs no more than that buffer, and is answered 413 (its
request line is not over yet: the URL is too long) or 431 (its headers are) with a message.
"""

from __future__ import annotations

import asyncio
import os
from http import HTTPStatus
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .config import Settings
from .logs import log_config

# The request line's method, path and version, beyond its query string.
HEAD_SLACK = 8 << 10


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, which closes a connection whose request head is not complete
    within `header_timeout` seconds of its first byte (or of the connection)."""

    # Server processes that uvicorn spawns (`smpkg serve --workers N`) import this class
    # afresh: they read the setting from the environment their parent hands them.
    header_timeout = float(os.environ.get("SMPKG_HEADER_TIMEOUT") or Settings.header_timeout)
    _head_timer: asyncio.TimerHandle | None = None
    _head_bytes = 0  # of the head being read
    _line_done = False  # its request line has ended

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._awaiting_head():
            self._arm()
            self._head_bytes += len(data)
            self._line_done = self._line_done or b"\n" in data
        super().data_received(data)
        if not self._awaiting_head():
            self._disarm()
            self._head_bytes, self._line_done = 0, False

    def send_400_response(self, msg: str) -> None:
        limit = self.config.h11_max_incomplete_event_size
        if not limit or self._head_bytes <= limit:
            super().send_400_response(msg)
            return
        if self._line_done:
            status, text = 431, f"the request headers are over the limit of {limit} bytes"
        else:
            status, text = 413, f"the URL is over the limit of {limit} bytes; POST the query"
        reason = HTTPStatus(status).phrase.encode()
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
        for event in (
            h11.Response(status_code=status, headers=headers, reason=reason),
            h11.Data(data=text.encode() + b"\n"),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _awaiting_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._head_timer is None and self.header_timeout > 0:
            self._head_timer = self.loop.call_later(self.header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expire(self) -> None:
        self._head_timer = None
        if self._awaiting_head() and not self.transport.is_closing():
            self.transport.close()


def protocol_for(settings: Settings, spawned: bool) -> type[HeaderTimeoutProtocol]:
    """The protocol class with this configuration's header timeout (0: none). For spawned
    server processes, the class itself: uvicorn pickles it by name."""
    if spawned:
        return HeaderTimeoutProtocol
    timeout = settings.header_timeout
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": timeout})


def uvicorn_options(settings: Settings, log_level: str, spawned: bool = False) -> dict[str, Any]:
    """Every option `smpkg serve` gives uvicorn beside the app and the address: plain HTTP
    only (no WebSocket protocol to import at start-up), the connection limits, whose
    forwarded headers to believe, and the logs (the `smpkg.access` line replaces uvicorn's)."""
    return {
        "ws": "none",
        "interface": "asgi3",
        "lifespan": "on",
        **server_options(settings, spawned),
        **proxy_options(settings),
        "log_level": log_level,
        "log_config": log_config(log_level),
        "access_log": False,
    }


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn believes X-Forwarded-For and -Proto only from the configured proxies: by
    default it trusts them from 127.0.0.1, so any local client could claim another address."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": settings.trusted_proxies}


def server_options(settings: Settings, spawned: bool = False) -> dict[str, Any]:
    """uvicorn's options for these settings' connection limits; `spawned` for server
    processes that read the settings from the environment."""
    return {
        "http": protocol_for(settings, spawned),
        "h11_max_incomplete_event_size": settings.max_query_string_bytes
        + settings.max_header_bytes
        + HEAD_SLACK,
        "limit_concurrency": settings.max_connections or None,
        "timeout_keep_alive": settings.idle_timeout,
    }
