"""Streaming responses: what goes on the wire, and what wiring refuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import msgspec
import pytest
from msgspec import Struct

from jero import (
    Endpoint,
    NDJSONStreamingResponse,
    RawHeaders,
    Resource,
    ServerSentEvent,
    SSEResponse,
    StreamingResponse,
    WiringError,
)
from jero.testing import TestClient, iter_ndjson, iter_sse
from tests.routes_app import app_of, boot


class Tick(Struct):
    n: int


class Added(Struct, tag="added"):
    item_id: str


class Removed(Struct, tag="removed"):
    item_id: str


class Untagged(Struct):
    item_id: str


class Camel(Struct, rename="camel"):
    item_id: str
    display_name: str


class TraceHeaders(Struct):
    x_trace_id: str
    x_partial: bool | None = None


async def items[T](*values: T) -> AsyncIterator[T]:
    for value in values:
        yield value


def serve(*routes: Endpoint | Resource) -> TestClient:
    return TestClient(app_of(*routes))


def wire(*routes: Endpoint | Resource) -> None:
    boot(app_of(*routes))


# --- NDJSON ----------------------------------------------------------------------------


class TicksEndpoint(Endpoint, path="/ticks"):
    async def get(self) -> NDJSONStreamingResponse[Tick]:
        return NDJSONStreamingResponse(items(Tick(0), Tick(1), Tick(2)))


def test_ndjson_sends_one_json_document_per_line() -> None:
    with serve(TicksEndpoint()) as client:
        response = client.get("/ticks")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert "content-length" not in response.headers
    assert response.content == b'{"n":0}\n{"n":1}\n{"n":2}\n'


def test_ndjson_items_go_out_as_separate_chunks() -> None:
    with serve(TicksEndpoint()) as client, client.stream("GET", "/ticks") as response:
        chunks = list(response.iter_raw())
    assert chunks == [b'{"n":0}\n', b'{"n":1}\n', b'{"n":2}\n']


def test_ndjson_of_tagged_union_and_renamed_fields() -> None:
    class ChangesEndpoint(Endpoint, path="/changes"):
        async def get(self) -> NDJSONStreamingResponse[Added | Removed]:
            return NDJSONStreamingResponse(items(Added("a"), Removed("b")))

    class CamelEndpoint(Endpoint, path="/camel"):
        async def get(self) -> NDJSONStreamingResponse[Camel]:
            return NDJSONStreamingResponse(items(Camel("c1", "Cog")))

    with serve(ChangesEndpoint(), CamelEndpoint()) as client:
        changes = client.get("/changes")
        camel = client.get("/camel")
        with client.stream("GET", "/changes") as response:
            decoded = list(iter_ndjson(response, Added | Removed))
    assert changes.content == b'{"type":"added","item_id":"a"}\n{"type":"removed","item_id":"b"}\n'
    assert decoded == [Added("a"), Removed("b")]
    assert camel.content == b'{"itemId":"c1","displayName":"Cog"}\n'


def test_ndjson_of_list_items() -> None:
    class BatchesEndpoint(Endpoint, path="/batches"):
        async def get(self) -> NDJSONStreamingResponse[list[Tick]]:
            return NDJSONStreamingResponse(items([Tick(0), Tick(1)], []))

    with serve(BatchesEndpoint()) as client:
        assert client.get("/batches").content == b'[{"n":0},{"n":1}]\n[]\n'


def test_ndjson_status_typed_and_raw_headers() -> None:
    class ExportResource(Resource, path="/exports"):
        async def create(self) -> NDJSONStreamingResponse[Tick, TraceHeaders]:
            return NDJSONStreamingResponse(
                items(Tick(1)),
                headers=TraceHeaders(x_trace_id="t-1", x_partial=False),
                raw_headers=RawHeaders([("X-Extra", "1"), ("Content-Length", "99")]),
            )

    class AcceptedEndpoint(Endpoint, path="/accepted"):
        async def post(self) -> NDJSONStreamingResponse[Tick]:
            return NDJSONStreamingResponse(items(Tick(2)), status_code=202)

    with serve(ExportResource(), AcceptedEndpoint()) as client:
        created = client.post("/exports")
        accepted = client.post("/accepted")
    assert created.status_code == 201  # Resource.create's default
    assert created.headers.raw == [
        (b"content-type", b"application/x-ndjson"),
        (b"x-trace-id", b"t-1"),
        (b"x-partial", b"false"),
        (b"x-extra", b"1"),
    ]
    assert created.content == b'{"n":1}\n'
    assert accepted.status_code == 202


def test_a_line_separator_inside_a_string_stays_in_its_item() -> None:
    class NotesEndpoint(Endpoint, path="/notes"):
        async def get(self) -> NDJSONStreamingResponse[Camel]:
            return NDJSONStreamingResponse(items(Camel("n1", "a\u2028b\u2029c\x85d")))

    with serve(NotesEndpoint()) as client, client.stream("GET", "/notes") as response:
        decoded = list(iter_ndjson(response, Camel))
    assert decoded == [Camel("n1", "a\u2028b\u2029c\x85d")]


# --- raw bytes -------------------------------------------------------------------------


def test_streaming_response_sends_bytes_with_its_media_type() -> None:
    class CsvEndpoint(Endpoint, path="/report.csv"):
        async def get(self) -> StreamingResponse[TraceHeaders]:
            rows = items(b"id,name\n", bytearray(b"1,bolt\n"), memoryview(b"2,nut\n"))
            return StreamingResponse(
                rows, media_type="text/csv", headers=TraceHeaders(x_trace_id="r")
            )

    with serve(CsvEndpoint()) as client:
        response = client.get("/report.csv")
    assert response.status_code == 200
    assert response.headers.raw == [(b"content-type", b"text/csv"), (b"x-trace-id", b"r")]
    assert response.content == b"id,name\n1,bolt\n2,nut\n"


def test_streaming_response_defaults_and_raw_content_type_override() -> None:
    class BlobEndpoint(Endpoint, path="/blob"):
        async def get(self) -> StreamingResponse:
            return StreamingResponse(items(b"\x00\x01"))

    class PageEndpoint(Endpoint, path="/page"):
        async def get(self) -> StreamingResponse:
            return StreamingResponse(
                items(b"<p>", b"hi</p>"),
                raw_headers={"Content-Type": "text/html; charset=utf-8"},
                status_code=203,
            )

    with serve(BlobEndpoint(), PageEndpoint()) as client:
        blob = client.get("/blob")
        page = client.get("/page")
    assert blob.headers.raw == [(b"content-type", b"application/octet-stream")]
    assert blob.content == b"\x00\x01"
    assert page.status_code == 203
    assert page.headers.raw == [(b"content-type", b"text/html; charset=utf-8")]
    assert page.content == b"<p>hi</p>"


def test_a_chunk_that_is_not_bytes_ends_the_stream_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class MixedEndpoint(Endpoint, path="/mixed"):
        async def get(self) -> StreamingResponse:
            chunks: Any = items(b"ok\n", "not bytes", b"never")
            return StreamingResponse(chunks)

    with serve(MixedEndpoint()) as client:
        response = client.get("/mixed")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    [record] = [r for r in caplog.records if r.name == "jero"]
    assert record.getMessage().startswith("The stream of ")
    assert record.getMessage().endswith("MixedEndpoint.get failed; ending the response")
    assert record.exc_info is not None
    assert "StreamingResponse items must be bytes, got str" in str(record.exc_info[1])


# --- Server-Sent Events ----------------------------------------------------------------


def test_sse_encodes_structs_text_and_events() -> None:
    class FeedEndpoint(Endpoint, path="/feed"):
        async def get(self) -> SSEResponse[Tick]:
            return SSEResponse(
                items(
                    Tick(1),
                    "plain",
                    "two\nlines\r\nand\rthree",
                    "",
                    ServerSentEvent(Tick(2), event="tick", id="42", retry=1500),
                    ServerSentEvent("text data", event="note"),
                    ServerSentEvent(retry=10),
                    ServerSentEvent(id=""),
                )
            )

    with serve(FeedEndpoint()) as client:
        response = client.get("/feed")
    assert response.status_code == 200
    assert response.headers.raw == [
        (b"content-type", b"text/event-stream"),
        (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no"),
    ]
    assert response.content == (
        b'data: {"n":1}\n\n'
        b"data: plain\n\n"
        b"data: two\ndata: lines\ndata: and\ndata: three\n\n"
        b"data: \n\n"
        b'event: tick\nid: 42\nretry: 1500\ndata: {"n":2}\n\n'
        b"event: note\ndata: text data\n\n"
        b"retry: 10\n\n"
        b"id: \n\n"
    )


def test_sse_round_trips_through_the_event_parser() -> None:
    sent = [
        ServerSentEvent(Tick(1)),
        ServerSentEvent(Tick(2), event="tick", id="7", retry=3000),
        ServerSentEvent(Tick(3), id="8"),
    ]

    class FeedEndpoint(Endpoint, path="/feed"):
        async def get(self) -> SSEResponse[Tick]:
            return SSEResponse(items(Tick(1), *sent[1:]))

    class TextEndpoint(Endpoint, path="/text"):
        async def get(self) -> SSEResponse[str]:
            return SSEResponse(items("a\nb", ServerSentEvent("c", event="x"), " lead"))

    with serve(FeedEndpoint(), TextEndpoint()) as client:
        with client.stream("GET", "/feed") as response:
            assert list(iter_sse(response, Tick)) == sent
        with client.stream("GET", "/text") as response:
            assert list(iter_sse(response)) == [
                ServerSentEvent("a\nb"),
                ServerSentEvent("c", event="x"),
                ServerSentEvent(" lead"),
            ]


def test_sse_headers_can_be_overridden_and_extended() -> None:
    class FeedEndpoint(Endpoint, path="/feed"):
        async def get(self) -> SSEResponse[Tick, TraceHeaders]:
            return SSEResponse(
                items(Tick(1)),
                headers=TraceHeaders(x_trace_id="f"),
                raw_headers={"Cache-Control": "no-store"},
            )

    with serve(FeedEndpoint()) as client:
        response = client.get("/feed")
    assert response.headers.raw == [
        (b"content-type", b"text/event-stream"),
        (b"x-accel-buffering", b"no"),
        (b"x-trace-id", b"f"),
        (b"cache-control", b"no-store"),
    ]


def test_sse_keepalive_pings_an_idle_stream() -> None:
    class QuietEndpoint(Endpoint, path="/quiet"):
        async def get(self) -> SSEResponse[Tick]:
            async def one_then_silence() -> AsyncIterator[Tick]:
                yield Tick(1)
                await anyio.sleep_forever()

            return SSEResponse(one_then_silence(), keepalive=0.01)

    with serve(QuietEndpoint()) as client, client.stream("GET", "/quiet") as response:
        chunks = response.iter_raw()
        assert next(chunks) == b'data: {"n":1}\n\n'
        assert next(chunks) == b": ping\n\n"
        assert next(chunks) == b": ping\n\n"


def test_sse_without_keepalive_sends_no_comment() -> None:
    class FeedEndpoint(Endpoint, path="/feed"):
        async def get(self) -> SSEResponse[Tick]:
            async def slow() -> AsyncIterator[Tick]:
                yield Tick(1)
                await anyio.sleep(0.05)
                yield Tick(2)

            return SSEResponse(slow())

    with serve(FeedEndpoint()) as client:
        assert client.get("/feed").content == b'data: {"n":1}\n\ndata: {"n":2}\n\n'


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"event": "a\nb"}, "event must be one line"),
        ({"event": "a\rb"}, "event must be one line"),
        ({"id": "1\n2"}, "id must be one line"),
        ({"id": "1\x002"}, "id must not contain NUL"),
        ({"retry": -1}, "retry must be an int >= 0"),
        ({"retry": 1.5}, "retry must be an int >= 0"),
        ({"retry": True}, "retry must be an int >= 0"),
    ],
)
def test_server_sent_event_refuses_fields_that_would_break_the_framing(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ServerSentEvent("data", **kwargs)


def test_wrappers_refuse_a_stream_that_is_not_async_iterable() -> None:
    with pytest.raises(TypeError, match=r"NDJSONStreamingResponse\(stream=\.\.\.\) needs an"):
        NDJSONStreamingResponse[Tick]([Tick(1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got list"):
        StreamingResponse([b"x"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="SSEResponse"):
        SSEResponse[Tick](None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="keepalive must be a number of seconds > 0"):
        SSEResponse(items(Tick(1)), keepalive=0)


# --- HEAD and unions -------------------------------------------------------------------


def test_head_sends_the_headers_and_never_iterates_the_stream() -> None:
    pulled: list[str] = []

    async def watched() -> AsyncIterator[Tick]:
        pulled.append("started")
        yield Tick(1)

    async def managed() -> AsyncIterator[AsyncIterator[Tick]]:
        pulled.append("setup")
        try:
            yield watched()
        finally:
            pulled.append("teardown")

    class WatchedEndpoint(Endpoint, path="/watched"):
        async def get(self) -> SSEResponse[Tick, TraceHeaders]:
            return SSEResponse(managed(), headers=TraceHeaders(x_trace_id="h"))

    with serve(WatchedEndpoint()) as client:
        head = client.head("/watched")
        assert pulled == []
        get = client.get("/watched")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers == get.headers
    assert pulled == ["setup", "started", "teardown"]


class LiveQuery(Struct):
    live: bool = False


def test_union_of_a_struct_and_a_stream() -> None:
    class TicksEndpoint(Endpoint, path="/ticks"):
        async def get(self, params: LiveQuery) -> Tick | NDJSONStreamingResponse[Tick]:
            if params.live:
                return NDJSONStreamingResponse(items(Tick(1), Tick(2)))
            return Tick(0)

    with serve(TicksEndpoint()) as client:
        snapshot = client.get("/ticks")
        live = client.get("/ticks", params={"live": "true"})
    assert snapshot.headers["content-type"] == "application/json"
    assert snapshot.content == b'{"n":0}'
    assert live.headers["content-type"] == "application/x-ndjson"
    assert live.content == b'{"n":1}\n{"n":2}\n'


def test_an_error_raised_before_the_stream_is_returned_is_a_problem() -> None:
    from jero import NotFoundError

    class GoneEndpoint(Endpoint, path="/gone"):
        async def get(self) -> NDJSONStreamingResponse[Tick]:
            raise NotFoundError()

    with serve(GoneEndpoint()) as client:
        response = client.get("/gone")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_render_plan_marks_streaming_shapes() -> None:
    class TicksEndpoint(Endpoint, path="/ticks"):
        async def get(self) -> Tick | SSEResponse[Added | Removed, TraceHeaders]:
            return Tick(0)

    app = app_of(TicksEndpoint())
    with TestClient(app):
        assert app.jero.router is not None
        [plan] = app.jero.router.plans()
    json_shape, sse_shape = plan.render.shapes
    assert plan.render.streams
    assert not json_shape.streaming
    assert sse_shape.streaming
    assert sse_shape.media_type == "text/event-stream"
    assert sse_shape.body_type == Added | Removed
    assert sse_shape.headers_type is TraceHeaders


# --- wiring ----------------------------------------------------------------------------


def test_sse_on_anything_but_get_is_a_wiring_error() -> None:
    class PushEndpoint(Endpoint, path="/push"):
        async def post(self) -> SSEResponse[Tick]:
            return SSEResponse(items(Tick(1)))

    class FeedResource(Resource, path="/feeds"):
        async def delete(self, path: FeedPath) -> Tick | SSEResponse[Tick]:
            return Tick(0)

    with pytest.raises(WiringError, match=r"PushEndpoint\.post: SSEResponse is only for GET"):
        wire(PushEndpoint())
    with pytest.raises(WiringError, match=r"FeedResource\.delete: .* not DELETE"):
        wire(FeedResource())


class FeedPath(Struct):
    feed_id: str


def test_sse_on_get_resource_operations_wires() -> None:
    class FeedResource(Resource, path="/feeds"):
        async def read_many(self) -> SSEResponse[Tick]:
            return SSEResponse(items(Tick(1)))

        async def read_one(self, path: FeedPath) -> SSEResponse[str]:
            return SSEResponse(items(path.feed_id))

    with serve(FeedResource()) as client:
        assert client.get("/feeds").content == b'data: {"n":1}\n\n'
        assert client.get("/feeds/f1").content == b"data: f1\n\n"


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (NDJSONStreamingResponse, r"NDJSONStreamingResponse needs its item type, e\.g\."),
        (SSEResponse, r"SSEResponse needs its item type"),
        (NDJSONStreamingResponse[dict[str, int]], r"must carry a msgspec Struct, list\[Struct\]"),
        (NDJSONStreamingResponse[str], r"NDJSONStreamingResponse\[str\] must carry"),
        (SSEResponse[int], r"SSEResponse\[int\] must carry .* or str"),
        (NDJSONStreamingResponse[Any], r"must carry a msgspec Struct"),
        (
            NDJSONStreamingResponse[Added | Untagged],
            r"\[Added \| Untagged\]: .* by their tags; .* class Untagged\(Struct, tag=True\)",
        ),
        (SSEResponse[list[Added | Untagged]], r"tag each one"),
        (SSEResponse[Tick, dict[str, str]], r"response headers type .* must be a msgspec Struct"),
        (StreamingResponse[int], r"response headers type int must be a msgspec Struct"),
    ],
)
def test_bad_stream_annotations_are_wiring_errors(annotation: Any, message: str) -> None:
    async def get(self: Endpoint) -> Any:
        raise AssertionError

    get.__annotations__["return"] = annotation
    route = type("BadEndpoint", (Endpoint,), {"get": get}, path="/bad")
    with pytest.raises(WiringError, match=r"BadEndpoint\.get: .*" + message):
        wire(route())


def test_streams_carry_no_runtime_type_check_of_items_on_the_fast_path() -> None:
    """Items are encoded as they come, as JSON returns are: the annotation is the
    contract, msgspec encodes whatever Struct it is handed."""

    class LooseEndpoint(Endpoint, path="/loose"):
        async def get(self) -> NDJSONStreamingResponse[Tick]:
            loose: Any = items(Added("x"))
            return NDJSONStreamingResponse(loose)

    with serve(LooseEndpoint()) as client:
        assert client.get("/loose").content == msgspec.json.encode(Added("x")) + b"\n"


class Countdown:
    """An async iterator that is not a generator, with its own `aclose`."""

    def __init__(self, start: int) -> None:
        self.left = start
        self.closed = 0

    def __aiter__(self) -> Countdown:
        return self

    async def __anext__(self) -> Tick:
        if self.left == 0:
            raise StopAsyncIteration
        self.left -= 1
        return Tick(self.left)

    async def aclose(self) -> None:
        self.closed += 1


def test_any_async_iterator_streams_and_is_closed_once() -> None:
    sources: list[Countdown] = []

    class CountdownEndpoint(Endpoint, path="/countdown"):
        async def get(self) -> NDJSONStreamingResponse[Tick]:
            sources.append(Countdown(3))
            return NDJSONStreamingResponse(sources[-1])

    with serve(CountdownEndpoint()) as client:
        get = client.get("/countdown")
        head = client.head("/countdown")
    assert get.content == b'{"n":2}\n{"n":1}\n{"n":0}\n'
    assert head.content == b""
    assert [(s.left, s.closed) for s in sources] == [(0, 1), (3, 1)]  # HEAD never pulled
