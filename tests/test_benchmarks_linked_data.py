"""The linked-data benchmark's targets (benchmarks.linked_data.target_rows) and their rows in
the suite's Targets table (benchmarks.report)."""

from __future__ import annotations

from benchmarks.linked_data import DUMP_READS, target_rows
from benchmarks.report import targets

RECORD = {
    "size": "1M",
    "smpkg": {
        "first_turtle_ms": 150.0,
        "turtle": {"p50": 0.9, "server_cpu_ms": 0.8},
        "void_first_ms": 60.0,
        "dump": {
            "mb_per_s": 900.0,
            "first_mb_per_s": 600.0,
            "disk_mb_per_s": 2700.0,
            "direct_mb_per_s": 800.0,
            "peak_rss_server_mb": 130.0,
        },
    },
    "oxigraph": {"turtle": {"p50": 0.5}},
}


def test_each_target_is_judged_against_its_limit():
    verdicts = {target.split(": ", 1)[1]: ok for target, _, ok in target_rows(RECORD)}
    assert verdicts == {
        "first resource page after start < 200 ms": True,
        "resource page (Turtle) p50 < 20 ms": True,
        "resource page p50 ≤ Oxigraph's DESCRIBE p50": False,
        "VoID, first request after start < 50 ms": False,
        "full N-Quads dump ≥ disk speed (O_DIRECT read of the file)": True,
        "server resident memory < 500 MB throughout": True,
    }


def test_a_missing_figure_is_no_verdict():
    rows = target_rows({"size": "1M", "smpkg": {}, "oxigraph": {}})
    assert len(rows) == 6 and all(ok is None for _, _, ok in rows)


def test_the_rows_join_the_targets_table():
    rows = targets({"linked_data": [RECORD]})
    assert [r[0] for r in rows] == [t for t, _, _ in target_rows(RECORD)]
    assert [r[2] for r in rows].count("**not met**") == 2
    assert rows[4][1].startswith(
        f"900.0 MB/s (median of {DUMP_READS}; first 600.0) vs 800.0 MB/s from the disk"
    )
