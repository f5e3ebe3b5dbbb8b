"""The benchmark API on Litestar, with msgspec Structs as request and response models.

Plain route-handler functions decorated with ``@get`` / ``@post``, typed path
parameters (``{item_id:int}``), a defaulted ``limit: int`` query parameter and a
``data: Item`` body; Litestar answers POST with 201 by default.
"""

from litestar import Litestar, get, post

from benchmarks.apps.models import ITEMS, Batch, BatchSummary, Item, Pong, summarize


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


def build(n_routes: int = 0) -> Litestar:
    handlers = [ping, read_item, create_item, list_items, create_batch]
    handlers += [get(f"/r{i}/items/{{item_id:int}}")(_read_item) for i in range(n_routes)]
    return Litestar(route_handlers=handlers)
