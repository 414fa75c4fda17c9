"""The whole command line (api.cli, the `smpkg` entry point): the core's data commands and
`smpkg serve`, which only the service's layer adds (the core's smpkg.cli knows no `serve`)."""

import subprocess
import sys
from pathlib import Path

import pytest

from api import cli
from smpkg import cli as core


def _exit_status(main, argv: list[str]) -> int | str | None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    return stopped.value.code


def test_the_entry_point_lists_serve_with_the_data_commands(capsys):
    assert _exit_status(cli.main, ["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("build", "query", "publish", "serve"))


def test_serve_help(capsys):
    assert _exit_status(cli.main, ["serve", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--workers N" in out and "--max-headers N" in out and "--log-level" in out


def test_the_core_command_line_does_not_know_serve(capsys):
    assert _exit_status(core.main, ["serve"]) == 2
    assert "invalid choice: 'serve'" in capsys.readouterr().err


def test_a_refused_serve_is_one_line_and_exit_2(project, tmp_path, monkeypatch, capsys):
    """serve's errors are handled by the core's `main`, as every command's: a cache directory
    under a file is refused before any work (`--workers 2`, so that this process starts no
    fork server)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SMPKG_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("SMPKG_DATASET", raising=False)
    assert cli.main(["--root", str(project.root), "serve", "--workers", "2"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("smpkg: error: the cache directory ")


def test_the_command_line_loads_no_event_loop_machinery():
    """Every `smpkg` command imports the `api` package (this entry point lives in it); asyncio
    was 30 of its 39 ms of imports, and only `serve` needs it, which imports it itself."""
    code = "import sys, api.cli; print('asyncio' in sys.modules)"
    root = Path(__file__).resolve().parent.parent
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False"
