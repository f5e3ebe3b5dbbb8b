"""Hand-written raw ASGI app: the ceiling every framework is measured against.

It is not a no-op: it does the honest minimum a framework has to do for this API.
Routing is a dict lookup on (method, path) for static paths and, for the templated
routes, on (method, path without its last segment); path and query values are converted
to ``int``; the JSON body is checked for its content type and decoded into a typed
msgspec ``Struct``; responses are encoded with a prebuilt msgspec encoder; lifespan
startup and shutdown are answered.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_plus

import msgspec

from benchmarks.apps.models import ITEMS, Batch, Item, Pong, summarize
from benchmarks.apps.suite import INFO, Movie, dsn, open_pool, read_movie, stored, verify

type Scope = dict[str, Any]
type Message = dict[str, Any]
type Receive = Callable[[], Awaitable[Message]]
type Send = Callable[[Message], Awaitable[None]]
type Handler = Callable[[Scope, Receive, Send, str], Awaitable[None]]
type ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


_encode = msgspec.json.Encoder().encode
_decode_item = msgspec.json.Decoder(Item).decode
_decode_batch = msgspec.json.Decoder(Batch).decode
_decode_movie = msgspec.json.Decoder(Movie).decode
_PONG = Pong(message="pong")


async def _send_body(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, value: msgspec.Struct) -> None:
    await _send_body(send, status, b"application/json", _encode(value))


async def _send_error(send: Send, status: int, detail: str) -> None:
    await _send_body(send, status, b"text/plain; charset=utf-8", detail.encode())


def _query_int(query_string: bytes, name: str, default: int) -> int:
    """First value of ``name`` in the query string as an int (ValueError if malformed)."""
    if not query_string:
        return default
    for pair in query_string.decode("latin-1").split("&"):
        key, _, value = pair.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if key == name:
            if "%" in value or "+" in value:
                value = unquote_plus(value)
            return int(value)
    return default


def _declares_json(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"application/json"
    return False


async def _read_body(receive: Receive) -> bytes:
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    chunks = [body]
    while message.get("more_body", False):
        message = await receive()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


async def ping(scope: Scope, receive: Receive, send: Send, slot: str) -> None:
    await _send_json(send, 200, _PONG)


async def read_item(scope: Scope, receive: Receive, send: Send, slot: str) -> None:
    try:
        item_id = int(slot)
    except ValueError:
        await _send_error(send, 404, "not found")
        return
    try:
        limit = _query_int(scope["query_string"], "limit", 10)
    except ValueError:
        await _send_error(send, 400, "limit must be an integer")
        return
    await _send_json(send, 200, Item(id=item_id, name="item", limit=limit))


async def _decode_json[T](
    scope: Scope, receive: Receive, send: Send, decode: Callable[[bytes], T]
) -> T | None:
    """The typed JSON body, or None once an error answer was sent."""
    if not _declares_json(scope):
        await _send_error(send, 415, "expected application/json")
        return None
    body = await _read_body(receive)
    try:
        return decode(body)
    except msgspec.ValidationError as exc:
        await _send_error(send, 422, str(exc))
    except msgspec.DecodeError as exc:
        await _send_error(send, 400, str(exc))
    return None


async def create_item(scope: Scope, receive: Receive, send: Send, slot: str) -> None:
    item = await _decode_json(scope, receive, send, _decode_item)
    if item is not None:
        await _send_json(send, 201, item)


async def list_items(scope: Scope, receive: Receive, send: Send, slot: str) -> None:
    await _send_body(send, 200, b"application/json", _encode(ITEMS))


async def create_batch(scope: Scope, receive: Receive, send: Send, slot: str) -> None:
    batch = await _decode_json(scope, receive, send, _decode_batch)
    if batch is not None:
        await _send_json(send, 201, summarize(batch))


async def info(scope: Scope, receive: Receive, send: Send, slot: str) -> None:
    body = _encode(INFO)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", str(uuid.uuid4()).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def create_movie(scope: Scope, receive: Receive, send: Send, slot: str) -> None:
    claims = verify(_header(scope, b"authorization"))
    if claims is None:
        await _send_error(send, 401, "a valid bearer token is required")
        return
    movie = await _decode_json(scope, receive, send, _decode_movie)
    if movie is not None:
        await _send_json(send, 201, stored(movie, claims.sub))


async def _lifespan(receive: Receive, send: Send, database: dict[str, Any]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if dsn() is not None:
                database["pool"] = await open_pool()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            pool = database.pop("pool", None)
            if pool is not None:
                await pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


def _movie_reader(database: dict[str, Any]) -> Handler:
    async def read(scope: Scope, receive: Receive, send: Send, slot: str) -> None:
        if verify(_header(scope, b"authorization")) is None:
            await _send_error(send, 401, "a valid bearer token is required")
            return
        try:
            movie_id = int(slot)
        except ValueError:
            await _send_error(send, 404, "not found")
            return
        row = await read_movie(database["pool"], movie_id)
        if row is None:
            await _send_error(send, 404, "not found")
            return
        await _send_json(send, 200, row)

    return read


def build(n_routes: int = 0) -> ASGIApp:
    """The raw app with ``n_routes`` filler routes ``GET /r{i}/items/{item_id}``."""
    static: dict[tuple[str, str], Handler] = {
        ("GET", "/ping"): ping,
        ("POST", "/items"): create_item,
        ("GET", "/list"): list_items,
        ("POST", "/bulk"): create_batch,
        ("GET", "/info"): info,
        ("POST", "/movies"): create_movie,
    }
    # Templated routes are keyed by the path without its last (slot) segment.
    database: dict[str, Any] = {}
    templated: dict[tuple[str, str], Handler] = {
        ("GET", "/items"): read_item,
        ("GET", "/movies"): _movie_reader(database),
    }
    for i in range(n_routes):
        templated["GET", f"/r{i}/items"] = read_item

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            method: str = scope["method"]
            path: str = scope["path"]
            handler = static.get((method, path))
            if handler is not None:
                await handler(scope, receive, send, "")
                return
            prefix, _, slot = path.rpartition("/")
            handler = templated.get((method, prefix))
            if handler is None or not slot:
                await _send_error(send, 404, "not found")
                return
            await handler(scope, receive, send, slot)
        elif kind == "lifespan":
            await _lifespan(receive, send, database)
        else:
            raise RuntimeError(f"unsupported ASGI scope type {kind!r}")

    return app
