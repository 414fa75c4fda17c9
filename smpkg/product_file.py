"""The JSON files among a build's products (the search index, the VoID documents, the stored
documents' index): each names the format it is written in, and a reader that finds it
missing, unreadable or of another format treats it as stale and makes what it holds another
way (from the data), never fails the service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class StaleProduct(Exception):
    """A build product is missing, cannot be read, or is of another format."""


def read_product(path: Path, form: str) -> dict[str, Any]:
    """The JSON object stored at `path` in the format `form`; StaleProduct otherwise."""
    try:
        with open(path, encoding="utf-8") as f:
            stored = json.load(f)
    except FileNotFoundError:
        raise StaleProduct(f"the build has no {path.name}") from None
    except ValueError as exc:  # JSON or UTF-8
        raise StaleProduct(f"{path.name} cannot be read: {exc}") from None
    found = stored.get("format") if isinstance(stored, dict) else None
    if found != form:
        raise StaleProduct(f"{path.name} holds {found!r}, not {form!r}")
    return stored
