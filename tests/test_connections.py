"""Connection limits of `smpkg serve` (smpkg.connections), on a live server: what uvicorn
refused with a bare 400 (h11) or never refused (httptools) (issue 13, probe 5 and 6)."""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

pytestmark = pytest.mark.network_peer

LIMITS = [
    "--max-query-string-bytes", "4096", "--max-header-bytes", "2048", "--max-headers", "40",
    "--header-timeout", "1", "--idle-timeout", "1",
]  # fmt: skip


@pytest.fixture(scope="module")
def server(serve, sample_trig):
    return serve(dataset=[sample_trig], workers=1, args=LIMITS)


def exchange(server, head: bytes, limit: float = 10.0) -> tuple[bytes, float]:
    """The status line of the answer to `head`, and how long it took."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", server.port), timeout=limit) as sock:
        # Refused before it was all sent: the answer is waiting all the same.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0], time.perf_counter() - started


def get(target: str, headers: bytes = b"") -> bytes:
    return b"GET " + target.encode() + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"


def test_a_long_query_string_is_413_from_the_service(server):
    """Before: over about 64 KB, h11's bare 400; httptools has no limit."""
    ok, _ = exchange(server, get("/sparql?query=ASK%7B%7D&x=" + "a" * 3000))
    assert b" 200 " in ok
    by_app, _ = exchange(server, get("/sparql?query=ASK%7B%7D&x=" + "a" * 5000))
    assert b" 413 " in by_app
    by_server, seconds = exchange(server, get("/sparql?query=ASK%7B%7D&x=" + "a" * 300_000))
    assert b" 413 " in by_server and seconds < 2


def test_headers_over_their_limits_are_431(server):
    """Before: no limit; a 1 MB Accept header was parsed (0.36 s of the event loop)."""
    line, _ = exchange(server, get("/health", b"Accept: " + b"a" * 3000 + b"\r\n"))
    assert b" 431 " in line
    line, seconds = exchange(server, get("/health", b"Accept: " + b"a" * 1_000_000 + b"\r\n"))
    assert b" 431 " in line and seconds < 2
    many = b"".join(b"x-h%d: 1\r\n" % i for i in range(60))
    line, _ = exchange(server, get("/health", many))
    assert b" 431 " in line


def test_idle_and_half_sent_connections_are_dropped(server):
    """Before: 1,000 connections held for 60 s, none dropped."""
    socks = []
    for i in range(100):
        sock = socket.create_connection(("127.0.0.1", server.port))
        if i % 2:
            sock.sendall(b"GET /health HTT")  # half a request line
        socks.append(sock)
    deadline = time.monotonic() + 10
    open_ones = list(socks)
    while open_ones and time.monotonic() < deadline:
        time.sleep(0.2)
        still = []
        for sock in open_ones:
            sock.setblocking(False)
            try:
                if sock.recv(16) != b"":
                    still.append(sock)
            except BlockingIOError:
                still.append(sock)
            except ConnectionResetError:
                pass
        open_ones = still
    for sock in socks:
        sock.close()
    assert not open_ones, f"{len(open_ones)} of 100 connections still open"
    # A kept-alive connection is closed once idle, too.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(get("/health"))
        started = time.monotonic()
        while sock.recv(65536):
            pass
        assert time.monotonic() - started < 5
