"""Observability: OpenTelemetry traces and metrics, a Prometheus endpoint correct across
workers, a JSON access log with trace ids, and liveness/readiness answers.

The request-time parts are jero middleware, compiled into each route's chain at wiring:
every span name, attribute set and label set that depends on the route is computed
once there, and a route (or an app) without them pays nothing.
"""

from .access_log import AccessLog
from .health import Health, HealthCheck, health_endpoints
from .metrics import Metrics
from .prometheus import prometheus_endpoint, worker_exit
from .tracing import RouteOnScope, RouteTemplate, Tracing

__all__ = [
    "AccessLog",
    "Health",
    "HealthCheck",
    "Metrics",
    "RouteOnScope",
    "RouteTemplate",
    "Tracing",
    "health_endpoints",
    "prometheus_endpoint",
    "worker_exit",
]
