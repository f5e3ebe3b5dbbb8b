"""What the docs promise, held under hostile input: huge numbers in `Range` and SSE
`retry:`, `Vary` on refused CORS preflights, a 304 and a HEAD behind `Compression` that
say what their GET says, `RouteInfo.name` for local classes, and MessagePack bodies
refused and accepted exactly as JSON ones are."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from msgspec import Struct

from jero import (
    CORS,
    BaseApp,
    BytesResponse,
    Compression,
    Created,
    Endpoint,
    JSONResponse,
    Resource,
)
from jero.testing import TestClient, iter_sse

HUGE = "9" * 4_301  # past Python's default int-string conversion limit (4,300 digits)


# --- numbers a client chose the length of ---------------------------------------------


@pytest.fixture
def static_client(tmp_path: Path) -> Iterator[TestClient]:
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)))

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_static("/assets", directory=tmp_path)

    with TestClient(App()) as client:
        yield client


@pytest.mark.parametrize(
    ("spec", "status", "content_range"),
    [
        (f"bytes={HUGE}-", 416, "bytes */256"),
        (f"bytes=0-{HUGE}", 206, "bytes 0-255/256"),
        (f"bytes=-{HUGE}", 206, "bytes 0-255/256"),
        (f"bytes={HUGE}-{HUGE}", 416, "bytes */256"),
        (f"bytes={'0' * 5_000}1-{'0' * 5_000}3", 206, "bytes 1-3/256"),
    ],
)
def test_a_range_with_thousands_of_digits_is_answered_not_a_500(
    static_client: TestClient, spec: str, status: int, content_range: str
) -> None:
    response = static_client.get("/assets/blob.bin", headers={"range": spec})
    assert response.status_code == status
    assert response.headers["content-range"] == content_range


def test_an_sse_retry_with_thousands_of_digits_is_ignored_like_any_bad_retry() -> None:
    body = f"retry: {HUGE}\ndata: one\n\nretry: 1500\ndata: two\n\n".encode()
    response = httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})
    events = list(iter_sse(response))
    assert [(event.data, event.retry) for event in events] == [("one", None), ("two", 1500)]


# --- CORS: refusals vary too --------------------------------------------------------


class Open(Endpoint, path="/open"):
    async def get(self) -> str:
        return "open"

    async def put(self) -> str:
        return "put"


def test_a_refused_preflight_says_vary_origin() -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(CORS(allow_origins=["https://app.example"]))
            self._include_endpoint(Open())

    with TestClient(App()) as client:
        for origin, method in (("https://evil.example", "GET"), ("https://app.example", "POST")):
            response = client.options(
                "/open", headers={"origin": origin, "access-control-request-method": method}
            )
            assert response.status_code == 403
            varies = [
                v.strip() for line in response.headers.get_list("vary") for v in line.split(",")
            ]
            assert "Origin" in varies


# --- Compression: 304 and HEAD say what the GET says ---------------------------------

BIG = b'{"rows": "' + b"abcdefgh" * 200 + b'"}'


class Tagged(Endpoint, path="/tagged"):
    async def get(self) -> BytesResponse:
        return BytesResponse(
            content=BIG, media_type="application/json", raw_headers={"etag": '"v1"'}
        )


class Version(Struct):
    etag: str


class Row(Struct):
    text: str


class Versioned(Endpoint, path="/versioned"):
    async def get(self) -> JSONResponse[Row, Version]:
        return JSONResponse(Row("abcdefgh" * 200), headers=Version(etag='"v2"'))


@pytest.fixture
def compressed_client() -> Iterator[TestClient]:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(Compression(encodings=["gzip"]))
            self._include_endpoint(Tagged())
            self._include_endpoint(Versioned())

    with TestClient(App()) as client:
        yield client


def test_a_304_behind_compression_carries_the_weak_etag_and_vary_of_its_200(
    compressed_client: TestClient,
) -> None:
    gzip_only = {"accept-encoding": "gzip"}
    for path in ("/versioned",):
        full = compressed_client.get(path, headers=gzip_only)
        assert full.headers["content-encoding"] == "gzip"
        assert full.headers["etag"].startswith('W/"')
        again = compressed_client.get(
            path, headers={**gzip_only, "if-none-match": full.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.headers["etag"] == full.headers["etag"]
        assert again.headers["vary"] == full.headers["vary"] == "Accept-Encoding"


def test_head_behind_compression_carries_the_gets_encoding_headers(
    compressed_client: TestClient,
) -> None:
    gzip_only = {"accept-encoding": "gzip"}
    for path in ("/tagged", "/versioned"):
        get = compressed_client.get(path, headers=gzip_only)
        head = compressed_client.head(path, headers=gzip_only)
        assert head.status_code == get.status_code == 200
        assert head.content == b""
        for name in ("content-encoding", "vary", "etag", "content-type"):
            assert head.headers.get(name) == get.headers.get(name), name
    assert compressed_client.get("/tagged", headers=gzip_only).content == BIG  # decoded
    identity = compressed_client.head("/tagged", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in identity.headers
    assert identity.headers["content-length"] == str(len(BIG))
    assert identity.headers["etag"] == '"v1"'


# --- RouteInfo.name ------------------------------------------------------------------


def test_route_info_name_is_class_dot_operation_for_a_class_defined_in_a_function() -> None:
    seen: list[str] = []

    class Recorder:
        def wrap(self, app: Any, route: Any) -> Any:
            seen.append(route.name)
            return app

    def make_app() -> BaseApp:
        class LocalPing(Endpoint, path="/ping"):
            async def get(self) -> str:
                return "pong"

        class App(BaseApp):
            async def _wire(self) -> None:
                self._include_middleware(Recorder())
                self._include_endpoint(LocalPing())

        return App()

    with TestClient(make_app()) as client:
        assert client.get("/ping").text == "pong"
    assert "LocalPing.get" in seen
    assert not [name for name in seen if name and "<locals>" in name]


# --- MessagePack bodies like JSON bodies ---------------------------------------------


class Item(Struct, forbid_unknown_fields=False):
    name: str
    qty: int
    extra: Any = None


class Items(Resource, path="/items"):
    async def create(self, json: Item) -> Created[Item]:
        return Created(json)


@pytest.fixture
def msgpack_client() -> Iterator[TestClient]:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_resource(Items())

    with TestClient(App(msgpack=True)) as client:
        yield client


MSGPACK = {"content-type": "application/msgpack", "accept": "application/json"}


def test_a_msgpack_body_nested_too_deep_is_400_naming_messagepack(
    msgpack_client: TestClient,
) -> None:
    deep = b"\x83\xa4name\xa1a\xa3qty\x01\xa5extra" + b"\x91" * 100_000 + b"\xc0"
    response = msgpack_client.post("/items", content=deep, headers=MSGPACK)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "MessagePack" in detail
    assert "JSON" not in detail


def test_an_integral_float_for_an_int_binds_in_msgpack_as_in_json(
    msgpack_client: TestClient,
) -> None:
    for value, status in ((3.0, 201), (3.5, 422), (1e300, 422)):
        as_json = msgpack_client.post("/items", json={"name": "a", "qty": value})
        packed = msgspec.msgpack.encode({"name": "a", "qty": value})
        as_msgpack = msgpack_client.post("/items", content=packed, headers=MSGPACK)
        assert (as_json.status_code, as_msgpack.status_code) == (status, status), value
        if status == 201:
            assert as_json.json() == as_msgpack.json() == {"name": "a", "qty": 3, "extra": None}
        else:
            assert as_json.json()["detail"] == as_msgpack.json()["detail"]
