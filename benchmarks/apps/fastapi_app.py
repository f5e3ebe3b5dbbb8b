"""The benchmark API on FastAPI, with pydantic models as request and response models.

Path operations declared with the app's decorators, return annotations as the
response model, ``status_code=201`` on the POST, as FastAPI's tutorial does it.
"""

from fastapi import FastAPI
from pydantic import BaseModel

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


ITEMS = [Item(**fields) for fields in map(list_item, range(LIST_LENGTH))]


async def read_item(item_id: int, limit: int = 10) -> Item:
    return Item(id=item_id, name="item", limit=limit)


def build(n_routes: int = 0) -> FastAPI:
    app = FastAPI()

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

    for i in range(n_routes):
        app.get(f"/r{i}/items/{{item_id}}")(read_item)
    return app
