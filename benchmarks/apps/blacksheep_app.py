"""The benchmark API on BlackSheep, with msgspec doing the JSON work.

BlackSheep's JSON hook (``json_settings.use``) is pointed at msgspec for both decoding
and encoding, and a type converter lets its ``FromJSON[...]`` binder build msgspec
Structs (with msgspec's validation). Path and query values use BlackSheep's own
implicit binding (route parameter by name, otherwise query string).
"""

import uuid
from typing import Any

import msgspec
from blacksheep import Application, FromJSON, Request, Response, json
from blacksheep.server.bindings.converters import TypeConverter, class_converters
from blacksheep.server.routing import Router
from blacksheep.settings.json import json_settings

from benchmarks.apps.models import ITEMS, Batch, Item, Pong, summarize
from benchmarks.apps.suite import INFO, Movie, dsn, open_pool, read_movie, stored, verify

_encode = msgspec.json.Encoder().encode


def _dumps(value: Any) -> str:
    return _encode(value).decode()


class StructConverter(TypeConverter):
    """Turns a decoded JSON object into a msgspec Struct, validating field types."""

    def can_convert(self, expected_type: Any) -> bool:
        return isinstance(expected_type, type) and issubclass(expected_type, msgspec.Struct)

    def convert(self, value: Any, expected_type: Any) -> Any:
        try:
            return msgspec.convert(value, expected_type)
        except msgspec.ValidationError as exc:
            raise ValueError(str(exc)) from exc  # BlackSheep answers ValueError with 400


json_settings.use(loads=msgspec.json.decode, dumps=_dumps)
if not any(isinstance(c, StructConverter) for c in class_converters):
    class_converters.insert(0, StructConverter())


async def ping() -> Pong:
    return Pong(message="pong")


async def read_item(item_id: int, limit: int = 10) -> Item:
    return Item(id=item_id, name="item", limit=limit)


async def create_item(item: FromJSON[Item]) -> Response:
    return json(item.value, status=201)


async def list_items() -> list[Item]:
    return ITEMS


async def create_batch(batch: FromJSON[Batch]) -> Response:
    return json(summarize(batch.value), status=201)


async def info() -> Response:
    response = json(INFO)
    response.add_header(b"x-request-id", str(uuid.uuid4()).encode())
    return response


async def create_movie(request: Request, movie: FromJSON[Movie]) -> Response:
    authorization = request.get_first_header(b"authorization")
    claims = verify(authorization.decode("latin-1") if authorization else None)
    if claims is None:
        return Response(401)
    return json(stored(movie.value, claims.sub), status=201)


def build(n_routes: int = 0) -> Application:
    # An explicit Router per app: the default one is module-global and shared.
    app = Application(router=Router())
    app.router.add_get("/ping", ping)
    app.router.add_get("/items/{item_id}", read_item)
    app.router.add_post("/items", create_item)
    app.router.add_get("/list", list_items)
    app.router.add_post("/bulk", create_batch)
    app.router.add_get("/info", info)
    app.router.add_post("/movies", create_movie)
    database: dict[str, Any] = {}

    async def open_database(application: Application) -> None:
        if dsn() is not None:
            database["pool"] = await open_pool()

    async def close_database(application: Application) -> None:
        pool = database.pop("pool", None)
        if pool is not None:
            await pool.close()

    async def get_movie(request: Request, movie_id: int) -> Response:
        authorization = request.get_first_header(b"authorization")
        if verify(authorization.decode("latin-1") if authorization else None) is None:
            return Response(401)
        row = await read_movie(database["pool"], movie_id)
        return Response(404) if row is None else json(row)

    app.on_start += open_database
    app.on_stop += close_database
    app.router.add_get("/movies/{movie_id}", get_movie)
    for i in range(n_routes):
        app.router.add_get(f"/r{i}/items/{{item_id}}", read_item)
    return app
