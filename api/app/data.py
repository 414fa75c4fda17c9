"""The app's read path to the served data: a SELECT of smpkg/app_queries run by the app's
query executor (the same workers and snapshot as /sparql), read back as plain rows.

Parameters travel as RDF terms (`NamedQuery.bindings`), never spliced into the text. A result
longer than the service's row cap is read page by page (LIMIT/OFFSET on the query's own
ORDER BY), so an index built from it is never silently cut.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from rdflib.term import Identifier

from smpkg.queries import NamedQuery

Row = dict[str, str]


def plain_rows(body: bytes) -> list[Row]:
    """SPARQL JSON results as one dict per row: variable -> lexical value (IRIs as text)."""
    doc = json.loads(body)
    return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]


async def select(
    state, query: NamedQuery, bindings: Mapping[str, Identifier] | None = None
) -> list[Row]:
    """Every row of `query` over the served data, through the query executor."""
    page = max(1, int(state.settings.max_rows))
    rows: list[Row] = []
    offset = 0
    while True:
        text = f"{query.text}\nLIMIT {page} OFFSET {offset}"
        result = await state.executor.execute(
            text, bindings=dict(bindings or {}), format_param="json"
        )
        chunk = plain_rows(result.body)
        rows.extend(chunk)
        if len(chunk) < page and not result.truncated:
            return rows
        offset += page
