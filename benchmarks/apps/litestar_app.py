"""The benchmark API on Litestar, with msgspec Structs as request and response models.

Plain route-handler functions decorated with ``@get`` / ``@post``, typed path
parameters (``{item_id:int}``), a defaulted ``limit: int`` query parameter and a
``data: Item`` body; Litestar answers POST with 201 by default.
"""

import uuid
from typing import Any

from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, NotFoundException

from benchmarks.apps.models import ITEMS, Batch, BatchSummary, Item, Pong, summarize
from benchmarks.apps.suite import (
    INFO,
    Info,
    Movie,
    MovieRow,
    StoredMovie,
    dsn,
    open_pool,
    read_movie,
    stored,
    verify,
)


@get("/ping")
async def ping() -> Pong:
    return Pong(message="pong")


async def _read_item(item_id: int, limit: int = 10) -> Item:
    return Item(id=item_id, name="item", limit=limit)


read_item = get("/items/{item_id:int}")(_read_item)


@post("/items")
async def create_item(data: Item) -> Item:
    return data


@get("/list")
async def list_items() -> list[Item]:
    return ITEMS


@post("/bulk")
async def create_batch(data: Batch) -> BatchSummary:
    return summarize(data)


@get("/info")
async def info() -> Response[Info]:
    return Response(INFO, headers={"x-request-id": str(uuid.uuid4())})


@post("/movies")
async def create_movie(data: Movie, request: Request[Any, Any, Any]) -> StoredMovie:
    claims = verify(request.headers.get("authorization"))
    if claims is None:
        raise NotAuthorizedException()
    return stored(data, claims.sub)


@get("/movies/{movie_id:int}")
async def get_movie(movie_id: int, request: Request[Any, Any, Any], state: State) -> MovieRow:
    if verify(request.headers.get("authorization")) is None:
        raise NotAuthorizedException()
    row = await read_movie(state.pool, movie_id)
    if row is None:
        raise NotFoundException()
    return row


async def _open_database(app: Litestar) -> None:
    app.state.pool = await open_pool() if dsn() is not None else None


async def _close_database(app: Litestar) -> None:
    if app.state.pool is not None:
        await app.state.pool.close()


def build(n_routes: int = 0) -> Litestar:
    handlers = [ping, read_item, create_item, list_items, create_batch, info, create_movie]
    handlers.append(get_movie)
    handlers += [get(f"/r{i}/items/{{item_id:int}}")(_read_item) for i in range(n_routes)]
    return Litestar(
        route_handlers=handlers, on_startup=[_open_database], on_shutdown=[_close_database]
    )
