"""The HTTP benchmark's rounds: how a load test's duration is cut into wrk runs
(benchmarks.http.round_plan), and several runs of one server reported as one (combined)."""

from __future__ import annotations

from benchmarks.http import ROUNDS, combined, round_plan


def _round(requests: int, seconds: float, p50: float, p99: float, errors: int = 0) -> dict:
    return {
        "connections": 4,
        "requests": requests,
        "rps": round(requests / seconds, 1),
        "p50_ms": p50,
        "p99_ms": p99,
        "errors": errors,
        "error_detail": {"status": errors, "timeout": 0},
        "seconds": seconds,
        "loadavg_1min_after": 1.0 + errors,
    }


def test_rounds_add_up_to_one_run():
    run = combined([_round(3000, 5.0, 1.0, 4.0), _round(1000, 5.0, 2.0, 8.0, errors=2)])
    assert run["requests"] == 4000 and run["seconds"] == 10.0
    assert run["rps"] == 400.0  # over both rounds, not the mean of 600 and 200 alone
    assert run["p50_ms"] == 1.25 and run["p99_ms"] == 5.0  # weighted by requests
    assert run["errors"] == 2 and run["error_detail"] == {"status": 2, "timeout": 0}
    assert run["rounds_rps"] == [600.0, 200.0]
    assert run["connections"] == 4 and run["loadavg_1min_after"] == 3.0


def test_rounds_without_requests_keep_the_worst_latency():
    run = combined([_round(0, 5.0, 0.0, 0.0), _round(0, 5.0, 30.0, 30.0)])
    assert run["rps"] == 0.0 and run["p99_ms"] == 30.0


def test_a_load_test_is_cut_into_rounds_of_whole_seconds():
    assert round_plan(10.0) == (ROUNDS, 10 // ROUNDS)
    assert round_plan(2.0) == (2, 1)  # the quick run: as many rounds as whole seconds
    assert round_plan(0.5) == (1, 1)  # never less than one second, which wrk would refuse
    for duration in (1.0, 3.0, 7.5, 10.0, 60.0):
        rounds, seconds = round_plan(duration)
        assert 1 <= rounds <= ROUNDS and seconds >= 1 and rounds * seconds <= max(1, duration)
