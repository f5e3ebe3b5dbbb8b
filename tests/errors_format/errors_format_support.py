"""Shared by the error-format tests: two formats and an app raising every kind of error."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from jero import (
    CORS,
    BaseApp,
    Endpoint,
    ErrorFormat,
    HTTPError,
    InputStatuses,
    Limits,
    NotFoundError,
    OperationMeta,
    Problem,
    Resource,
    TooManyRequestsError,
)


class FieldBody(msgspec.Struct):
    source: str
    path: str
    message: str


class EnvelopeError(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    status: int
    params: dict[str, Any] | None = None
    fields: list[FieldBody] = []


class Envelope(msgspec.Struct):
    error: EnvelopeError


class EnvelopeFormat(ErrorFormat[Envelope], media_type="application/vnd.acme.error+json"):
    """Keeps everything a typed client needs: code, status and params."""

    def __init__(self) -> None:
        self.rendered: list[type[HTTPError[Any]]] = []

    def render(self, error: HTTPError[Any]) -> Envelope:
        self.rendered.append(type(error))
        params = msgspec.to_builtins(error.params) if error.params is not None else None
        fields = [FieldBody(f.source, f.path, f.message) for f in error.fields]
        message = error.detail or error.title
        return Envelope(EnvelopeError(error.type, message, error.status, params, fields))

    def read(self, body: Envelope, status: int) -> Problem | None:
        error = body.error
        return Problem(error.code, error.message, status, None, error.params)


class SpecBody(msgspec.Struct):
    errors: dict[str, list[str]]


class SpecFormat(ErrorFormat[SpecBody]):
    """A published contract's shape: field messages by field, everything else as `body`."""

    def render(self, error: HTTPError[Any]) -> SpecBody:
        if error.fields:
            found: dict[str, list[str]] = {}
            for field in error.fields:
                found.setdefault(field.path.rsplit(".", 1)[-1], []).append(field.message)
            return SpecBody(found)
        return SpecBody({"body": [error.detail or error.title]})


class ShelfRef(msgspec.Struct, rename="camel"):
    shelf_id: int


class ShelfMissingError(
    NotFoundError[ShelfRef],
    type="shelf-missing",
    title="No such shelf",
    detail="No shelf {shelf_id}",
):
    pass


class Book(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(min_length=1)]
    pages: int = 1


class BookPath(msgspec.Struct):
    book_id: int


class Paging(msgspec.Struct):
    limit: int = 20


class Books(
    Resource,
    path="/books",
    meta_read_one=OperationMeta(errors=[ShelfMissingError]),
):
    async def create(self, json: Book) -> Book:
        return json

    async def read_many(self, params: Paging) -> list[Book]:
        if params.limit == 0:
            raise TooManyRequestsError(headers={"retry-after": "3"})
        if params.limit == 13:
            raise RuntimeError("boom")
        return []

    async def read_one(self, path: BookPath) -> Book:
        raise ShelfMissingError(ShelfRef(shelf_id=path.book_id))


class Upload(Endpoint, path="/upload"):
    async def post(self, content: bytes) -> str:
        return str(len(content))


class Library(BaseApp):
    async def _wire(self) -> None:
        self._include_middleware(CORS(allow_origins=["https://app.example"]))
        self._include_resource(Books())
        self._include_endpoint(Upload(), limits=Limits(max_body_size=8))
        self._include_openapi(title="Library", version="1")


def library(
    error_format: ErrorFormat[Any] | None = None, input_statuses: InputStatuses | None = None
) -> Library:
    return Library(error_format=error_format, input_statuses=input_statuses)
