"""The benchmark API on FastAPI, with pydantic models as request and response models.

Path operations declared with the app's decorators, return annotations as the
response model, ``status_code=201`` on the POST, as FastAPI's tutorial does it.
"""

from fastapi import FastAPI
from pydantic import BaseModel


class Pong(BaseModel):
    message: str


class Item(BaseModel):
    id: int
    name: str
    limit: int


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

    for i in range(n_routes):
        app.get(f"/r{i}/items/{{item_id}}")(read_item)
    return app
