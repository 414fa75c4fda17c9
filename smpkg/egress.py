"""The query workers' egress wall in the external-store mode, where they must reach the store
and so cannot live in an empty network namespace: an audit hook (PEP 578) that refuses every
connection and every name lookup except the store's own. Python raises the audit event before
the system call, so a refused connection never leaves the process; the hook cannot be removed
once added. The query guard stays the first wall (it refuses SERVICE, LOAD, updates); this one
holds if the guard ever lets something through."""

from __future__ import annotations

import socket
import sys
from urllib.parse import urlsplit


class EgressRefused(PermissionError):
    """A connection to anywhere but the external store."""


def store_addresses(url: str) -> tuple[str, frozenset[tuple[str, int]]]:
    """The store's host name, and every (address, port) it resolves to now."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    found = {(host, port)}
    for *_, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        found.add((str(address[0]), port))
    return host, frozenset(found)


def restrict_egress(url: str) -> str:
    """Allow this process to connect only to the store at `url`; says what it did."""
    host, allowed = store_addresses(url)
    ports = {port for _, port in allowed}

    def hook(event: str, args: tuple) -> None:
        if event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple) and (str(address[0]), address[1]) not in allowed:
                raise EgressRefused(f"egress to {address[0]}:{address[1]} is not allowed")
        elif event == "socket.getaddrinfo":
            name, port = args[0], args[1]
            if name not in (host, *(a for a, _ in allowed)) or (port and int(port) not in ports):
                raise EgressRefused(f"name lookups other than the store's are not allowed: {name}")

    sys.addaudithook(hook)
    return f"egress only to the external store ({host})"
