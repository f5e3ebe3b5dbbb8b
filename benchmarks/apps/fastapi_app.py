"""The benchmark API on FastAPI, with pydantic models as request and response models.

Path operations declared with the app's decorators, return annotations as the
response model, ``status_code=201`` on the POST, as FastAPI's tutorial does it.
"""

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from fastapi import FastAPI, Header, HTTPException, Response
from pydantic import BaseModel

from benchmarks.apps import suite
from benchmarks.scenarios import LIST_LENGTH, list_item


class Pong(BaseModel):
    message: str


class Item(BaseModel):
    id: int
    name: str
    limit: int


class Batch(BaseModel):
    items: list[Item]


class BatchSummary(BaseModel):
    count: int
    id_sum: int


class Feature(BaseModel):
    name: str
    enabled: bool
    limit: int


class Info(BaseModel):
    name: str
    version: str
    description: str
    regions: list[str]
    features: list[Feature]
    maintainers: list[str]


class Movie(BaseModel):
    title: str
    year: int
    genres: list[str]


class StoredMovie(BaseModel):
    id: int
    title: str
    year: int
    genres: list[str]
    owner: str


INFO = Info.model_validate(msgspec.to_builtins(suite.INFO))

ITEMS = [Item(**fields) for fields in map(list_item, range(LIST_LENGTH))]


async def read_item(item_id: int, limit: int = 10) -> Item:
    return Item(id=item_id, name="item", limit=limit)


class MovieRow(BaseModel):
    id: int
    title: str
    year: int


def build(n_routes: int = 0) -> FastAPI:
    database: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await suite.open_pool() if suite.dsn() is not None else None
        database["pool"] = pool
        try:
            yield
        finally:
            if pool is not None:
                await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/movies/{movie_id}")
    async def get_movie(
        movie_id: int, authorization: Annotated[str | None, Header()] = None
    ) -> MovieRow:
        if suite.verify(authorization) is None:
            raise HTTPException(status_code=401)
        row = await suite.read_movie(database["pool"], movie_id)
        if row is None:
            raise HTTPException(status_code=404)
        return MovieRow(id=row.id, title=row.title, year=row.year)

    @app.get("/ping")
    async def ping() -> Pong:
        return Pong(message="pong")

    app.get("/items/{item_id}")(read_item)

    @app.post("/items", status_code=201)
    async def create_item(item: Item) -> Item:
        return item

    @app.get("/list")
    async def list_items() -> list[Item]:
        return ITEMS

    @app.post("/bulk", status_code=201)
    async def create_batch(batch: Batch) -> BatchSummary:
        return BatchSummary(count=len(batch.items), id_sum=sum(i.id for i in batch.items))

    @app.get("/info")
    async def info(response: Response) -> Info:
        response.headers["x-request-id"] = str(uuid.uuid4())
        return INFO

    @app.post("/movies", status_code=201)
    async def create_movie(
        movie: Movie, authorization: Annotated[str | None, Header()] = None
    ) -> StoredMovie:
        claims = suite.verify(authorization)
        if claims is None:
            raise HTTPException(status_code=401)
        return StoredMovie(id=1, owner=claims.sub, **movie.model_dump())

    for i in range(n_routes):
        app.get(f"/r{i}/items/{{item_id}}")(read_item)
    return app
