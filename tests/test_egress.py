"""The egress wall of the external-store mode: a worker connects to the store and nowhere
else. Each case runs in a fresh interpreter, since an audit hook lasts as long as its
process."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

from conftest import ROOT


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


PROBE = """
import socket, sys, urllib.request
from smpkg.egress import EgressRefused, restrict_egress
print(restrict_egress("http://127.0.0.1:{store}/sparql"))
socket.create_connection(("127.0.0.1", {store}), timeout=5).close()
print("store: reached")
for target in (("127.0.0.1", {other}), ("::1", {store}), ("10.0.0.1", 80)):
    try:
        socket.create_connection(target, timeout=5).close()
        print("LEAK", target)
    except EgressRefused:
        print("refused", target)
try:
    urllib.request.urlopen("http://127.0.0.1:{other}/", timeout=5)
    print("LEAK urlopen")
except Exception as exc:
    print("refused urlopen", type(exc).__name__)
try:
    socket.getaddrinfo("example.org", 80)
    print("LEAK lookup")
except EgressRefused:
    print("refused lookup")
"""


def test_a_worker_reaches_the_store_and_nothing_else():
    store, other = Listener(), Listener()
    try:
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(store=store.port, other=other.port)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=True,
        ).stdout
        time.sleep(0.3)
    finally:
        store.close()
        other.close()
    assert "egress only to the external store (127.0.0.1)" in out
    assert "store: reached" in out and store.accepted == 1
    assert "LEAK" not in out, out
    assert out.count("refused") == 5, out
    assert other.accepted == 0
