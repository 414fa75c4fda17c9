"""Search latency: the server's time per query of the web app's search (smpkg.search).

    python -m benchmarks.search                 # the curated graph of this repository
    python -m benchmarks.search --root DIR      # another project root (e.g. a synthetic one
                                                # made by `python -m benchmarks.run --work-dir`)

The service is created in-process over the built graph (`api.create_app`, real query
workers); the index is built once through the query executor, as the first request does, and
its build time is reported. Then two figures over the same query set, each query asked once:

- `index`: `SearchIndex.search` alone, the work the server does per query;
- `request`: the whole `GET /api/search?q=` through the ASGI app (routing, middleware, JSON),
  in-process so that no network time is counted. Each query is distinct, so the response
  cache does not answer for it.

The queries are made from the graph's own names: every acronym and label exactly, each with
one letter changed, deleted and two letters swapped, their first three letters, their words,
and some texts that match nothing. Percentiles are of the per-query times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

import httpx

from api import create_app
from api.app.pages import search_index
from smpkg.build import build
from smpkg.config import Settings
from smpkg.search import SearchIndex, words


def query_set(index: SearchIndex, seed: int, limit: int) -> list[str]:
    rng = random.Random(seed)
    names = sorted(set(index.name_texts()))
    rng.shuffle(names)
    queries: list[str] = []
    for text in names[: limit // 6 or 1]:
        letters = "".join(words(text))
        queries.append(text)
        if len(letters) >= 4:
            i = rng.randrange(1, len(letters) - 1)
            queries.append(letters[:i] + "x" + letters[i + 1 :])  # changed
            queries.append(letters[:i] + letters[i + 1 :])  # deleted
            queries.append(letters[: i - 1] + letters[i] + letters[i - 1] + letters[i + 1 :])
        queries.append(letters[:3])
        queries.extend(words(text)[:1])
    queries += ["zzqqxx", "nothing like this", "12345"]
    return queries[:limit]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {
        "n": len(ordered),
        "mean_ms": statistics.fmean(ordered) * 1000,
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": ordered[-1] * 1000,
    }


async def measure(app, index: SearchIndex, queries: list[str]) -> dict:
    in_index = []
    for q in queries:
        t = time.perf_counter()
        index.search(q, 20)
        in_index.append(time.perf_counter() - t)

    transport = httpx.ASGITransport(app=app)
    in_request = []
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for q in queries:
            t = time.perf_counter()
            r = await client.get("/api/search", params={"q": q, "limit": "20"})
            in_request.append(time.perf_counter() - t)
            r.raise_for_status()
    return {
        "entries": len(index),
        "names": len(index.name_texts()),
        "index": percentiles(in_index),
        "request": percentiles(in_request),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, help="project root (default: this repository)")
    parser.add_argument("--queries", type=int, default=3000, help="number of queries")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    overrides = {"root": args.root} if args.root else {}
    settings = Settings.from_env(query_workers=2, **overrides)
    graph = build(settings)
    app = create_app(settings)
    try:

        async def run() -> dict:
            started = time.perf_counter()
            index = await search_index(app.state)
            built = time.perf_counter() - started
            result = await measure(app, index, query_set(index, args.seed, args.queries))
            return {"index_build_seconds": built, **result}

        result = asyncio.run(run())
    finally:
        app.state.executor.close()
    result["triples"] = app.state.dataset_info["default"]["triples"]
    result["version"] = graph.version
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
