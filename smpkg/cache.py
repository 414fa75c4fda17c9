"""A least-recently-used cache bounded by entry count and total bytes.

The executor keeps serialised query results in one, the HTTP response cache
(`api.middleware.ResponseCache`) whole responses, and the served snapshot its rendered
documents: every cache of the service has both bounds, so no client can grow it past them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


def _body_size(value: Any) -> int:
    return len(value.body)


class ResultCache:
    """An LRU of values whose size `size` measures (by default `len(value.body)`), bounded by
    entry count, total bytes and the bytes of one value. Thread-safe."""

    def __init__(
        self,
        max_entries: int = 1024,
        max_bytes: int = 64 << 20,
        max_item_bytes: int = 8 << 20,
        size: Callable[[Any], int] = _body_size,
    ):
        self.size = size
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_item_bytes = max_item_bytes
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any:
        """The value under `key` (now the most recently used), or None."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return hit

    def put(self, key: Hashable, value: Any) -> None:
        """Keep `value`, dropping the least recently used entries past either bound; a value
        over `max_item_bytes` is not kept."""
        size = self.size(value)
        if self.max_entries <= 0 or size > self.max_item_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= self.size(old)
            self._items[key] = value
            self._bytes += size
            while self._items and (
                len(self._items) > self.max_entries or self._bytes > self.max_bytes
            ):
                _, dropped = self._items.popitem(last=False)
                self._bytes -= self.size(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size_bytes(self) -> int:
        return self._bytes
