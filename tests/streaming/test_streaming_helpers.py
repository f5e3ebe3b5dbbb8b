"""`iter_ndjson` / `iter_sse`: decoding streamed bodies however the bytes are chunked."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import msgspec
import pytest
from msgspec import Struct

from jero import ServerSentEvent
from jero.testing import iter_ndjson, iter_sse


class Tick(Struct):
    n: int


def response_of(*chunks: bytes) -> httpx.Response:
    def body() -> Iterator[bytes]:
        yield from chunks

    return httpx.Response(200, content=body())


def every_split(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    for at in range(len(data) + 1):
        yield data[:at], data[at:]


def test_ndjson_lines_split_anywhere_decode_the_same() -> None:
    body = b'{"n":1}\n{"n":2}\r\n\n{"n":3}'  # CRLF and blank lines tolerated, last line unended
    for head, tail in every_split(body):
        assert list(iter_ndjson(response_of(head, tail), Tick)) == [Tick(1), Tick(2), Tick(3)]


def test_ndjson_decode_error_names_the_problem() -> None:
    with pytest.raises(msgspec.ValidationError, match="Expected `int`, got `str`"):
        list(iter_ndjson(response_of(b'{"n":"x"}\n'), Tick))


SSE_BODY = (
    b": a comment, skipped\n"
    b"event: tick\r\n"
    b"id: 7\r"
    b"retry: 250\n"
    b'data: {"n":\n'
    b"data:1}\n"
    b"\n"
    b"data\n"
    b"\n"
    b"retry: soon\n"
    b"id: a\x00b\n"
    b"data:  two spaces\n"
    b"\n"
    b"retry: 5\n"
    b"\n"
    b"data: never dispatched, no blank line follows\n"
)


def test_sse_fields_and_line_endings_split_anywhere_parse_the_same() -> None:
    expected = [
        ServerSentEvent('{"n":\n1}', event="tick", id="7", retry=250),
        ServerSentEvent(""),
        ServerSentEvent(" two spaces"),
        ServerSentEvent(retry=5),
    ]
    for head, tail in every_split(SSE_BODY):
        assert list(iter_sse(response_of(head, tail))) == expected


def test_sse_data_decoded_as_a_type() -> None:
    body = b'data: {"n":1}\n\nevent: x\ndata: {"n":2}\n\n'
    assert list(iter_sse(response_of(body), Tick)) == [
        ServerSentEvent(Tick(1)),
        ServerSentEvent(Tick(2), event="x"),
    ]
