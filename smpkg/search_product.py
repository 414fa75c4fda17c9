"""The search index as a build product: `search-index.json` in the build's directory, beside
the on-disk store it is read from (smpkg.products).

The rows are those of the `search-*` queries of smpkg/app_queries (one definition of what is
indexed), run once on the build's on-disk store without their ORDER BY: the app's paged
reading needs the order, and sorting every name, type and summary again for each page is what
ran past the service's query deadline at a million triples; the index does not need it
(`SearchIndex.from_rows` sorts what it keeps).

The stored form is the index's tables (`SearchIndex.tables`: lists and dicts of strings and
numbers) as one JSON document, chosen by measurement on a 200k-triple synthetic build (19,364
resources, 27,271 names; CPU time): loading took 48 ms from JSON, 44 ms from pickle and 26 ms
from marshal, and making the index from the loaded tables 20 ms more. JSON costs next to
nothing over the others and, unlike them, neither runs code nor depends on the Python that
wrote it. (SQLite tables would have to be read back into the same dictionaries, or queried
per search, a disk read in every request.) A file of another format, or none, is stale: the
caller builds the index from the data instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox

from .product_file import StaleProduct, read_product
from .search import IndexTables, SearchIndex, search_queries

SEARCH_FILE = "search-index.json"
# Changed whenever `IndexTables` or what goes into it changes: an older file is stale (and
# products.PRODUCTS_VERSION with it, so that cached builds write the new one).
FORMAT = "search index 1"
_ORDER_BY = re.compile(r"\bORDER\s+BY\b[^}]*\Z", re.IGNORECASE)

Rows = dict[str, list[dict[str, str]]]


def unordered(text: str) -> str:
    """A query's text without its final ORDER BY clause."""
    return _ORDER_BY.sub("", text)


def rows_from_store(store: ox.Store) -> Rows:
    """The rows of every search query, unordered, from `store` (its graphs' union as the
    default graph, as the service queries it): query name -> variable -> lexical value."""
    rows: Rows = {}
    for name, query in search_queries().items():
        solutions = store.query(unordered(query.text), use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        variables = [v.value for v in solutions.variables]
        found = []
        for solution in solutions:
            row = {}
            for variable in variables:
                term = solution[variable]
                if term is not None:
                    row[variable] = term.value
            found.append(row)
        rows[name] = found
    return rows


def write_search_index(directory: Path, store: ox.Store) -> int:
    """Build the index from `store` and write it into the build `directory`; returns the
    number of resources it holds."""
    index = SearchIndex.from_rows(rows_from_store(store))
    save_search_index(directory, index)
    return len(index)


def save_search_index(directory: Path, index: SearchIndex) -> None:
    """Write `index` into the build `directory` (`SEARCH_FILE`)."""
    stored = {"format": FORMAT, "tables": index.tables._asdict()}
    with open(Path(directory) / SEARCH_FILE, "w", encoding="utf-8") as f:
        json.dump(stored, f, ensure_ascii=False, separators=(",", ":"))


def load_search_index(directory: Path) -> SearchIndex:
    """The index stored in the build `directory`; StaleProduct when it has none, or one that
    this code cannot read (the caller then builds the index from the data)."""
    stored = read_product(Path(directory) / SEARCH_FILE, FORMAT)
    tables = stored.get("tables")
    if not isinstance(tables, dict) or set(tables) != set(IndexTables._fields):
        raise StaleProduct(f"{SEARCH_FILE} does not hold the index's tables")
    return SearchIndex(IndexTables(**tables))
