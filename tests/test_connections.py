"""Connection limits of `smpkg serve` (smpkg.connections), on a live server: what uvicorn
refused with a bare 400 (h11) or never refused (httptools) (issue 13, probe 5 and 6)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

import pytest

from smpkg.connections import OneWrite

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


class _Recorder:
    """A transport that keeps what is written to it."""

    def __init__(self):
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


def test_a_response_goes_out_in_one_write():
    loop = asyncio.new_event_loop()
    try:
        sent = _Recorder()
        transport = OneWrite(sent, loop)  # type: ignore[arg-type]
        transport.write(HEAD)
        assert sent.writes == []
        transport.write(b"ok")
        assert sent.writes == [HEAD + b"ok"]
        # A head whose body does not follow in the loop's turn (a stream, HEAD) goes alone.
        transport.write(HEAD)
        loop.run_until_complete(asyncio.sleep(0))
        assert sent.writes[-1] == HEAD
        # 100 Continue is never held: the client waits for it before sending the body.
        transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        assert sent.writes[-1] == b"HTTP/1.1 100 Continue\r\n\r\n"
        transport.write(HEAD)
        transport.close()
        assert sent.writes[-1] == HEAD and sent.closed
    finally:
        loop.close()


def test_heads_and_bodies_arrive_whole_over_keep_alive(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        stream = sock.makefile("rb")
        for _ in range(3):
            sock.sendall(get("/health"))
            status = stream.readline()
            assert status.startswith(b"HTTP/1.1 200")
            length = 0
            while (line := stream.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert length > 0 and b'"status"' in stream.read(length)
        sock.sendall(b"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert stream.readline().startswith(b"HTTP/1.1 200")
        while stream.readline() != b"\r\n":
            pass
        sock.sendall(get("/health"))  # nothing of the HEAD's body came before this answer
        assert stream.readline().startswith(b"HTTP/1.1 200")
