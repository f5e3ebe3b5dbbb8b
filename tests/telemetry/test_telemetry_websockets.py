"""A WebSocket session wired with `tracing=` gets one span from handshake to close."""

from __future__ import annotations

import logging

from msgspec import Struct
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from jero import BaseApp, Tracing, WebSocket, WebSocketEndpoint
from jero.testing import TestClient

socket_logger = logging.getLogger("tests.telemetry.sockets")
PARENT_TRACE = "5bf92f3577b34da6a3ce929d0e0e4736"


class RoomPath(Struct):
    room_id: str


class Say(Struct):
    text: str


class EchoSocket(WebSocketEndpoint, path="/rooms/{room_id}/ws"):
    async def receive(self, message: Say, path: RoomPath, socket: WebSocket[Say]) -> None:
        if message.text == "crash":
            raise RuntimeError("socket hook failed")
        socket_logger.warning("echo %s", message.text)
        await socket.send(message)


class PlainSocket(WebSocketEndpoint, path="/plain/ws"):
    async def receive(self, message: Say, socket: WebSocket[Say]) -> None:
        await socket.send(message)


def client_for(exporter: InMemorySpanExporter) -> TestClient:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_websocket(EchoSocket(), tracing=Tracing(provider))
            self._include_websocket(PlainSocket())

    return TestClient(App())


def test_a_session_span_from_handshake_to_close(caplog: object) -> None:
    exporter = InMemorySpanExporter()
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    socket_logger.addHandler(handler)
    try:
        with client_for(exporter) as client:
            headers = {"traceparent": f"00-{PARENT_TRACE}-00f067aa0ba902b7-01"}
            with client.websocket_connect("/rooms/lobby/ws", headers=headers) as ws:
                for text in ("one", "two"):
                    ws.send(Say(text))
                    assert ws.receive(Say) == Say(text)
                assert exporter.get_finished_spans() == ()  # open: not ended yet
            with client.websocket_connect("/plain/ws") as ws:
                ws.send(Say("untraced"))
                assert ws.receive(Say) == Say("untraced")
    finally:
        socket_logger.removeHandler(handler)
    (span,) = exporter.get_finished_spans()
    assert span.name == "WEBSOCKET /rooms/{room_id}/ws"
    assert span.kind is SpanKind.SERVER
    assert format(span.context.trace_id, "032x") == PARENT_TRACE
    assert span.attributes is not None
    attributes = dict(span.attributes)
    assert attributes["http.route"] == "/rooms/{room_id}/ws"
    assert attributes["url.path"] == "/rooms/lobby/ws"
    assert attributes["jero.websocket.accepted"] is True
    assert attributes["jero.websocket.messages_received"] == 2
    assert attributes["jero.websocket.messages_sent"] == 2
    assert attributes["jero.websocket.closed_by"] == "client"
    assert span.status.status_code is StatusCode.UNSET
    assert [r.__dict__["trace_id"] for r in records] == [PARENT_TRACE, PARENT_TRACE]


def test_a_crashing_hook_marks_the_span() -> None:
    exporter = InMemorySpanExporter()
    with client_for(exporter) as client, client.websocket_connect("/rooms/r/ws") as ws:
        ws.send(Say("crash"))
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "RuntimeError"
    assert span.attributes["jero.websocket.closed_by"] == "server"
    assert span.attributes["jero.websocket.close_code"] == 1011
    assert [event.name for event in span.events] == ["exception"]
