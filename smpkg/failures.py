"""What a client is told when the worker pool fails a query: each `pool` error as the smpkg
error (and so the HTTP status) it stands for, with a message that says what to do."""

from __future__ import annotations

from .errors import QueryFailed, QueryTimeout, WorkersBusy
from .pool import DeadlinePassed, PoolBusy, PoolClosed, Unsendable, WorkerLost


def query_error(exc: Exception, limit: float) -> Exception:
    """The error to raise for `exc`, raised by the pool for a query whose deadline was
    `limit` seconds; anything that is not the pool's is returned as it is."""
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
        return QueryFailed(
            "the query worker stopped unexpectedly (out of memory?); it has been replaced"
        )
    if isinstance(exc, Unsendable):
        return QueryFailed(f"cannot pass the query to a worker: {exc}")
    if isinstance(exc, PoolClosed):
        return QueryFailed("the query executor is shut down")
    return exc
