"""Compression: negotiation, thresholds, media types never compressed, headers of a
compressed body, and streams compressed chunk by chunk so each line arrives at once."""

from __future__ import annotations

import threading
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import brotli
import msgspec
import pytest
import zstandard
from msgspec import Struct

from jero import (
    BaseApp,
    BytesResponse,
    Compression,
    Endpoint,
    NDJSONStreamingResponse,
    SSEResponse,
    WiringError,
)
from jero.testing import TestClient


class Row(Struct):
    n: int
    text: str


ROWS = [Row(n, f"row number {n} of the table") for n in range(100)]
ROWS_JSON = msgspec.json.encode(ROWS)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


class RowsEndpoint(Endpoint, path="/rows"):
    async def get(self) -> list[Row]:
        return ROWS


class SmallEndpoint(Endpoint, path="/small"):
    async def get(self) -> Row:
        return ROWS[0]


class FileEndpoint(Endpoint, path="/file"):
    async def get(self) -> BytesResponse:
        return BytesResponse(
            content=ROWS_JSON, media_type="application/json", raw_headers={"etag": '"v1"'}
        )


class ImageEndpoint(Endpoint, path="/image"):
    async def get(self) -> BytesResponse:
        return BytesResponse(content=PNG, media_type="image/png")


class EventsEndpoint(Endpoint, path="/events"):
    async def get(self) -> SSEResponse[Row]:
        async def events() -> AsyncIterator[Row]:
            for row in ROWS[:20]:
                yield row

        return SSEResponse(stream=events())


GATE = threading.Event()


class LinesEndpoint(Endpoint, path="/lines"):
    async def get(self) -> NDJSONStreamingResponse[Row]:
        async def lines() -> AsyncIterator[Row]:
            yield ROWS[0]
            # The rest waits until the test has decoded the first line.
            await anyio.to_thread.run_sync(GATE.wait, 10.0, abandon_on_cancel=True)
            for row in ROWS[1:5]:
                yield row

        return NDJSONStreamingResponse(stream=lines())


def client_for(compression: Compression) -> TestClient:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(compression)
            for endpoint in (
                RowsEndpoint(),
                SmallEndpoint(),
                FileEndpoint(),
                ImageEndpoint(),
                EventsEndpoint(),
                LinesEndpoint(),
            ):
                self._include_endpoint(endpoint)

    return TestClient(App())


def raw_get(client: TestClient, path: str, accept: str | None) -> tuple[Any, bytes]:
    """The response and its body as sent; `accept=None` sends no Accept-Encoding."""
    request = client.build_request("GET", path)
    if accept is None:
        del request.headers["accept-encoding"]  # httpx sends one by default
    else:
        request.headers["accept-encoding"] = accept
    response = client.send(request, stream=True)
    try:
        return response, b"".join(response.iter_raw())
    finally:
        response.close()


DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda data: zlib.decompress(data, 31),
    "br": brotli.decompress,
    "zstd": lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data),
}


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_a_large_body_is_compressed_in_the_encoding_asked_for(encoding: str) -> None:
    with client_for(Compression()) as client:
        response, raw = raw_get(client, "/rows", encoding)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == encoding
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(raw) < len(ROWS_JSON) // 3
    assert DECODERS[encoding](raw) == ROWS_JSON


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("gzip, deflate, br, zstd", "zstd"),
        ("gzip, deflate, br", "br"),
        ("gzip;q=1.0, zstd;q=0.5, br;q=0.1", "gzip"),
        ("*", "zstd"),
        ("*;q=0.5, gzip", "gzip"),
        ("zstd;q=0, br;q=0, *", "gzip"),
        ("gzip;q=0", None),
        ("identity", None),
        ("deflate", None),
        ("", None),
    ],
)
def test_negotiation_follows_q_values_then_server_preference(
    accept: str, chosen: str | None
) -> None:
    with client_for(Compression()) as client:
        response, raw = raw_get(client, "/rows", accept)
    assert response.headers.get("content-encoding") == chosen
    assert response.headers["vary"] == "Accept-Encoding"
    if chosen is None:
        assert raw == ROWS_JSON


def test_server_preference_can_be_narrowed() -> None:
    with client_for(Compression(encodings=["gzip"])) as client:
        response, _ = raw_get(client, "/rows", "zstd, br, gzip")
        refused, _ = raw_get(client, "/rows", "zstd, br")
    assert response.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in refused.headers


def test_small_bodies_and_clients_that_do_not_ask_are_left_alone() -> None:
    with client_for(Compression(minimum_size=500)) as client:
        small, small_raw = raw_get(client, "/small", "gzip")
        plain, plain_raw = raw_get(client, "/rows", None)
    assert "content-encoding" not in small.headers
    assert small_raw == msgspec.json.encode(ROWS[0])
    assert small.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in plain.headers
    assert plain_raw == ROWS_JSON
    assert plain.headers["content-length"] == str(len(ROWS_JSON))
    assert plain.headers["vary"] == "Accept-Encoding"


def test_compressed_media_and_event_streams_are_never_compressed() -> None:
    with client_for(Compression(minimum_size=0)) as client:
        image, image_raw = raw_get(client, "/image", "gzip")
        events, events_raw = raw_get(client, "/events", "gzip")
    assert "content-encoding" not in image.headers
    assert image_raw == PNG
    assert "vary" not in image.headers
    assert "content-encoding" not in events.headers
    assert events.headers["content-type"] == "text/event-stream"
    assert events_raw.startswith(b"data: ")


def test_a_strong_etag_becomes_weak_on_a_compressed_body() -> None:
    with client_for(Compression()) as client:
        compressed, raw = raw_get(client, "/file", "gzip")
        identity, _ = raw_get(client, "/file", None)
    assert compressed.headers["etag"] == 'W/"v1"'
    assert compressed.headers.get_list("content-length") == [str(len(raw))]
    assert identity.headers["etag"] == '"v1"'


def test_head_carries_the_encoding_headers_of_its_get_and_no_body() -> None:
    with client_for(Compression()) as client:
        response = client.head("/rows", headers={"accept-encoding": "gzip"})
        small = client.head("/small", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in small.headers


class _Incremental:
    def __init__(self, encoding: str) -> None:
        if encoding == "gzip":
            self.feed = zlib.decompressobj(31).decompress
        elif encoding == "br":
            self.feed = brotli.Decompressor().process
        else:
            self.feed = zstandard.ZstdDecompressor().decompressobj().decompress


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_a_stream_is_compressed_line_by_line(encoding: str) -> None:
    GATE.clear()
    decoder = _Incremental(encoding)
    with (
        client_for(Compression()) as client,
        client.stream("GET", "/lines", headers={"accept-encoding": encoding}) as response,
    ):
        assert response.headers["content-encoding"] == encoding
        assert "content-length" not in response.headers
        chunks = response.iter_raw()
        # The stream cannot go on before GATE is set: this line was flushed on its own.
        first = decoder.feed(next(chunks))
        assert msgspec.json.decode(first, type=Row) == ROWS[0]
        GATE.set()
        rest = b"".join(decoder.feed(chunk) for chunk in chunks)
    lines = [msgspec.json.decode(line, type=Row) for line in rest.splitlines()]
    assert lines == ROWS[1:5]


def test_unknown_or_empty_encodings_are_wiring_errors() -> None:
    with pytest.raises(WiringError, match="unknown encoding 'deflate'"):
        Compression(encodings=["deflate"])
    with pytest.raises(WiringError, match="encodings= is empty"):
        Compression(encodings=[])
