"""The benchmark API on jero, written against its public API.

An ``Endpoint`` for ``/ping``, a ``Resource`` for ``/items`` (``read_one`` binds the
``path`` and ``params`` Structs, ``create`` binds ``json`` and answers 201), and the
filler routes as generated ``Resource`` subclasses mounted at ``/r{i}/items``. All
wiring happens in ``_wire`` at lifespan startup.
"""

import types
import uuid
from typing import Any

from msgspec import Struct

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
from jero import (
    AuthenticationRequiredError,
    BaseApp,
    Created,
    Endpoint,
    JSONResponse,
    NotFoundError,
    Resource,
)


class ItemPath(Struct):
    item_id: int


class ItemParams(Struct):
    limit: int = 10


class PingEndpoint(Endpoint, path="/ping"):
    async def get(self) -> Pong:
        return Pong(message="pong")


class ItemResource(Resource, path="/items"):
    async def read_one(self, path: ItemPath, params: ItemParams) -> Item:
        return Item(id=path.item_id, name="item", limit=params.limit)

    async def create(self, json: Item) -> Item:
        return json


class ListEndpoint(Endpoint, path="/list"):
    async def get(self) -> list[Item]:
        return ITEMS


class BulkEndpoint(Endpoint, path="/bulk"):
    async def post(self, json: Batch) -> Created[BatchSummary]:
        return Created(json=summarize(json))


async def _filler_read_one(self, path: ItemPath, params: ItemParams) -> Item:
    return Item(id=path.item_id, name="item", limit=params.limit)


def filler_resource(i: int) -> type[Resource]:
    """A ``Resource`` subclass serving ``GET /r{i}/items/{item_id}``, like ``read_one``."""

    def body(namespace: dict[str, Any]) -> None:
        namespace["read_one"] = _filler_read_one

    return types.new_class(f"FillerResource{i}", (Resource,), {"path": f"/r{i}/items"}, body)


def build(n_routes: int = 0) -> BaseApp:
    fillers = [filler_resource(i) for i in range(n_routes)]

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(PingEndpoint())
            self._include_resource(ItemResource())
            self._include_endpoint(ListEndpoint())
            self._include_endpoint(BulkEndpoint())
            self._include_endpoint(InfoEndpoint())
            pool = None if dsn() is None else await self._aenter(open_pool())
            self._include_resource(MovieResource(pool), auth=BearerAuth())
            for resource_class in fillers:
                self._include_resource(resource_class())

    return App()


# --- the scenarios modelled on the published jero's suite (apps/suite.py) --------------


class InfoHeaders(Struct):
    x_request_id: str


class BearerHeaders(Struct):
    authorization: str


class User(Struct):
    sub: str


class BearerAuth:
    scheme = "Bearer"

    async def authenticate(self, headers: BearerHeaders) -> User:
        claims = verify(headers.authorization)
        if claims is None:
            raise AuthenticationRequiredError()
        return User(sub=claims.sub)


class InfoEndpoint(Endpoint, path="/info"):
    async def get(self) -> JSONResponse[Info, InfoHeaders]:
        return JSONResponse(json=INFO, headers=InfoHeaders(x_request_id=str(uuid.uuid4())))


class MoviePath(Struct):
    movie_id: int


class MovieResource(Resource, path="/movies"):
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def create(self, json: Movie, user: User) -> Created[StoredMovie]:
        return Created(json=stored(json, user.sub))

    async def read_one(self, path: MoviePath, user: User) -> MovieRow:
        row = await read_movie(self._pool, path.movie_id)
        if row is None:
            raise NotFoundError()
        return row
