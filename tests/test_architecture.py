"""The shape of the code, checked with `ast`: layers point one way (`smpkg` never imports
`api`), no import cycles in `smpkg/` or `api/`, and every module and function small enough to
read in one sitting (600 and 80 lines)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from smpkg.namespaces import GRAPH_FILES

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("smpkg", "api")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def modules(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _packages_above(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that `name` imports, anywhere in its body (deferred imports
    too), except under `if TYPE_CHECKING:`; with them the packages above each, whose
    `__init__` Python runs first, unless `name` lies inside that package (then it is already
    being imported)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    skipped = {
        id(n) for node in ast.walk(tree) if _type_checking_only(node) for n in ast.walk(node)
    }
    targets: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            subs = {f"{base}.{alias.name}" for alias in node.names} & known
            # `from package import module` loads the package first, as any import of a
            # module does: an edge to the module, not to the package's __init__.
            targets.update(subs)
            if len(subs) < len(node.names):
                targets.add(base)
    found = set()
    own = _packages_above(name)
    for target in targets:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target:
            found.add(target)
            found.update(p for p in _packages_above(target) if p in known and p not in own)
    found.discard(name)
    return found


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    mods = modules(root, packages)
    return {name: imported(name, path, set(mods)) for name, path in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checks_see_a_cycle_and_a_layer_breach():
    """The checks themselves: a made-up graph with a cycle is caught."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_a_cycle_through_a_packages_init_is_seen(tmp_path):
    """Importing `p.app.assets` runs `p/app/__init__.py` first: when that imports the
    importer back, the modules form a cycle though no module names the other (as `api.app`
    and `api.results` did before the web app's routes left `api/app/__init__.py`)."""
    files = {
        "p/__init__.py": "",
        "p/app/__init__.py": "from p.results import table\n",
        "p/app/assets.py": "STATIC = 'static'\n",
        "p/app/pages.py": "from .assets import STATIC\nfrom p import results\n",
        "p/results.py": "from p.app.assets import STATIC\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path, ("p",))
    assert graph["p.results"] == {"p.app", "p.app.assets"}
    # Inside its own package, a module's import of a sibling runs no other __init__.
    assert graph["p.app.pages"] == {"p.app.assets", "p.results"}
    assert cycles(graph) == [["p.app", "p.results"]]


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_smpkg_never_imports_api():
    breaches = {
        name: sorted(t for t in targets if t == "api" or t.startswith("api."))
        for name, targets in import_graph().items()
        if name.startswith("smpkg")
    }
    assert {name: t for name, t in breaches.items() if t} == {}


def test_opening_the_data_does_not_wait_for_the_web_framework():
    """`create_app` opens the data and launches the query workers (`api.lifecycle`) before it
    imports FastAPI and the routers, so that the workers load their data meanwhile: nothing
    `api.lifecycle` imports may pull the web framework in first."""
    code = "import sys, api.lifecycle; print(sorted(m for m in sys.modules if m.startswith(('fastapi', 'api.routers'))))"
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"


def test_a_worker_loads_a_small_build_without_the_build_code(smp_graph):
    """A query worker that loads a build into memory (forked from the fork server, which
    preloads `forkserver.PRELOAD`) reads its N-Triples files without importing smpkg.build
    and what it drags in (the reasoner, the products, YAML): start-up time, per worker."""
    code = (
        "import json, sys\n"
        "from smpkg import forkserver\n"
        "for name in forkserver.PRELOAD: __import__(name)\n"
        "from smpkg.worker import Source, open_engine\n"
        f"engine = open_engine(Source('oxigraph', graph_dir={str(smp_graph.directory)!r}, "
        "in_memory=True))\n"
        "print(json.dumps([len(engine.store), 'smpkg.build' in sys.modules]))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded, imported_build = json.loads(found.stdout.splitlines()[-1])
    assert imported_build is False
    assert loaded == sum(len(getattr(smp_graph, name)) for name in GRAPH_FILES)  # by rdflib


@pytest.mark.parametrize("name,path", sorted(modules().items()))
def test_module_and_function_sizes(name, path):
    source = path.read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{name} is over {MAX_MODULE_LINES} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == [], f"{name}: functions over {MAX_FUNCTION_LINES} lines"


def test_the_query_executor_is_a_facade():
    """smpkg/executor.py once held the pool, the worker, the wire protocol, negotiation, the
    cache and the HTML results (1,200 lines); what is left only prepares, caches and observes,
    under 300 lines."""
    lines = len((ROOT / "smpkg" / "executor.py").read_text().splitlines())
    assert lines < 300, f"smpkg/executor.py has {lines} lines"
