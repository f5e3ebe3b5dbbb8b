"""Prometheus: the HTTP server metrics in prometheus_client, and the exposition endpoint.

Several server workers are several processes, each with its own counters; a scrape
reaches one of them. prometheus_client's multiprocess mode solves exactly that: when
`PROMETHEUS_MULTIPROC_DIR` names a directory (set in the environment before the server
starts, emptied at each deployment), every process writes its values to memory-mapped
files there, and the endpoint sums the files of all processes, so any worker answers
the totals. Without the variable, the endpoint serves this process's default registry.

The metrics are the conventions' names in Prometheus spelling: `http_server_request_
duration_seconds` (histogram, the conventions' buckets), `http_server_active_requests`
(gauge, live workers summed), `http_server_request_body_size_bytes` and
`http_server_response_body_size_bytes` (histograms); labels `http_request_method`,
`http_route` (empty when no route matched) and `http_response_status_code`.
"""

from __future__ import annotations

import contextlib
import os
import types
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, cast

from .._meta import EndpointMeta
from .._rendering.responses import BytesResponse
from .._routes import Endpoint
from . import conventions as sc
from .tracing import require

if TYPE_CHECKING:
    from prometheus_client import Gauge, Histogram

    from .metrics import Measurement

__all__ = ["PrometheusRecorder", "prometheus_endpoint", "worker_exit"]

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
LABELS = ("http_request_method", "http_route", "http_response_status_code")
BODY_BUCKETS = (0.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0)
"""Body sizes in bytes, up to 1 MiB (larger ones land in +Inf)."""


class _Metrics:
    """The process's four metrics, created once (a registry refuses a name twice)."""

    def __init__(self) -> None:
        try:
            from prometheus_client import Gauge, Histogram
        except ImportError:
            require("Prometheus metrics", "prometheus")
            raise
        self.duration: Histogram = Histogram(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests.",
            LABELS,
            buckets=sc.DURATION_BUCKETS,
        )
        self.active: Gauge = Gauge(
            "http_server_active_requests",
            "Number of active HTTP server requests.",
            ("http_request_method",),
            multiprocess_mode="livesum",
        )
        self.request_size: Histogram = Histogram(
            "http_server_request_body_size_bytes",
            "Size of HTTP server request bodies.",
            LABELS,
            buckets=BODY_BUCKETS,
        )
        self.response_size: Histogram = Histogram(
            "http_server_response_body_size_bytes",
            "Size of HTTP server response bodies.",
            LABELS,
            buckets=BODY_BUCKETS,
        )


_metrics: _Metrics | None = None


def _process_metrics() -> _Metrics:
    global _metrics  # noqa: PLW0603 (one set per process)
    if _metrics is None:
        _metrics = _Metrics()
    return _metrics


class PrometheusRecorder:
    """One route's measurements into the process's metrics; the labelled children are
    looked up once per method and status and kept."""

    __slots__ = ("active", "children", "metrics", "route")

    def __init__(self, route: str | None) -> None:
        self.metrics = _process_metrics()
        self.route = route or ""
        self.active: dict[str, Any] = {}
        self.children: dict[tuple[str, int], tuple[Any, Any, Any]] = {}

    def begin(self, request: Measurement) -> None:
        method = request.method
        gauge = self.active.get(method)
        if gauge is None:
            gauge = self.active[method] = self.metrics.active.labels(method)
        gauge.inc()

    def end(self, request: Measurement) -> None:
        method, status = request.method, request.status
        self.active[method].dec()
        key = (method, status)
        children = self.children.get(key)
        if children is None:
            metrics, labels = self.metrics, (method, self.route, str(status or ""))
            children = (
                metrics.duration.labels(*labels),
                metrics.request_size.labels(*labels),
                metrics.response_size.labels(*labels),
            )
            if len(self.children) < 256:
                self.children[key] = children
        duration, request_size, response_size = children
        duration.observe(request.seconds)
        request_size.observe(request.received)
        response_size.observe(request.sent)


def _multiprocess() -> bool:
    """prometheus_client's own test (it also reads the older lowercase spelling)."""
    return MULTIPROCESS_VARIABLE in os.environ or MULTIPROCESS_VARIABLE.lower() in os.environ


def exposition() -> bytes:
    """The text exposition of every process's metrics (multiprocess mode) or of this
    process's default registry."""
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

    if _multiprocess():
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


class PrometheusEndpoint(Endpoint, meta=EndpointMeta(hidden=True)):
    """Serves the exposition (text format 0.0.4, which every Prometheus reads)."""

    async def get(self) -> BytesResponse:
        return BytesResponse(exposition(), media_type=_CONTENT_TYPE)


_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def prometheus_endpoint(path: str) -> PrometheusEndpoint:
    """The hidden endpoint serving the exposition at `path`."""
    _process_metrics()  # fails at wiring without prometheus_client, not at a scrape
    cls: type[PrometheusEndpoint] = types.new_class(
        "PrometheusEndpoint", (PrometheusEndpoint,), {"path": path}
    )
    return cls()


@contextlib.contextmanager
def worker_exit() -> Generator[None]:
    """On the app's lifecycle: at shutdown, in multiprocess mode, this process's live
    gauges (active requests) stop counting."""
    yield
    if _multiprocess():
        from prometheus_client import multiprocess

        mark_dead = cast(Callable[[int], None], multiprocess.mark_process_dead)  # pyright: ignore[reportUnknownMemberType]
        mark_dead(os.getpid())
