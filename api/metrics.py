"""Prometheus metrics, in the text exposition format (version 0.0.4), without a dependency.

Request counts and latencies per route template (never per raw path, so the label set stays
small), and per query: outcome (ok, cached, error, timeout, busy), errors by type, worker time,
cache and worker-pool state.
"""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Histogram:
    def __init__(self, buckets=BUCKETS):
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1
                break
        else:
            self.counts[-1] += 1
        self.sum += value
        self.count += 1

    def lines(self, name: str, labels: dict[str, str]) -> list[str]:
        out = []
        cumulative = 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            cumulative += count
            out.append(f"{name}_bucket{_labels({**labels, 'le': _num(bound)})} {cumulative}")
        cumulative += self.counts[-1]
        out.append(f"{name}_bucket{_labels({**labels, 'le': '+Inf'})} {cumulative}")
        out.append(f"{name}_sum{_labels(labels)} {self.sum:.6f}")
        out.append(f"{name}_count{_labels(labels)} {self.count}")
        return out


def _num(value: float) -> str:
    return repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


class Metrics:
    def __init__(self):
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.latency: dict[str, Histogram] = {}
        self.queries: dict[tuple[str, str], int] = defaultdict(int)
        self.query_errors: dict[str, int] = defaultdict(int)
        self.query_seconds = Histogram()
        self.timeouts = 0

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            self.latency.setdefault(route, Histogram()).observe(seconds)

    def observe_query(self, form: str, outcome: str, seconds: float, error: str | None) -> None:
        with self._lock:
            self.queries[(form, outcome)] += 1
            if outcome in ("ok",):
                self.query_seconds.observe(seconds)
            if outcome == "timeout":
                self.timeouts += 1
            if error is not None:
                self.query_errors[error] += 1

    def render(
        self, *, executor=None, info: dict | None = None, version: str = "", engine: str = ""
    ) -> str:
        out: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")

        with self._lock:
            family("smpkg_info", "gauge", "The dataset version and query engine served.")
            out.append(f"smpkg_info{_labels({'version': version, 'engine': engine})} 1")
            family(
                "smpkg_http_requests_total",
                "counter",
                "HTTP requests by method, route template and status.",
            )
            for (method, route, status), n in sorted(self.requests.items()):
                out.append(
                    "smpkg_http_requests_total"
                    f"{_labels({'method': method, 'route': route, 'status': status})} {n}"
                )
            family(
                "smpkg_http_request_duration_seconds",
                "histogram",
                "HTTP request latency by route template.",
            )
            for route, hist in sorted(self.latency.items()):
                out.extend(hist.lines("smpkg_http_request_duration_seconds", {"route": route}))
            family(
                "smpkg_queries_total",
                "counter",
                "SPARQL queries by form and outcome (ok, cached, error, timeout, busy).",
            )
            for (form, outcome), n in sorted(self.queries.items()):
                out.append(f"smpkg_queries_total{_labels({'form': form, 'outcome': outcome})} {n}")
            family("smpkg_query_errors_total", "counter", "Failed queries by error type.")
            for error, n in sorted(self.query_errors.items()):
                out.append(f"smpkg_query_errors_total{_labels({'type': error})} {n}")
            family(
                "smpkg_query_timeouts_total",
                "counter",
                "Queries stopped at their deadline (their worker was killed and replaced).",
            )
            out.append(f"smpkg_query_timeouts_total {self.timeouts}")
            family(
                "smpkg_query_duration_seconds",
                "histogram",
                "Time in a worker (evaluation and serialisation) of executed queries.",
            )
            out.extend(self.query_seconds.lines("smpkg_query_duration_seconds", {}))
        if executor is not None:
            cache = executor.cache
            family("smpkg_query_cache_hits_total", "counter", "Result cache hits.")
            out.append(f"smpkg_query_cache_hits_total {cache.hits}")
            family("smpkg_query_cache_misses_total", "counter", "Result cache misses.")
            out.append(f"smpkg_query_cache_misses_total {cache.misses}")
            family("smpkg_query_cache_entries", "gauge", "Results held in the cache.")
            out.append(f"smpkg_query_cache_entries {len(cache)}")
            family("smpkg_query_cache_bytes", "gauge", "Bytes held in the result cache.")
            out.append(f"smpkg_query_cache_bytes {cache.size_bytes}")
            family("smpkg_query_workers", "gauge", "Query worker processes.")
            out.append(f'smpkg_query_workers{{state="configured"}} {executor.workers}')
            out.append(f'smpkg_query_workers{{state="ready"}} {executor.ready_workers}')
            family(
                "smpkg_query_worker_restarts_total",
                "counter",
                "Workers killed (timeout or crash) and replaced.",
            )
            out.append(f"smpkg_query_worker_restarts_total {executor.restarts}")
        if info:
            family("smpkg_dataset_triples", "gauge", "Triples in the default graph (the union).")
            out.append(f"smpkg_dataset_triples {info['default']['triples']}")
        return "\n".join(out) + "\n"
