"""`AccessLog`: one JSON line per request, carrying the trace and request ids.

The line is the log message of an INFO record on the ``jero.access.json`` logger (so a
handler with the ``%(message)s`` format writes exactly one JSON object per line, and
the usual logging configuration decides where it goes). The ids are read when the
response starts, inside whatever layers run around the handler, so `Tracing` and
`RequestId` may be listed before or after it. The route template is known at wiring; a
404 logs ``null`` there and the raw path only in `path`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import msgspec

from .._asgi import ASGIApp, Message, Receive, Scope, Send
from .._middleware.chain import RouteInfo, self_guarded
from .._middleware.request_id import current_request_id
from .context import current_span_ids, install_record_factory
from .conventions import route_set

__all__ = ["AccessLog"]


class _Line(msgspec.Struct, omit_defaults=False):
    time: str
    method: str
    route: str | None
    path: str
    status: int | None
    duration_ms: float
    request_id: str | None
    trace_id: str | None
    span_id: str | None


_encode = msgspec.json.Encoder().encode


@self_guarded
class AccessLog:
    """Log one JSON object per request on `logger` (default ``jero.access.json``) at
    INFO: `time` (UTC, ISO 8601, when the request arrived), `method`, `route` (the
    template), `path`, `status` (null when no response was sent), `duration_ms` (until
    the response ended), `request_id` (with `RequestId`), `trace_id` and `span_id`
    (with `Tracing`). Also makes every log record of the request carry `trace_id` and
    `span_id` attributes. `exclude` names route templates left unlogged."""

    def __init__(self, logger: str = "jero.access.json", *, exclude: Collection[str] = ()) -> None:
        self.logger = logging.getLogger(logger)
        self.exclude = route_set(exclude, "AccessLog")

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        if route.path in self.exclude:
            return app
        install_record_factory()
        log = self.logger
        template = route.path
        clock = time.perf_counter

        async def logged(scope: Scope, receive: Receive, send: Send) -> None:
            if not log.isEnabledFor(logging.INFO):
                await app(scope, receive, send)
                return
            arrived = time.time()
            started = clock()
            status: int | None = None
            ids: tuple[str | None, tuple[str, str] | None] = (None, None)

            async def noted_send(message: Message) -> None:
                nonlocal status, ids
                if message["type"] == "http.response.start":
                    status = message["status"]
                    ids = (current_request_id(), current_span_ids())
                await send(message)

            try:
                await app(scope, receive, noted_send)
            finally:
                request_id, span = ids
                if status is None:
                    request_id, span = current_request_id(), current_span_ids()
                line = _Line(
                    time=datetime.fromtimestamp(arrived, UTC).isoformat(timespec="milliseconds"),
                    method=scope["method"],
                    route=template,
                    path=scope["path"],
                    status=status,
                    duration_ms=round((clock() - started) * 1000, 3),
                    request_id=request_id,
                    trace_id=span[0] if span else None,
                    span_id=span[1] if span else None,
                )
                log.info(_encode(line).decode(), extra=_extra(line))

        return logged


def _extra(line: _Line) -> dict[str, Any]:
    """A few fields as record attributes too, for handlers that filter on them."""
    return {"http_method": line.method, "route": line.route, "status": line.status}
