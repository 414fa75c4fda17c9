"""The worker side on its own: typed requests and replies, errors that cross the pipe as
themselves, and an engine's answer serialised in the negotiated format."""

from __future__ import annotations

import pickle

import pytest
from conftest import EX
from rdflib import URIRef

from smpkg.build import open_dataset_engine
from smpkg.errors import (
    DataParseError,
    ParameterError,
    QueryFailed,
    QueryRefused,
    QuerySyntaxError,
    UnsupportedFormat,
    WorkersBusy,
)
from smpkg.worker import InfoRequest, QueryReply, QueryRequest, answer, as_reply


@pytest.mark.parametrize(
    "error",
    [
        DataParseError("data/x.ttl", 4, "bad token"),
        UnsupportedFormat("image/png", ["text/csv", "text/html"]),
        ParameterError("country", "not an IRI"),
        QuerySyntaxError("expected WHERE"),
        QueryRefused("no updates"),
        WorkersBusy("busy"),
    ],
)
def test_errors_pickle_as_themselves(error):
    back = pickle.loads(pickle.dumps(as_reply(error)))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert vars(back) == vars(error)


def test_other_failures_become_query_failed_with_their_first_line():
    reply = as_reply(RuntimeError("engine panicked\nat some/internal/file.rs:12"))
    assert type(reply) is QueryFailed and str(reply) == "engine panicked"
    assert str(as_reply(MemoryError())) == "the query ran out of memory"


def test_requests_and_replies_are_frozen_records():
    request = QueryRequest("ASK {}", bindings={"x": URIRef(EX + "a")}, max_rows=3)
    assert pickle.loads(pickle.dumps(request)) == request
    with pytest.raises(AttributeError):
        request.text = "other"  # type: ignore[misc]
    reply = QueryReply(b"{}", "json", "ASK", False, 0.1)
    assert pickle.loads(pickle.dumps(reply)) == reply


def test_a_worker_answers_each_kind_of_request(sample_trig):
    engine = open_dataset_engine([sample_trig], "oxigraph")
    reply = answer(
        engine,
        QueryRequest(
            f"SELECT ?o WHERE {{ <{EX}item1> ?p ?o }} LIMIT 1",
            accept="text/csv",
            max_rows=10,
        ),
    )
    assert isinstance(reply, QueryReply)
    assert (reply.format_key, reply.form) == ("csv", "SELECT")
    assert reply.body.decode().splitlines()[0] == "o"
    stats = answer(engine, InfoRequest())
    assert isinstance(stats, dict) and stats["default"]["triples"] > 0
    refused = answer(engine, QueryRequest("INSERT DATA { <a:b> <a:c> <a:d> }"))
    assert isinstance(refused, QueryRefused)
    # Workers render no HTML (the service's results page does, api/results.py): a request
    # for it gets the result's data format.
    page = answer(engine, QueryRequest("ASK {}", format_key="html"))
    assert isinstance(page, QueryReply) and page.format_key == "json"
    assert b'"boolean": true' in page.body.replace(b'":true', b'": true')
