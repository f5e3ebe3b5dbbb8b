"""The benchmark API's bodies as msgspec Structs, shared by the apps that use msgspec.

raw, jero, BlackSheep (JSON hooked to msgspec) and Litestar declare their request and
response bodies with these; FastAPI declares its own pydantic models, as FastAPI does.
"""

import msgspec

from benchmarks.scenarios import LIST_LENGTH, list_item


class Pong(msgspec.Struct):
    message: str


class Item(msgspec.Struct):
    id: int
    name: str
    limit: int


class Batch(msgspec.Struct):
    """The POST /bulk body: many items, decoded and validated as a whole."""

    items: list[Item]


class BatchSummary(msgspec.Struct):
    count: int
    id_sum: int


def summarize(batch: Batch) -> BatchSummary:
    return BatchSummary(count=len(batch.items), id_sum=sum(item.id for item in batch.items))


# The GET /list answer, built once: the benchmark measures encoding it, per request.
ITEMS = [Item(**fields) for fields in map(list_item, range(LIST_LENGTH))]
