"""What the app builds once per served snapshot (the search index, the browse tables): kept
in the snapshot's memo, so a reload's new snapshot starts empty and the old one's values go
with it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class VersionCache:
    """name -> value for one dataset version; concurrent first requests build it once."""

    def __init__(self) -> None:
        self.version: str | None = None
        self.values: dict[str, Any] = {}
        self.locks: dict[str, asyncio.Lock] = {}

    async def get(self, version: str, name: str, build: Callable[[], Awaitable[Any]]) -> Any:
        if version != self.version:
            self.version, self.values, self.locks = version, {}, {}
        if name in self.values:
            return self.values[name]
        lock = self.locks.setdefault(name, asyncio.Lock())
        async with lock:
            if name not in self.values:
                value = await build()
                if self.version == version:
                    self.values[name] = value
                return value
            return self.values[name]


def of(snapshot) -> VersionCache:
    """The app's values of `snapshot` (an api.snapshot.Snapshot)."""
    cache: VersionCache = snapshot.memo.setdefault("app", VersionCache())
    return cache
