"""The browser libraries the app serves from node_modules (installed by `npm ci` from the
committed package.json and package-lock.json): an explicit allow-list, nothing else.

Each file is served at `/vendor/{package}@{version}/{file}`: the version in the URL (read from
the installed package.json) lets the response be cached for a year, and a new install gets a
new URL. node_modules is looked for beside the source tree, or at SMPKG_NODE_MODULES.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

INSTALL_HINT = "run `npm ci` in the repository (see the README's quick start)"

JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
JSON = "application/json"


@dataclass(frozen=True)
class Asset:
    package: str  # the npm package
    path: str  # the file inside it
    content_type: str

    @property
    def file(self) -> str:
        return self.path.rsplit("/", 1)[-1]


# name -> the file; templates ask for `vendor_url(name)`.
ALLOWED: dict[str, Asset] = {
    "d3": Asset("d3", "dist/d3.min.js", JS),
    "d3-sankey": Asset("d3-sankey", "dist/d3-sankey.min.js", JS),
    "cytoscape": Asset("cytoscape", "dist/cytoscape.esm.min.mjs", JS),
    "topojson-client": Asset("topojson-client", "dist/topojson-client.min.js", JS),
    "world-110m": Asset("world-atlas", "countries-110m.json", JSON),
    "yasqe": Asset("@zazuko/yasqe", "build/yasqe.min.js", JS),
    "yasqe-css": Asset("@zazuko/yasqe", "build/yasqe.min.css", CSS),
}


def node_modules() -> Path:
    configured = os.environ.get("SMPKG_NODE_MODULES")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "node_modules"


@lru_cache(maxsize=64)
def _version(root: Path, package: str) -> str | None:
    try:
        return str(json.loads((root / package / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def version(package: str) -> str | None:
    """The installed version of `package`, or None when it is not installed."""
    return _version(node_modules(), package)


def url(name: str) -> str | None:
    """Where the page loads the allow-listed file `name`; None when it is not installed, so
    that the page leaves it out (and works without it)."""
    asset = ALLOWED[name]
    found = version(asset.package)
    if found is None or not (node_modules() / asset.package / asset.path).is_file():
        return None
    return f"/vendor/{asset.package}@{found}/{asset.file}"


def resolve(package_at_version: str, file: str) -> tuple[Asset, Path] | None:
    """The allow-listed asset a /vendor URL names, with its file; None for anything else
    (another file, another version, or not installed)."""
    package, _, wanted = package_at_version.rpartition("@")
    for asset in ALLOWED.values():
        if asset.package == package and asset.file == file:
            if version(package) != wanted:
                return None
            path = node_modules() / asset.package / asset.path
            return (asset, path) if path.is_file() else None
    return None


def missing() -> list[str]:
    """The allow-listed packages that are not installed."""
    return sorted({a.package for a in ALLOWED.values() if version(a.package) is None})
