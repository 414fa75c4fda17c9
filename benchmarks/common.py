"""Sizes, temporary project roots, measured subprocesses, free ports and the machine."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from rdflib import Graph

from smpkg.queries import load_named_queries

from .synthetic import scale_for, write_turtle

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Size:
    """`curated` (the repository's own data), `Nx` (N times its size) or a number of data
    triples (`2k`, `20k`, `1M`)."""

    label: str
    scale: float | None = None  # None: the curated data itself
    triples: int | None = None  # the target, when given as a number of triples

    @property
    def curated(self) -> bool:
        return self.scale is None and self.triples is None


def parse_size(text: str) -> Size:
    text = text.strip()
    if text.lower() in ("curated", "real"):
        return Size("curated")
    match = re.fullmatch(r"([\d.]+)\s*x", text, re.IGNORECASE)
    if match:
        return Size(text.lower(), scale=float(match.group(1)))
    match = re.fullmatch(r"([\d.]+)\s*([kKmM]?)", text)
    if match:
        factor = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
        return Size(text, triples=int(float(match.group(1)) * factor))
    raise ValueError(f"not a size: {text!r} (use curated, 10x, 20k, 1M)")


def parse_sizes(text: str) -> list[Size]:
    return [parse_size(t) for t in text.split(",") if t.strip()]


# --------------------------------------------------------------------------- projects


@dataclass
class Project:
    """A temporary project root: the repository's ontology/ and queries/, and data/."""

    size: Size
    root: Path
    data_triples: int
    scale: float | None
    mapping: dict = field(default_factory=dict)  # curated IRI -> synthetic counterpart
    generate_seconds: float = 0.0

    @property
    def cache(self) -> Path:
        return self.root / ".cache" / "smpkg"

    def env(self, **extra: str) -> dict:
        """The environment for an smpkg subprocess on this project (no SMPKG_ leaks in)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMPKG_")}
        env.update(
            {
                "SMPKG_ROOT": str(self.root),
                "SMPKG_CACHE_DIR": str(self.cache),
                "PYTHONPATH": str(REPO),
            }
        )
        env.update(extra)
        return env


def example_iris() -> list[str]:
    """The IRIs the named queries use as examples (they need a synthetic counterpart)."""
    out = []
    for query in load_named_queries(REPO / "queries").values():
        for param in query.params:
            if param.type == "iri" and param.example:
                out.append(str(param.bind(str(param.example))))
    return sorted(set(out))


def make_project(size: Size, work: Path, seed: int) -> Project:
    """Write (or reuse) the project root for a size under `work`."""
    root = work / re.sub(r"[^A-Za-z0-9.]+", "-", size.label)
    meta_path = root / "project.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("seed") == seed and meta.get("label") == size.label:
            # The generated data is kept; the ontology, shapes, checks and queries are the
            # repository's as they are now, and so is the curated data.
            for folder in ("ontology", "queries") + (("data",) if size.curated else ()):
                shutil.rmtree(root / folder, ignore_errors=True)
                shutil.copytree(REPO / folder, root / folder)
            return Project(
                size,
                root,
                meta["data_triples"],
                meta["scale"],
                meta["mapping"],
                meta.get("generate_seconds", 0.0),
            )
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    for folder in ("ontology", "queries"):
        shutil.copytree(REPO / folder, root / folder, dirs_exist_ok=True)
    started = time.perf_counter()
    if size.curated:
        shutil.copytree(REPO / "data", root / "data", dirs_exist_ok=True)

        graph = Graph()
        for path in sorted((root / "data").rglob("*.ttl")):
            graph.parse(path, format="turtle")
        data_triples, scale, mapping = len(graph), None, {}
    else:
        scale = size.scale if size.scale is not None else scale_for(size.triples)
        (root / "data").mkdir(exist_ok=True)
        say(f"generating {size.label} (scale {scale:.3f}) in {root}")
        syn = write_turtle(root / "data" / "synthetic.ttl", scale, seed)
        data_triples = syn.triples
        mapping = {iri: str(syn.counterpart(iri)) for iri in example_iris()}
    seconds = time.perf_counter() - started
    meta = {
        "label": size.label,
        "seed": seed,
        "scale": scale,
        "data_triples": data_triples,
        "mapping": mapping,
        "generate_seconds": round(seconds, 3),
    }
    meta_path.write_text(json.dumps(meta, indent=2))
    return Project(size, root, data_triples, scale, mapping, seconds)


# --------------------------------------------------------------------------- processes


@dataclass
class Measured:
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float
    timed_out: bool
    cpu_seconds: float = 0.0  # user + system of the child and the children it waited for

    def json_lines(self) -> list[dict]:
        out = []
        for line in self.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                # A line of the measured program's own output that merely starts like JSON.
                with contextlib.suppress(json.JSONDecodeError):
                    out.append(json.loads(line))
        return out


def run_measured(
    cmd: list[str], timeout: float, env: dict | None = None, cwd: Path | None = None
) -> Measured:
    """Run a command to completion (or kill its process group at `timeout`), with its wall
    time and peak memory (ru_maxrss of that very child, from wait4)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd or REPO,
        start_new_session=True,
    )
    out: list[str] = []
    err: list[str] = []
    readers = [
        threading.Thread(target=lambda s=s, b=b: b.extend(s), daemon=True)
        for s, b in ((proc.stdout, out), (proc.stderr, err))
    ]
    for r in readers:
        r.start()
    timed_out = False
    status = rusage = None
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - started > timeout:
            timed_out = True
            _kill_group(proc.pid)
            pid, status, rusage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    for r in readers:
        r.join(timeout=5)
    return Measured(
        proc.returncode,
        "".join(out),
        "".join(err),
        seconds,
        rusage.ru_maxrss / 1024,
        timed_out,
        round(rusage.ru_utime + rusage.ru_stime, 3),
    )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (from /proc), the process first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    total = 0.0
    for current in process_tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat): what requests cost a
    server, whatever else the machine is doing."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- the machine


def _pkg(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    tools = {}
    for tool, args in (("wrk", ["wrk", "-v"]), ("oxigraph", ["oxigraph", "--version"])):
        try:
            text = subprocess.run(args, capture_output=True, text=True, timeout=10)
            first = (text.stdout or text.stderr).strip().splitlines()
            tools[tool] = first[0] if first else None
        except (OSError, subprocess.TimeoutExpired):
            tools[tool] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": {
            n: _pkg(n)
            for n in (
                "rdflib",
                "pyoxigraph",
                "oxigraph",
                "owlrl",
                "pyshacl",
                "fastapi",
                "starlette",
                "uvicorn",
                "rdflib-endpoint",
                "matplotlib",
            )
        },
        "tools": tools,
    }
