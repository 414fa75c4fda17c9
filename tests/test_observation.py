"""What the metrics are told about each query (`smpkg.observation`)."""

from __future__ import annotations

import logging

import pytest

from smpkg.errors import EngineCrashed, QueryTimeout, WorkersBusy
from smpkg.observation import Observation, failed_form, outcome
from smpkg.query_text import INLINE_LOOKUP_CHARS


@pytest.mark.parametrize(
    "error,cached,expected",
    [
        (None, False, "ok"),
        (None, True, "cached"),
        (WorkersBusy("busy"), False, "busy"),
        (QueryTimeout("late"), False, "timeout"),
        (EngineCrashed("crashed"), False, "error"),
        (ValueError("other"), False, "error"),
    ],
)
def test_outcomes(error, cached, expected):
    assert outcome(error, cached) == expected


def test_the_observer_hears_form_outcome_seconds_and_error_type():
    heard = []
    observe = Observation(lambda *args: heard.append(args))
    observe("SELECT", None, 0.25)
    observe(None, QueryTimeout("late"), 10.0)
    assert heard == [("SELECT", "ok", 0.25, None), ("unknown", "timeout", 10.0, "QueryTimeout")]


def test_a_failing_observer_is_logged_and_the_query_goes_on(caplog):
    def broken(*_):
        raise RuntimeError("metrics down")

    with caplog.at_level(logging.ERROR, logger="smpkg.executor"):
        Observation(broken)("ASK", None, 0.1)
    assert "query observer failed" in caplog.text and "metrics down" in caplog.text
    Observation(None)("ASK", None, 0.1)  # nobody listening: nothing to do, no error


def test_a_failed_querys_form_is_read_only_from_a_short_text():
    assert failed_form("ASK {}") == "ASK"
    long = "ASK {}" + " " * INLINE_LOOKUP_CHARS
    assert failed_form(long) is None
