"""What a client is told when the worker pool fails a query: each `pool` error as the smpkg
error (and so the HTTP status) it stands for, with a message that says what to do; and the
queries that crashed a worker, remembered so that a repeat is answered without a new crash."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections import OrderedDict
from pathlib import Path

from .errors import EngineCrashed, MemoryLimitHit, QueryFailed, QueryTimeout, WorkersBusy
from .pool import DeadlinePassed, PoolBusy, PoolClosed, Unsendable, WorkerLost

log = logging.getLogger("smpkg.failures")

# What a worker's stderr holds when an allocation failed under its RLIMIT_AS: Rust's
# allocator says this before it aborts; Python raises MemoryError, which the worker answers.
ALLOCATION_FAILED = ("memory allocation of", "MemoryError", "std::bad_alloc")
# How much of a dead worker's stderr goes to the log.
NOTE_CHARS = 2000
# Deaths that say nothing against the query the worker ran: a stop signal sent to the whole
# service (systemd, a terminal, a supervisor signal its process group), or an exit status the
# fork server could not report because it was stopped first (multiprocessing says 255).
# Remembering such a query would refuse it for as long as the data is served.
NOT_THE_QUERY = frozenset({-signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP, 255})


def crash_note(log_dir: str | None, pid: int | None) -> str:
    """The start of what a dead worker wrote to its stderr during its last query (its log
    file, which is removed): a panic's or a failed allocation's message comes first."""
    if not log_dir or pid is None:
        return ""
    path = Path(log_dir) / f"{pid}.log"
    try:
        with open(path, "rb") as handle:
            note = handle.read(NOTE_CHARS).decode("utf-8", "replace")
        path.unlink()
    except OSError:
        return ""
    return note


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return "stopped" if exitcode is None else f"exited with status {exitcode}"


def query_error(exc: Exception, limit: float, memory_mb: int = 0, note: str = "") -> Exception:
    """The error to raise for `exc`, raised by the pool for a query whose deadline was
    `limit` seconds on workers capped at `memory_mb` MiB; `note` is what a dead worker wrote
    to its stderr. Anything that is not the pool's is returned as it is."""
    if isinstance(exc, PoolBusy):
        return WorkersBusy(
            f"the server is busy: no query worker became free within {limit:g} s; try again shortly"
        )
    if isinstance(exc, DeadlinePassed):
        waited = f" after waiting {exc.waited:.1f} s for a free worker" if exc.waited >= 0.1 else ""
        return QueryTimeout(
            f"the query ran past the {limit:g} s deadline and was stopped "
            f"(ran {exc.ran:.1f} s{waited}); simplify it, add a LIMIT, or run it on your "
            "own copy of the data"
        )
    if isinstance(exc, WorkerLost):
        if exc.exitcode in NOT_THE_QUERY:
            return WorkersBusy(
                f"the query's worker was stopped from outside (it {_how(exc.exitcode)}), "
                "as when the service is shutting down; try again shortly"
            )
        if memory_mb and any(sign in note for sign in ALLOCATION_FAILED):
            return memory_error(memory_mb)
        return EngineCrashed(
            f"the query engine failed on this query (its worker {_how(exc.exitcode)}); the "
            "worker has been replaced, and this query will not be run again on this data"
        )
    if isinstance(exc, Unsendable):
        return QueryFailed(f"cannot pass the query to a worker: {exc}")
    if isinstance(exc, PoolClosed):
        return QueryFailed("the query executor is shut down")
    return exc


def log_failure(
    to: logging.Logger, digest: str, exc: Exception, error: Exception, note: str
) -> None:
    """Log a query the pool failed as `error`: a crash at ERROR with the worker's last words;
    a worker stopped from outside (not the query's doing) or a deadline at WARNING."""
    if isinstance(error, CRASH_TYPES):
        last_words = " ".join(note.split())[:500] or "none"
        to.error("query %s: %s; the worker's last words: %s", digest, error, last_words)
    elif isinstance(exc, WorkerLost | DeadlinePassed):
        to.warning("query %s: %s", digest, error)


def memory_error(memory_mb: int) -> MemoryLimitHit:
    return MemoryLimitHit(
        f"the query needed more than the {memory_mb} MiB of memory a query worker may use "
        "(SMPKG_WORKER_MEMORY_MB); simplify it or add a LIMIT"
    )


# The errors a crash answers with, which are remembered (by name in a shared crash file); a
# worker stopped from outside answers WorkersBusy, and is not.
CRASH_TYPES = (EngineCrashed, MemoryLimitHit)
CRASH_ERRORS: dict[str, type[Exception]] = {c.__name__: c for c in CRASH_TYPES}


class CrashedQueries:
    """The hashes of the queries that crashed a worker on one snapshot, the `size` latest
    (thread-safe): a repeat is refused at once instead of crashing another worker.

    With a `directory` (in the build's cache, one per build version), every server process of
    `smpkg serve --workers N` shares them: a crash is written there as one small file named by
    the hash, which the other processes read on a miss. Best effort: a cache that cannot be
    written leaves each process its own memory."""

    def __init__(self, size: int = 256, directory: Path | None = None):
        self.size = size
        self.directory = directory
        self._where = os.fspath(directory) if directory is not None else ""
        self._seen: OrderedDict[str, Exception] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, digest: str, error: Exception) -> None:
        if self.size <= 0:
            return
        self._keep(digest, error)
        if self.directory is not None and isinstance(error, CRASH_TYPES):
            with contextlib.suppress(OSError):
                self.directory.mkdir(parents=True, exist_ok=True)
                (self.directory / digest).write_text(
                    f"{type(error).__name__}\n{error}", encoding="utf-8"
                )
                self._trim()

    def _keep(self, digest: str, error: Exception) -> None:
        with self._lock:
            self._seen[digest] = error
            self._seen.move_to_end(digest)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)

    def _trim(self) -> None:
        assert self.directory is not None
        files = sorted(self.directory.iterdir(), key=lambda f: f.stat().st_mtime)
        for old in files[: max(0, len(files) - self.size)]:
            old.unlink(missing_ok=True)

    def check(self, digest: str) -> None:
        """Raise the error of the crash `digest` caused, if it caused one here or, with a
        directory, in another server process."""
        with self._lock:
            error = self._seen.get(digest)
        if error is None and self.directory is not None:
            error = self._shared(digest)
        if error is not None:
            raise type(error)(str(error))

    def _shared(self, digest: str) -> Exception | None:
        assert self.directory is not None
        try:
            # Asked on every query that goes to a worker: a plain open of a plain path (no
            # pathlib objects), which fails at once when no process remembered this crash.
            with open(os.path.join(self._where, digest), encoding="utf-8") as handle:
                kind, _, message = handle.read().partition("\n")
        except OSError:
            return None
        cls = CRASH_ERRORS.get(kind)
        if cls is None:
            return None
        error = cls(message)
        self._keep(digest, error)
        return error

    def __len__(self) -> int:
        return len(self._seen)
