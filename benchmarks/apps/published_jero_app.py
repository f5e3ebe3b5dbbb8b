"""The benchmark API on the published jero 0.1.9 (PyPI), for comparison with this tree.

It shares the package name with this repository's jero, so it only runs in a venv of its
own (`benchmarks/published.py` makes one); nothing here imports this tree's jero. Its API
differs in small ways: the wiring hook is `wire`, not `_wire`.
"""

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
from jero import (  # the published jero, in its venv
    AuthenticationRequiredError,
    BaseApp,
    BearerAuth,
    Created,
    Endpoint,
    JSONResponse,
    NotFoundError,
    Resource,
)

VERSION = "0.1.9"


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


def _filler(i: int) -> Any:
    async def read_one(self: Any, path: ItemPath, params: ItemParams) -> Item:
        return Item(id=path.item_id, name="item", limit=params.limit)

    return type(f"FillerResource{i}", (Resource,), {"read_one": read_one}, path=f"/r{i}/items")


def build(n_routes: int = 0) -> Any:
    fillers = [_filler(i) for i in range(n_routes)]

    class App(BaseApp):  # type: ignore[misc]
        async def wire(self) -> None:
            self._include_endpoint(PingEndpoint())
            self._include_resource(ItemResource())
            self._include_endpoint(ListEndpoint())
            self._include_endpoint(BulkEndpoint())
            self._include_endpoint(InfoEndpoint())
            pool = None if dsn() is None else await self._aenter(open_pool())
            self._include_resource(MovieResource(pool), auth=TokenAuth())
            for filler in fillers:
                self._include_resource(filler())

    return App()


# --- the scenarios modelled on its own suite (apps/suite.py) ----------------------------


class InfoHeaders(Struct):
    x_request_id: str


class BearerHeaders(Struct):
    authorization: str


class User(Struct):
    sub: str


class TokenAuth(BearerAuth[BearerHeaders, User]):
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
