"""The dumps' statements (smpkg.dumps): the build's N-Triples files rewritten in blocks, each
line as it is and as an N-Quads line in its graph, whatever falls on a block's edge."""

from __future__ import annotations

from smpkg import dumps

LINES = [
    '<http://ex.org/a> <http://ex.org/p> "ends with a dot ." .',
    '<http://ex.org/a> <http://ex.org/q> "two lines:\\nsecond ." .',
    "_:b1 <http://ex.org/p> <http://ex.org/c> .",
    '<http://ex.org/c> <http://ex.org/p> "x"@en .',
]


def test_blocks_are_whole_lines_in_their_graph(tmp_path, monkeypatch):
    first, second = tmp_path / "one.nt", tmp_path / "two.nt"
    first.write_text("".join(line + "\n" for line in LINES), encoding="utf-8")
    # The last line without its newline, as a file written by hand might end.
    second.write_text("\n".join(LINES), encoding="utf-8")
    files = {first: "http://ex.org/g1", second: "http://ex.org/g2"}
    monkeypatch.setattr(dumps, "_BLOCK", 7)  # a block edge falls inside every line
    expected_nt = [line + "\n" for line in LINES] * 2
    expected_nq = [line[:-2] + f" <{g}> .\n" for g in files.values() for line in LINES]
    blocks = list(dumps._statements(files, quads=False))
    assert all(b.endswith(b"\n") for b in blocks)
    assert b"".join(blocks).decode().splitlines(keepends=True) == expected_nt
    quads = b"".join(dumps._statements(files, quads=True)).decode()
    assert quads.splitlines(keepends=True) == expected_nq
