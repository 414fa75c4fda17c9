"""The app's read path (api/app/data.py) and its per-version cache (api/app/cache.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import EX, ITEM_COUNT

from api.app import cache, data
from smpkg.queries import NamedQuery, Parameter

ITEMS = NamedQuery(
    name="items",
    path=Path("items.rq"),
    text="SELECT ?type ?s WHERE { ?s a ?type } ORDER BY ?s",
    summary="Members of a class",
    params=[Parameter("type", "iri", required=True)],
)


def test_select_reads_past_the_row_cap(sample_app):
    cap = sample_app.state.snapshot.settings.max_rows
    assert cap < ITEM_COUNT  # the sample app cuts results at 25 rows
    bindings = ITEMS.bindings({"type": EX + "Item"})
    rows = asyncio.run(data.select(sample_app.state.snapshot, ITEMS, bindings))
    assert len(rows) == ITEM_COUNT
    assert {r["s"] for r in rows} == {f"{EX}item{i}" for i in range(1, ITEM_COUNT + 1)}
    assert all(r["type"] == EX + "Item" for r in rows)


LABELLED = NamedQuery(
    name="labelled",
    path=Path("labelled.rq"),
    text=f"SELECT ?text ?s WHERE {{ ?s <{EX}label> ?text }} ORDER BY ?s",
    summary="Resources with a label",
    params=[Parameter("text", "string", required=True)],
)


def test_parameters_are_bound_as_terms_not_text(sample_app):
    state = sample_app.state.snapshot
    found = asyncio.run(data.select(state, LABELLED, LABELLED.bindings({"text": "item 7"})))
    assert [r["s"] for r in found] == [EX + "item7"]
    hostile = LABELLED.bindings({"text": 'item 7" } UNION { ?s ?p ?o } #'})
    assert asyncio.run(data.select(state, LABELLED, hostile)) == []


def test_the_cache_builds_once_per_version():
    built: list[str] = []

    async def run() -> list:
        store = cache.VersionCache()

        async def build() -> str:
            built.append("x")
            await asyncio.sleep(0.01)
            return f"value {len(built)}"

        first = await asyncio.gather(*(store.get("v1", "index", build) for _ in range(5)))
        again = await store.get("v1", "index", build)
        other = await store.get("v2", "index", build)
        return [*first, again, other]

    values = asyncio.run(run())
    assert values == ["value 1"] * 6 + ["value 2"]
    assert len(built) == 2
