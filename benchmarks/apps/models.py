"""The benchmark API's bodies as msgspec Structs, shared by the apps that use msgspec.

raw, jero, BlackSheep (JSON hooked to msgspec) and Litestar declare their request and
response bodies with these; FastAPI declares its own pydantic models, as FastAPI does.
"""

import msgspec


class Pong(msgspec.Struct):
    message: str


class Item(msgspec.Struct):
    id: int
    name: str
    limit: int
