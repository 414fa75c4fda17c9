"""Prometheus metrics, in the text exposition format (version 0.0.4), for the whole service.

Request counts and latencies per route template (never per raw path, so the label set stays
small), and per query: outcome (ok, cached, error, timeout, busy), errors by type, worker time,
cache and worker-pool state.

The values live in `prometheus_client` metrics. `smpkg serve --workers N` runs N server
processes and sets PROMETHEUS_MULTIPROC_DIR to a fresh directory for them: prometheus_client
then keeps every process's values in files there (its multiprocess mode), and /metrics, in
whichever process answers, adds them up. The pool and cache figures, which live in each
process's executor, are copied into gauges after each request there, and summed over the
processes alive. With one process the figures are read from it directly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.metrics_core import Metric

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The methods a label may name; any other (a client may send any token) counts as "other",
# so that no client can add series without bound.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
# prometheus_client reads this variable when it is first imported: with it, values are kept
# in files of that directory, one set per process.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR) or None


class Metrics:
    """The service's metrics; `render` gives the exposition text of every server process."""

    def __init__(self) -> None:
        self.directory = multiprocess_dir()
        self.registry = CollectorRegistry(auto_describe=False)
        self._executor: Callable[[], Any] | None = None
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        r = self.registry
        self.requests = Counter(
            "smpkg_http_requests",
            "HTTP requests by method, route template and status.",
            ("method", "route", "status"),
            registry=r,
        )
        self.latency = Histogram(
            "smpkg_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ("route",),
            buckets=BUCKETS,
            registry=r,
        )
        self.queries = Counter(
            "smpkg_queries",
            "SPARQL queries by form and outcome (ok, cached, error, timeout, busy).",
            ("form", "outcome"),
            registry=r,
        )
        self.query_errors = Counter(
            "smpkg_query_errors", "Failed queries by error type.", ("type",), registry=r
        )
        self.timeouts = Counter(
            "smpkg_query_timeouts",
            "Queries stopped at their deadline (their worker was killed and replaced).",
            registry=r,
        )
        self.query_seconds = Histogram(
            "smpkg_query_duration_seconds",
            "Time in a worker (evaluation and serialisation) of executed queries.",
            buckets=BUCKETS,
            registry=r,
        )
        self.pool = _PoolGauges(r)

    def watch(self, executor: Callable[[], Any]) -> None:
        """Where this process's current executor is found (its pool and cache figures)."""
        self._executor = executor

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        # The labelled series of a (method, route, status), looked up once: `labels()`
        # checks and locks on every call. As many entries as series, which the labels bound.
        if method not in METHODS:
            method = "other"
        series = self._series.get((method, route, status))
        if series is None:
            series = self._series[method, route, status] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(route),
            )
        series[0].inc()
        series[1].observe(seconds)
        if self.directory and self._executor is not None:
            # Another process may answer the next /metrics: it reads this one's figures
            # from the shared files only.
            self.pool.copy(self._executor())

    def observe_query(self, form: str, outcome: str, seconds: float, error: str | None) -> None:
        self.queries.labels(form, outcome).inc()
        if outcome == "ok":
            self.query_seconds.observe(seconds)
        if outcome == "timeout":
            self.timeouts.inc()
        if error is not None:
            self.query_errors.labels(error).inc()

    def close(self) -> None:
        """This process stops serving: its live gauges leave the sums (its counts stay)."""
        if self.directory:
            multiprocess.mark_process_dead(os.getpid(), self.directory)

    def render(
        self, *, executor=None, info: dict | None = None, version: str = "", engine: str = ""
    ) -> str:
        if executor is not None:
            self.pool.copy(executor)
        if self.directory:
            combined = CollectorRegistry(auto_describe=False)
            multiprocess.MultiProcessCollector(combined, self.directory)
            families = {f.name: f for f in combined.collect()}
        else:
            families = {f.name: f for f in self.registry.collect()}
        out = _family("smpkg_info", "gauge", "The dataset version and query engine served.", []) + [
            f"smpkg_info{_labels({'version': version, 'engine': engine})} 1"
        ]
        for name in ORDER:
            if name in families:
                out.extend(_exposition(families[name]))
        if info:
            out += _family(
                "smpkg_dataset_triples", "gauge", "Triples in the default graph (the union).", []
            )
            out.append(f"smpkg_dataset_triples {info['default']['triples']}")
        return "\n".join(out) + "\n"


class _PoolGauges:
    """The executor's figures as gauges, summed over the live processes."""

    def __init__(self, registry: CollectorRegistry) -> None:
        def gauge(name: str, help_text: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(name, help_text, labels, registry=registry, multiprocess_mode="livesum")

        self.hits = gauge("smpkg_query_cache_hits_total", "Result cache hits.")
        self.misses = gauge("smpkg_query_cache_misses_total", "Result cache misses.")
        self.entries = gauge("smpkg_query_cache_entries", "Results held in the cache.")
        self.bytes = gauge("smpkg_query_cache_bytes", "Bytes held in the result cache.")
        self.workers = gauge("smpkg_query_workers", "Query worker processes.", ("state",))
        self.restarts = gauge(
            "smpkg_query_worker_restarts_total", "Workers killed (timeout or crash) and replaced."
        )

    def copy(self, executor) -> None:
        cache = executor.cache
        self.hits.set(cache.hits)
        self.misses.set(cache.misses)
        self.entries.set(len(cache))
        self.bytes.set(cache.size_bytes)
        self.workers.labels("configured").set(executor.workers)
        self.workers.labels("ready").set(executor.ready_workers)
        self.restarts.set(executor.restarts)


# The families in the order of the text; the hits, misses and restarts are running totals
# of each process, so they are typed as the counters they are.
ORDER = (
    "smpkg_http_requests",
    "smpkg_http_request_duration_seconds",
    "smpkg_queries",
    "smpkg_query_errors",
    "smpkg_query_timeouts",
    "smpkg_query_duration_seconds",
    "smpkg_query_cache_hits_total",
    "smpkg_query_cache_misses_total",
    "smpkg_query_cache_entries",
    "smpkg_query_cache_bytes",
    "smpkg_query_workers",
    "smpkg_query_worker_restarts_total",
)
COUNTER_GAUGES = {
    "smpkg_query_cache_hits_total",
    "smpkg_query_cache_misses_total",
    "smpkg_query_worker_restarts_total",
}


def _family(name: str, kind: str, help_text: str, lines: list[str]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *lines]


def _exposition(family: Metric) -> list[str]:
    kind = "counter" if family.name in COUNTER_GAUGES else family.type
    name = family.name + "_total" if family.type == "counter" else family.name
    samples = sorted(
        (s for s in family.samples if not s.name.endswith("_created")), key=_sample_order
    )
    lines = [f"{s.name}{_labels(s.labels)} {_value(s.value)}" for s in samples]
    return _family(name, kind, family.documentation, lines)


def _sample_order(sample) -> tuple:
    """Series sorted by their labels; a histogram's buckets by bound, then its sum and count."""
    labels = sorted((k, v) for k, v in sample.labels.items() if k != "le")
    rank = 2 if sample.name.endswith("_count") else 1 if sample.name.endswith("_sum") else 0
    return (labels, rank, float(sample.labels.get("le", "inf")))


def _value(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: dict[str, str] | Iterable[tuple[str, str]]) -> str:
    items = list(labels.items() if isinstance(labels, dict) else labels)
    if not items:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in items) + "}"
