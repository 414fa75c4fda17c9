"""How each query went, told to an observer (the service's metrics): the query's form, its
outcome (ok, cached, busy, timeout or error), its seconds in a worker and its error's type.
An observer that fails is logged; it never fails the query."""

from __future__ import annotations

import logging
from collections.abc import Callable

from .errors import QueryTimeout, WorkersBusy
from .query_text import INLINE_LOOKUP_CHARS, form_of_safe

log = logging.getLogger("smpkg.executor")  # the executor's log, where operators look

QueryObserver = Callable[[str, str, float, str | None], None]


def outcome(error: BaseException | None, cached: bool = False) -> str:
    if error is None:
        return "cached" if cached else "ok"
    if isinstance(error, WorkersBusy):
        return "busy"
    return "timeout" if isinstance(error, QueryTimeout) else "error"


def failed_form(text: str) -> str | None:
    """The form of a failed query, read on the event loop only from a short text; None
    ("unknown") otherwise."""
    return form_of_safe(text) if len(text) <= INLINE_LOOKUP_CHARS else None


class Observation:
    """The observer of a query executor, or nobody."""

    def __init__(self, observer: QueryObserver | None = None):
        self.observer = observer

    def __call__(
        self, form: str | None, error: BaseException | None, seconds: float, cached: bool = False
    ) -> None:
        if not self.observer:
            return
        try:
            name = type(error).__name__ if error else None
            self.observer(form or "unknown", outcome(error, cached), seconds, name)
        except Exception:
            log.exception("query observer failed")
