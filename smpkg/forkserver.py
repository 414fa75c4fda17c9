"""The fork server of the query workers: started early, it imports the engines once.

Query workers are never forked from the running server (its threads and sockets would come
along). They are forked from a fork server: a process started afresh with multiprocessing's
"forkserver" method, that imports `PRELOAD` (pyoxigraph, rdflib, the serialisers, the worker
code) and nothing else, then forks one worker per request. A worker then starts in the time
it takes to open its store, instead of the time it takes a new interpreter to import rdflib,
and N workers cost one set of imports, not N.

This module imports nothing heavy, so that `smpkg serve` can call `start()` first thing: the
fork server does its imports on one core while the server does its own on the other.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
from multiprocessing import forkserver

# rdflib's SPARQL parser is not preloaded: the default engine never runs it, and building its
# grammar is a third of the fork server's start. The rdflib engine imports it when it opens,
# an oxigraph worker at the first text it cannot parse (to tell an update from an error).
PRELOAD = [
    "smpkg.worker",
    "smpkg.formats",
    "smpkg.oxigraph_engine",
    "smpkg.disk_store",
    "pyoxigraph",
    "rdflib.plugins.serializers.turtle",
    "rdflib.plugins.serializers.nt",
    "rdflib.plugins.serializers.nquads",
    "rdflib.plugins.serializers.trig",
    "rdflib.plugins.serializers.jsonld",
    "rdflib.plugins.serializers.rdfxml",
]


def context() -> multiprocessing.context.BaseContext:
    """The "forkserver" context, with the fork server told what to preload (it starts on the
    first call to `start()` or on the first worker)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start() -> multiprocessing.context.BaseContext:
    """Start the fork server now, in the background (it preloads while the caller goes on)."""
    ctx = context()
    forkserver.ensure_running()
    return ctx
