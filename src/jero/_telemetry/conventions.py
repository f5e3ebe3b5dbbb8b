"""The OpenTelemetry HTTP semantic conventions jero follows, as plain constants.

Written out here (rather than imported from `opentelemetry-semantic-conventions`) so the
layers need nothing beyond the API package, and so the Prometheus side, which has no
OpenTelemetry at all, names things the same way. The names are the stable HTTP
conventions; the two body-size histograms are still marked experimental upstream.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._asgi import Scope
from .._errors import WiringError

# Span and metric attributes.
HTTP_REQUEST_METHOD = "http.request.method"
HTTP_REQUEST_METHOD_ORIGINAL = "http.request.method_original"
HTTP_ROUTE = "http.route"
HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"
URL_PATH = "url.path"
URL_QUERY = "url.query"
URL_SCHEME = "url.scheme"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
CLIENT_ADDRESS = "client.address"
CLIENT_PORT = "client.port"
USER_AGENT_ORIGINAL = "user_agent.original"
NETWORK_PROTOCOL_VERSION = "network.protocol.version"
ERROR_TYPE = "error.type"

DISCONNECTED = "jero.client_disconnected"
"""jero's own span attribute: the client went away before the response ended."""

# Metric instruments.
REQUEST_DURATION = "http.server.request.duration"
ACTIVE_REQUESTS = "http.server.active_requests"
REQUEST_BODY_SIZE = "http.server.request.body.size"
RESPONSE_BODY_SIZE = "http.server.response.body.size"

DURATION_BUCKETS: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
"""The conventions' advised boundaries of `http.server.request.duration`, in seconds."""

KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)
"""Methods reported as they are; any other is `_OTHER` (its spelling would be unbounded
cardinality), with the original kept in `http.request.method_original` on spans."""


def method_of(scope: Scope) -> str:
    """The request method as the conventions report it: known, or `_OTHER`."""
    method: str = scope["method"]
    return method if method in KNOWN_METHODS else "_OTHER"


def span_names(template: str | None, answered: Iterable[str] | None) -> dict[str, str]:
    """Every known method's span name on a route: ``GET /widgets/{widget_id}`` for the
    methods the route answers (`answered`; None: all), the method alone for the others
    (a 405) and everywhere no route matched (a 404), so names never carry a raw path."""
    if template is None:
        return {method: method for method in KNOWN_METHODS}
    named = KNOWN_METHODS if answered is None else KNOWN_METHODS.intersection(answered)
    return {
        method: f"{method} {template}" if method in named else method for method in KNOWN_METHODS
    }


def host_and_port(host: str) -> tuple[str, int | None]:
    """``example.com:8080`` → ("example.com", 8080); IPv6 literals keep their brackets
    off; a port that is not a number is dropped."""
    if host.startswith("["):
        end = host.find("]")
        if end > 0:
            rest = host[end + 1 :]
            port = rest[1:] if rest.startswith(":") else ""
            return host[1:end], int(port) if port.isdigit() else None
        return host, None
    name, colon, port = host.rpartition(":")
    if colon and port.isdigit():
        return name, int(port)
    return host, None


def route_set(exclude: Iterable[str], where: str) -> frozenset[str]:
    """`exclude=` of a telemetry layer: route templates (``"/readyz"``) it leaves alone."""
    if isinstance(exclude, str):
        raise WiringError(f"{where}: exclude= takes route templates, e.g. exclude=[{exclude!r}]")
    templates = frozenset(exclude)
    for template in templates:
        if not template.startswith("/"):
            raise WiringError(f"{where}: exclude= {template!r} is not a route template")
    return templates
