"""The error hierarchy. `api/errors.py` is the one place that maps these to HTTP statuses;
the command line prints `str(error)` as one line and exits non-zero.

Every error pickles itself (`__reduce__` where its constructor takes more than the message):
a query worker sends the error it raised to the server process as it is."""

from __future__ import annotations

from pathlib import Path


class SmpkgError(Exception):
    """Base of every error smpkg reports to a person or a client."""


class DataParseError(SmpkgError):
    """An RDF input file does not parse; names the file and the line."""

    def __init__(self, path: Path | str, line: int | None, reason: str):
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):
        return (type(self), (self.path, self.line, self.reason))


class ValidationFailed(SmpkgError):
    """The data violates a SHACL shape or a data-quality check."""

    def __init__(self, report):
        self.report = report
        super().__init__(f"validation failed: {report.violation_count} violation(s)")

    def __reduce__(self):
        return (type(self), (self.report,))


class QuerySyntaxError(SmpkgError):
    """The SPARQL text does not parse."""


class QueryRefused(SmpkgError):
    """A well-formed request the endpoint will not run (updates, SERVICE, LOAD...)."""


class QueryTimeout(SmpkgError):
    """A query ran past its deadline and was stopped."""


class WorkersBusy(QueryTimeout):
    """Every query worker stayed busy until the deadline: the query never started."""


class QueryFailed(SmpkgError):
    """The engine failed while evaluating a query that parsed."""


class EngineCrashed(QueryFailed):
    """The engine crashed on this query (its worker died), now or earlier on this snapshot."""


class MemoryLimitHit(SmpkgError):
    """A query needed more memory than a query worker may take (SMPKG_WORKER_MEMORY_MB)."""


class SlowLaneFull(WorkersBusy):
    """The query is known to be slow and every place in the slow lane's queue is taken;
    `retry_after` is how many seconds a client should wait."""

    def __init__(self, message: str, retry_after: int = 1):
        self.retry_after = retry_after
        super().__init__(message)

    def __reduce__(self):
        return (type(self), (str(self), self.retry_after))


class UnsupportedFormat(SmpkgError):
    """No serialisation matches what the client accepts."""

    def __init__(self, requested: str, available: list[str]):
        self.requested = requested
        self.available = available
        super().__init__(f"cannot produce {requested!r}; available: {', '.join(available)}")

    def __reduce__(self):
        return (type(self), (self.requested, self.available))


class ParameterError(SmpkgError):
    """A named-query parameter is missing or does not match its declared type."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason
        super().__init__(f"parameter {name!r}: {reason}")

    def __reduce__(self):
        return (type(self), (self.name, self.reason))


class NotFound(SmpkgError):
    """No such resource, named query or dump."""


class PayloadTooLarge(SmpkgError):
    """A request body or query string over the configured limit."""


class ConfigurationError(SmpkgError):
    """A setting or a command-line argument that cannot work."""
