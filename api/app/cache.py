"""What the app builds once per dataset version (the search index, the browse tables),
kept on the app's state and rebuilt after a reload changes the version."""

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


def of(state) -> VersionCache:
    cache = getattr(state, "app_cache", None)
    if cache is None:
        cache = state.app_cache = VersionCache()
    return cache
