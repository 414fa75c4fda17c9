"""How the HTTP server treats connections: the limits uvicorn enforces before the app sees a
request, and the two it lacks.

The server speaks HTTP/1.1 through uvicorn's httptools protocol (llhttp, in C: about a seventh
less CPU per request than h11 here). llhttp bounds neither a request's head nor the time it
takes to arrive, so `LimitedHeadProtocol` adds both:

- a connection whose request head is not complete within `header_timeout` seconds of its
  first byte (or of the connection) is closed: a client that sends nothing, or half a request
  line, would otherwise hold a file descriptor for ever;
- a head still incomplete after `limit` bytes (the longest query string and headers the app
  accepts, plus the request line) is answered 413 (its request line is not over yet: the URL
  is too long) or 431 (its headers are) with a message, and the connection closed, so that a
  head costs at most that limit and one read. A head that ends within the limit reaches the
  app, which answers a query string or headers over their own limits with 413 and 431.

And a response goes out in one write where uvicorn makes two (`OneWrite`): about a tenth
more stored resource documents a second, measured.
"""

from __future__ import annotations

import asyncio
import os
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .config import Settings
from .logs import log_config

# The request line's method, path and version, beyond its query string.
HEAD_SLACK = 8 << 10


class LimitedHeadProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bound on a request head's bytes and on the time it
    takes to arrive (`header_timeout`, 0: none)."""

    # Server processes that uvicorn spawns (`smpkg serve --workers N`) import this class
    # afresh: they read the setting from the environment their parent hands them.
    header_timeout = float(os.environ.get("SMPKG_HEADER_TIMEOUT") or Settings.header_timeout)
    _head_timer: asyncio.TimerHandle | None = None
    _in_head = True  # the parser is reading a head (or waiting for one)
    _head_bytes = 0  # received since the head began, counted a read at a time
    _line_done = False  # its request line has ended
    _one_write: OneWrite  # the connection's responses go out through it

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._one_write = OneWrite(transport, self.loop)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._arm()
            self._head_bytes += len(data)
            self._line_done = self._line_done or b"\n" in data
        super().data_received(data)
        limit = self.config.h11_max_incomplete_event_size
        if self._in_head and limit and self._head_bytes > limit and not self.transport.is_closing():
            self._refuse(limit)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm()
        super().on_headers_complete()
        self.cycle.transport = self._one_write

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes, self._line_done = True, 0, False

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _refuse(self, limit: int) -> None:
        if self._line_done:
            status, text = 431, f"the request headers are over the limit of {limit} bytes"
        else:
            status, text = 413, f"the URL is over the limit of {limit} bytes; POST the query"
        body = text.encode() + b"\n"
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            "content-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self._disarm()
        self.transport.write(head.encode() + body)
        self.transport.close()

    def _awaiting_head(self) -> bool:
        # Not while a response is owed: a request whose answer takes long is no slow head.
        return self._in_head and (self.cycle is None or self.cycle.response_complete)

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


class OneWrite(asyncio.Transport):
    """The transport a response is written to: a response's head is held until its body
    comes, and both go out in one write. uvicorn writes the head and the body apart, two
    system calls and two TCP segments where one does; a body that does not follow within
    the event loop's turn (a stream) finds the head already sent."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held is not None:
            data, self._held = self._held + data, None
        elif (
            isinstance(data, bytes)
            and data.startswith(b"HTTP/1.1 ")
            and not data.startswith(b"HTTP/1.1 1")
        ):
            # A final response's head (never an interim 100 Continue, which a client
            # waits for before it sends the body).
            self._held = data
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._held is not None:
            data, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()


def protocol_for(settings: Settings, spawned: bool) -> type[LimitedHeadProtocol]:
    """The protocol class with this configuration's header timeout (0: none). For spawned
    server processes, the class itself: uvicorn pickles it by name."""
    if spawned:
        return LimitedHeadProtocol
    timeout = settings.header_timeout
    return type("LimitedHeadProtocol", (LimitedHeadProtocol,), {"header_timeout": timeout})


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
        # uvicorn's option for the longest incomplete head is named for h11, but its config
        # reaches every server process: LimitedHeadProtocol reads its limit from there.
        "h11_max_incomplete_event_size": settings.max_query_string_bytes
        + settings.max_header_bytes
        + HEAD_SLACK,
        "limit_concurrency": settings.max_connections or None,
        "timeout_keep_alive": settings.idle_timeout,
    }
