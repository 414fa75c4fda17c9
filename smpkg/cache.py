"""A least-recently-used cache bounded by entry count and total bytes.

The executor keeps serialised query results in one, the HTTP response cache
(`api.middleware.ResponseCache`) whole responses, and the served snapshot its rendered
documents: every cache of the service has both bounds, so no client can grow it past them.

The query caches keep an answer from its second use on (`min_uses`, as nginx's
`proxy_cache_min_uses`): most queries a public endpoint sees are asked once, and a stream of
them would push every repeated query's answer out of a cache that took them all. A key's
first use is remembered as its hash only, so the memory of recent keys stays small whatever
their size."""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

# The use from which the executor's caches and the response cache keep an answer (see above).
QUERY_MIN_USES = 2


def _body_size(value: Any) -> int:
    return len(value.body)


def key_bytes(key: Hashable) -> int:
    """About how many bytes `key` holds: a query text can be a megabyte, and 3,000 of them
    under small values must count as 3 GB, not as the values' few kilobytes. Every key
    stored is measured once, so the nested tuples are walked with a list, not recursion."""
    total = 0
    pending = [key]
    while pending:
        part = pending.pop()
        total += sys.getsizeof(part)
        if isinstance(part, (tuple, frozenset)):
            pending.extend(part)
    return total


class ResultCache:
    """An LRU of values whose size `size` measures (by default `len(value.body)`), bounded by
    entry count, total bytes (of the keys and the values) and the bytes of one entry.
    A value is kept from the `min_uses`-th time its key is put or offered (`admits`), counted
    over the hashes of the last `4 * max_entries` keys. Thread-safe."""

    def __init__(
        self,
        max_entries: int = 1024,
        max_bytes: int = 64 << 20,
        max_item_bytes: int = 8 << 20,
        size: Callable[[Any], int] = _body_size,
        min_uses: int = 1,
    ):
        self.size = size
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_item_bytes = max_item_bytes
        self.min_uses = min_uses
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._uses: dict[int, int] = {}  # key hash -> uses, oldest first
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
            return hit[0]

    def admits(self, key: Hashable) -> bool:
        """Count a use of `key`: whether a value put under it now would be kept (its
        `min_uses`-th use or later). A caller that would pay to build the value asks first."""
        if self.min_uses <= 1:
            return True
        digest = hash(key)
        with self._lock:
            uses = self._uses.pop(digest, 0) + 1
            self._uses[digest] = uses  # now the most recent
            if len(self._uses) > 4 * self.max_entries:
                del self._uses[next(iter(self._uses))]
        return uses >= self.min_uses

    def put(self, key: Hashable, value: Any, *, admitted: bool = False) -> None:
        """Keep `value`, dropping the least recently used entries past either bound; an entry
        (key and value) over `max_item_bytes` is not kept, nor one whose key has had fewer
        than `min_uses` uses (this put counts as one, unless `admits` said yes already)."""
        if not (admitted or self.admits(key)):
            return
        size = self.size(value) + key_bytes(key)
        if self.max_entries <= 0 or size > min(self.max_item_bytes, self.max_bytes):
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._items and (
                len(self._items) > self.max_entries or self._bytes > self.max_bytes
            ):
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._uses.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size_bytes(self) -> int:
        return self._bytes
