"""Hand-written raw RSGI app: the same honest minimum as `raw.py`, on granian's native
interface. It is the ceiling of the RSGI rows, as `raw.py` is of the ASGI ones: the
same routing (a dict lookup), int conversion, content-type check, typed msgspec decode
and prebuilt encoder, each answer one `response_bytes` call. Served with
``granian --interface rsgi --factory benchmarks.apps.raw_rsgi:build``.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_plus

import msgspec

from benchmarks.apps.models import ITEMS, Batch, Item, Pong, summarize
from benchmarks.apps.suite import INFO, Movie, dsn, open_pool, read_movie, stored, verify

type Handler = Callable[[Any, Any, str], Awaitable[None]]

_encode = msgspec.json.Encoder().encode
_decode_item = msgspec.json.Decoder(Item).decode
_decode_batch = msgspec.json.Decoder(Batch).decode
_decode_movie = msgspec.json.Decoder(Movie).decode
_PONG = Pong(message="pong")
_JSON = "application/json"
_TEXT = "text/plain; charset=utf-8"


def _send(protocol: Any, status: int, content_type: str, body: bytes) -> None:
    headers = [("content-type", content_type), ("content-length", str(len(body)))]
    protocol.response_bytes(status, headers, body)


def _query_int(query_string: str, name: str, default: int) -> int:
    if not query_string:
        return default
    for pair in query_string.split("&"):
        key, _, value = pair.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if key == name:
            if "%" in value or "+" in value:
                value = unquote_plus(value)
            return int(value)
    return default


async def ping(scope: Any, protocol: Any, slot: str) -> None:
    _send(protocol, 200, _JSON, _encode(_PONG))


async def read_item(scope: Any, protocol: Any, slot: str) -> None:
    try:
        item_id = int(slot)
    except ValueError:
        _send(protocol, 404, _TEXT, b"not found")
        return
    try:
        limit = _query_int(scope.query_string, "limit", 10)
    except ValueError:
        _send(protocol, 400, _TEXT, b"limit must be an integer")
        return
    _send(protocol, 200, _JSON, _encode(Item(id=item_id, name="item", limit=limit)))


async def _decode_json[T](scope: Any, protocol: Any, decode: Callable[[bytes], T]) -> T | None:
    content_type = scope.headers.get("content-type") or ""
    if content_type.split(";", 1)[0].strip().lower() != _JSON:
        _send(protocol, 415, _TEXT, b"expected application/json")
        return None
    body = await protocol()
    try:
        return decode(body)
    except msgspec.ValidationError as exc:
        _send(protocol, 422, _TEXT, str(exc).encode())
    except msgspec.DecodeError as exc:
        _send(protocol, 400, _TEXT, str(exc).encode())
    return None


async def create_item(scope: Any, protocol: Any, slot: str) -> None:
    item = await _decode_json(scope, protocol, _decode_item)
    if item is not None:
        _send(protocol, 201, _JSON, _encode(item))


async def list_items(scope: Any, protocol: Any, slot: str) -> None:
    _send(protocol, 200, _JSON, _encode(ITEMS))


async def create_batch(scope: Any, protocol: Any, slot: str) -> None:
    batch = await _decode_json(scope, protocol, _decode_batch)
    if batch is not None:
        _send(protocol, 201, _JSON, _encode(summarize(batch)))


async def info(scope: Any, protocol: Any, slot: str) -> None:
    body = _encode(INFO)
    headers = [
        ("content-type", _JSON),
        ("content-length", str(len(body))),
        ("x-request-id", str(uuid.uuid4())),
    ]
    protocol.response_bytes(200, headers, body)


async def create_movie(scope: Any, protocol: Any, slot: str) -> None:
    claims = verify(scope.headers.get("authorization"))
    if claims is None:
        _send(protocol, 401, _TEXT, b"a valid bearer token is required")
        return
    movie = await _decode_json(scope, protocol, _decode_movie)
    if movie is not None:
        _send(protocol, 201, _JSON, _encode(stored(movie, claims.sub)))


class RawRSGI:
    """The app: RSGI's lifespan hooks open and close the database pool."""

    def __init__(self, n_routes: int) -> None:
        self.pool: Any = None
        self.static: dict[tuple[str, str], Handler] = {
            ("GET", "/ping"): ping,
            ("POST", "/items"): create_item,
            ("GET", "/list"): list_items,
            ("POST", "/bulk"): create_batch,
            ("GET", "/info"): info,
            ("POST", "/movies"): create_movie,
        }
        self.templated: dict[tuple[str, str], Handler] = {
            ("GET", "/items"): read_item,
            ("GET", "/movies"): self.read_movie,
        }
        for i in range(n_routes):
            self.templated["GET", f"/r{i}/items"] = read_item

    def __rsgi_init__(self, loop: Any) -> None:
        if dsn() is not None:
            self.pool = loop.run_until_complete(open_pool())

    def __rsgi_del__(self, loop: Any) -> None:
        if self.pool is not None:
            loop.run_until_complete(self.pool.close())

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        method: str = scope.method
        path: str = scope.path
        handler = self.static.get((method, path))
        if handler is not None:
            await handler(scope, protocol, "")
            return
        prefix, _, slot = path.rpartition("/")
        handler = self.templated.get((method, prefix))
        if handler is None or not slot:
            _send(protocol, 404, _TEXT, b"not found")
            return
        await handler(scope, protocol, slot)

    async def read_movie(self, scope: Any, protocol: Any, slot: str) -> None:
        if verify(scope.headers.get("authorization")) is None:
            _send(protocol, 401, _TEXT, b"a valid bearer token is required")
            return
        try:
            movie_id = int(slot)
        except ValueError:
            _send(protocol, 404, _TEXT, b"not found")
            return
        row = await read_movie(self.pool, movie_id)
        if row is None:
            _send(protocol, 404, _TEXT, b"not found")
            return
        _send(protocol, 200, _JSON, _encode(row))


def build(n_routes: int = 0) -> RawRSGI:
    """The raw RSGI app with ``n_routes`` filler routes ``GET /r{i}/items/{item_id}``."""
    return RawRSGI(n_routes)
