"""The slow lane: known-slow queries run a few at a time, so that they cannot take every
query worker while cheap queries and pages wait behind them.

A query is slow once it has run `threshold` seconds or more on this snapshot: its hash is
remembered (the `remember` latest), and a run that passes the threshold takes a place in the
lane from then on. A known-slow query waits for one of `workers` places before it asks the
pool for a worker; at most `queue` slow queries wait, and one more is refused at once with
503 and Retry-After. A text's first run cannot be known to be slow before it passes the
threshold: distinct slow texts sent together can still take every worker for one deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator

from .errors import SlowLaneFull


class SlowLane:
    """Admission of known-slow queries (by hash); `workers` 0 turns the lane off."""

    def __init__(
        self,
        threshold: float,
        workers: int = 1,
        queue: int = 8,
        retry_after: float = 10.0,
        remember: int = 4096,
    ):
        self.threshold = threshold
        self.workers = workers
        self.queue = queue
        self.retry_after = max(1, round(retry_after))
        self.remember = remember
        self._slow: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._running = 0
        self._waiting: list[asyncio.Future] = []
        self.refused = 0

    def is_slow(self, digest: str) -> bool:
        with self._lock:
            return digest in self._slow

    def observe(self, digest: str, seconds: float) -> None:
        """A query `digest` ran `seconds` (float("inf") when it ran past its deadline)."""
        if seconds < self.threshold or self.workers <= 0:
            return
        with self._lock:
            self._slow[digest] = None
            self._slow.move_to_end(digest)
            while len(self._slow) > self.remember:
                self._slow.popitem(last=False)

    @contextlib.asynccontextmanager
    async def admit(self, digest: str) -> AsyncIterator[None]:
        """Hold a place in the lane while the body runs, if `digest` is slow or becomes slow
        (runs past the threshold) meanwhile."""
        if self.workers <= 0:
            yield
            return
        if self.is_slow(digest):
            await self._enter()
            try:
                yield
            finally:
                self._leave()
            return
        claimed = False

        def claim() -> None:
            nonlocal claimed
            claimed = True
            self._running += 1  # over `workers`, maybe: `_leave` then hands nothing on
            self.observe(digest, self.threshold)

        timer = asyncio.get_running_loop().call_later(self.threshold, claim)
        try:
            yield
        finally:
            timer.cancel()
            if claimed:
                self._leave()

    async def _enter(self) -> None:
        # Every use is on the one event loop of a server process: no lock needed.
        if self._running < self.workers and not self._waiting:
            self._running += 1
            return
        if len(self._waiting) >= self.queue:
            self.refused += 1
            raise SlowLaneFull(
                f"{self._running} slow queries are running and {len(self._waiting)} waiting, "
                f"the most the slow lane takes (SMPKG_SLOW_LANE_QUEUE); this query ran "
                f"{self.threshold:g} s or more before: try again later",
                self.retry_after,
            )
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            await turn  # `_leave` hands its place over
        except asyncio.CancelledError:
            if turn in self._waiting:
                self._waiting.remove(turn)
            elif turn.done() and not turn.cancelled():
                self._leave()  # handed a place just as the caller went away
            raise

    def _leave(self) -> None:
        if self._running > self.workers:
            self._running -= 1
            return
        while self._waiting:
            turn = self._waiting.pop(0)
            if not turn.done():
                turn.set_result(None)  # the place passes on: `_running` stays
                return
        self._running -= 1
