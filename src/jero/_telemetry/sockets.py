"""The span of a WebSocket session: from the handshake to the close, one per connection.

WebSockets have no semantic conventions of their own yet; the span is a SERVER span
named ``WEBSOCKET {route template}`` with the URL, peer and user-agent attributes of an
HTTP request, its parent read from the handshake's headers, and what only a session has:
whether it was accepted, who closed it with which code, and how many messages went each
way. It is the current span while the hooks run, so their log records carry its ids and
their own spans are its children.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .._asgi import Message, Receive, Scope, Send
from . import conventions as sc
from .context import ActiveSpan, current, install_record_factory
from .tracing import SCHEMA_URL, connection_attributes, jero_version, require

if TYPE_CHECKING:
    from .tracing import Tracing

__all__ = ["SocketLayer", "socket_layer"]

type Session = Callable[[Receive, Send], Awaitable[None]]
type SocketLayer = Callable[[Scope, Receive, Send, Session], Awaitable[None]]
"""`layer(scope, receive, send, session)`: runs `session(receive, send)` inside the span
(the shape the app's WebSocket routes take a layer in)."""

ACCEPTED = "jero.websocket.accepted"
CLOSE_CODE = "jero.websocket.close_code"
CLOSED_BY = "jero.websocket.closed_by"
RECEIVED = "jero.websocket.messages_received"
SENT = "jero.websocket.messages_sent"


class _Session:
    """What the span learns from the messages of one session."""

    __slots__ = ("_receive", "_send", "accepted", "closed_by", "code", "received", "sent", "status")

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send
        self.accepted = False
        self.closed_by: str | None = None
        self.code: int | None = None
        self.received = self.sent = 0
        self.status = 0

    async def receive(self) -> Message:
        message = await self._receive()
        kind = message["type"]
        if kind == "websocket.receive":
            self.received += 1
        elif kind == "websocket.disconnect" and self.closed_by is None:
            self.closed_by, self.code = "client", message.get("code", 1005)
        return message

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.send":
            self.sent += 1
        elif kind == "websocket.accept":
            self.accepted = True
        elif kind == "websocket.close" and self.closed_by is None:
            self.closed_by, self.code = "server", message.get("code", 1000)
        elif kind == "websocket.http.response.start":
            self.status = message["status"]
        await self._send(message)

    def finish(self, span: Any) -> None:
        span.set_attribute(ACCEPTED, self.accepted)
        span.set_attribute(RECEIVED, self.received)
        span.set_attribute(SENT, self.sent)
        if self.closed_by is not None:
            span.set_attribute(CLOSED_BY, self.closed_by)
        if self.code is not None:
            span.set_attribute(CLOSE_CODE, self.code)
        if self.status:
            span.set_attribute(sc.HTTP_RESPONSE_STATUS_CODE, self.status)


def socket_layer(tracing: Tracing, template: str) -> SocketLayer:
    try:
        from opentelemetry import context as otel_context
        from opentelemetry import propagate as otel_propagate
        from opentelemetry import trace
    except ImportError:
        require("Tracing", "otel")
        raise
    install_record_factory()
    tracer = trace.get_tracer(
        "jero", jero_version(), tracing.tracer_provider, schema_url=SCHEMA_URL
    )
    name = f"WEBSOCKET {template}"
    fields: frozenset[bytes] = frozenset()
    if tracing.propagate:
        fields = frozenset(f.lower().encode() for f in otel_propagate.get_global_textmap().fields)
    server = trace.SpanKind.SERVER
    error_status = trace.Status(trace.StatusCode.ERROR)

    async def traced(scope: Scope, receive: Receive, send: Send, session: Session) -> None:
        attributes: dict[str, Any] = {sc.HTTP_ROUTE: template}
        carrier = connection_attributes(scope, attributes, fields)
        parent = otel_propagate.extract(carrier) if carrier else None
        span = tracer.start_span(name, context=parent, kind=server, attributes=attributes)
        ids = span.get_span_context()
        active = ActiveSpan(span, ids.trace_id, ids.span_id)
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        active_token = current.set(active)
        watched = _Session(receive, send)
        try:
            await session(watched.receive, watched.send)
        finally:
            watched.finish(span)
            if active.error_type is not None:
                span.set_status(error_status)
                span.set_attribute(sc.ERROR_TYPE, active.error_type)
            current.reset(active_token)
            otel_context.detach(token)
            span.end()

    return traced
