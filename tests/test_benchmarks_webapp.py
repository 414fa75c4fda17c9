"""The web app benchmark's logic (benchmarks/search.py, pages.py, webapp_report.py) on small
known inputs: the query mix, the percentiles and the README section. Nothing is timed."""

from __future__ import annotations

import random

import pytest

from benchmarks.pages import summary
from benchmarks.search import MIX, query_mix, typo
from benchmarks.webapp import failure_reason
from benchmarks.webapp_report import BEGIN, END, render, search_target_ms, update_readme
from smpkg.search import key, within_one_edit

NAMES = [
    "THAMM",
    "PALIM",
    "IOM-MATCH",
    "Towards a Holistic Approach to Labour Migration Governance",
    "Nurses for Germany",
    "Skills Partnership for Mobility",
    "Île-de-France",
]


def test_a_typo_is_one_edit_from_the_name_and_never_the_name_itself():
    rng = random.Random(1)
    for _ in range(500):
        name = rng.choice(NAMES)
        wrong = typo(name, rng)
        assert wrong != name
        assert within_one_edit(key(name), key(wrong)), (name, wrong)
        assert wrong[0] == name[0]  # the first letter is left alone


def test_the_mix_has_each_kind_in_its_share_drawn_from_the_names():
    queries = query_mix(NAMES, seed=0, count=200)
    assert len(queries) == 200
    counts = {kind: sum(q.kind == kind for q in queries) for kind in MIX}
    assert counts == {kind: round(share * 200) for kind, share in MIX.items()}
    for q in queries:
        if q.kind == "acronym":
            assert q.text in {"THAMM", "PALIM", "IOM-MATCH"}
        elif q.kind == "label":
            assert q.text in NAMES and " " in q.text
        elif q.kind == "prefix":
            assert len(q.text) >= 2 and any(n.startswith(q.text) for n in NAMES)
        elif q.kind == "typo":
            assert any(within_one_edit(key(n), key(q.text)) for n in NAMES)
    assert query_mix(NAMES, seed=0, count=200) == queries  # the seed decides


def test_summary_is_the_median_and_the_nearest_rank_p95():
    assert summary(list(range(1, 21))) == {"n": 20, "median": 10.5, "p95": 19, "min": 1, "max": 20}
    assert summary([5.0, 1.0, 3.0])["p95"] == 5.0
    assert summary([2.0]) == {"n": 1, "median": 2.0, "p95": 2.0, "min": 2.0, "max": 2.0}


def test_the_target_is_20_ms_curated_and_100_ms_at_a_million():
    assert search_target_ms(20_909) == 20
    assert search_target_ms(999_622) == 100


def _percentiles(p99: float) -> dict[str, float]:
    return {"n": 10, "mean_ms": 1.0, "p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": p99, "max_ms": p99}


def _size(label: str, triples: int, p99: float, cpu_p99: float) -> dict:
    timing = {"n": 9, "median": 100.0, "p95": 150.0, "min": 90.0, "max": 160.0}
    first = {"ttfb_ms": 5.0, "dcl_ms": 50.0, "load_ms": 60.0, "ready_ms": None}
    return {
        "size": label,
        "data_triples": triples,
        "search": {
            "entries": 5,
            "names": 7,
            "index_build_seconds": 0.5,
            "index": _percentiles(0.1),
            "request": _percentiles(p99),
            "request_cpu": _percentiles(cpu_p99),
            "index_by_kind": {"typo": _percentiles(0.2)},
            "request_by_kind": {"typo": _percentiles(p99)},
        },
        "search_http": {
            "first_request_seconds": 0.7,
            "request": _percentiles(3.0),
            "request_by_kind": {"typo": _percentiles(3.0)},
            "server_cpu_ms_per_query": 0.8,
        },
        "pages": {
            "home": {
                "path": "/",
                "first": first,
                "statuses": [200],
                "off_host_requests": 0,
                "ttfb_ms": timing,
                "dcl_ms": timing,
                "load_ms": timing,
            }
        },
    }


def test_the_tables_judge_the_request_p99_against_the_size_target():
    results = {
        "started": "2026-12-04T20:00:00Z",
        "seconds": 10,
        "loadavg_before": [1.0, 1.0, 1.0],
        "loadavg_after": [2.0, 2.0, 2.0],
        "machine": {
            "cpu": "AMD EPYC",
            "cores": 2,
            "memory_gb": 23.5,
            "os": "Linux",
            "python": "3.11",
        },
        "sizes": [_size("curated", 20_909, 25.0, 5.0), _size("1M", 999_622, 60.0, 70.0)],
    }
    tables = render(results)
    rows = {line.split("|")[1].strip(): line for line in tables.splitlines() if "< " in line}
    assert rows["curated"].rstrip(" |").endswith("**missed** / **met**")
    assert rows["1M"].rstrip(" |").endswith("**met** / **met**")
    assert "| 1M | home (`/`) | 5.0 / 50.0 / 60.0 | 100 / 150 |" in tables
    assert "shared with other jobs" in tables


def test_the_readme_section_is_replaced_between_its_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n\n{BEGIN}\nold tables\n{END}\n\nafter\n")
    update_readme("new tables\n", readme)
    text = readme.read_text()
    assert "old tables" not in text
    assert text.startswith("# Title\n\nbefore\n\n")
    assert text.endswith(f"{BEGIN}\n\nnew tables\n\n{END}\n\nafter\n")
    readme.write_text("no markers")
    with pytest.raises(ValueError):
        update_readme("x", readme)


def test_a_search_that_failed_is_a_missed_row_with_its_message():
    failed = _size("1M", 999_622, 1.0, 1.0)
    failed["search"] = {"error": "the query ran past the 10 s deadline"}
    results = {
        "started": "2026-12-04T20:00:00Z",
        "loadavg_before": [1.0, 1.0, 1.0],
        "machine": {"cpu": "AMD EPYC", "cores": 2, "memory_gb": 23.5, "os": "L", "python": "3"},
        "sizes": [failed],
    }
    row = next(line for line in render(results).splitlines() if line.startswith("| 1M | 999,622"))
    assert "failed: the query ran past the 10 s deadline" in row
    assert row.rstrip(" |").endswith("**missed**")


def test_a_failed_run_is_reported_by_smpkg_s_own_error_not_the_broken_pipe_after_it():
    stderr = (
        "Traceback (most recent call last):\n"
        "smpkg.errors.QueryTimeout: the query ran past the 10 s deadline and was stopped\n"
        "Process smpkg-query-worker:\n"
        "BrokenPipeError: [Errno 32] Broken pipe\n"
    )
    assert failure_reason(stderr).startswith("smpkg.errors.QueryTimeout: the query ran past")
    assert failure_reason("ValueError: x\n\n") == "ValueError: x"
    assert failure_reason("") == "failed"
