"""The bookshelf's types: what goes over the wire, and the errors it can answer."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from jero import ConflictError, MalformedRequestError, NotFoundError

Isbn = Annotated[
    str, Meta(pattern=r"^([0-9]{9}[0-9X]|[0-9]{13})$", description="ISBN-10 or ISBN-13, digits")
]
Text = Annotated[str, Meta(min_length=1, max_length=200)]
Year = Annotated[int, Meta(ge=-3000, le=3000)]
# Filters are bounded so that a query never grows without limit.
Filter = Annotated[list[Annotated[str, Meta(max_length=200)]], Meta(max_length=20)]


class Book(Struct, rename="camel"):
    book_id: int
    isbn: str
    title: str
    author: str
    genre: str
    year: int


class NewBook(Struct, rename="camel", forbid_unknown_fields=True):
    isbn: Isbn
    title: Text
    author: Text
    genre: Text
    year: Year


class BookPatch(Struct, rename="camel", forbid_unknown_fields=True):
    title: Text | None = None
    author: Text | None = None
    genre: Text | None = None
    year: Year | None = None


# Row ids are SQLite INTEGER / PostgreSQL BIGINT: a larger path value could not name a
# row, and handed to the driver it would overflow (a 500), so it is a 404 at binding.
BookId = Annotated[int, Meta(ge=1, le=2**63 - 1)]


class BookPath(Struct):
    book_id: BookId


class BookQuery(Struct, rename="camel"):
    """`GET /books`: filters (repeat a key to accept several values) and one page.

    Page by `cursor` (the `nextCursor` of the previous page: stable while rows are
    added) or by `offset` (simple, but rows shift when others are added or deleted).
    """

    limit: Annotated[int, Meta(ge=1, le=100)] = 20
    offset: Annotated[int, Meta(ge=0, le=1_000_000)] = 0
    cursor: str | None = None
    author: Filter = []
    genre: Filter = []


class BookPage(Struct, rename="camel"):
    items: list[Book]
    # Where the next page starts, for `?cursor=`; None on the last page.
    next_cursor: str | None


class LocationHeaders(Struct):
    location: str


class IsbnRef(Struct):
    isbn: str


class BookRef(Struct, rename="camel"):
    book_id: int


class DuplicateIsbnError(
    ConflictError[IsbnRef],
    type="duplicate-isbn",
    title="ISBN already on the shelf",
    detail="A book with ISBN {isbn} is already on the shelf",
):
    pass


class BookNotFoundError(
    NotFoundError[BookRef],
    type="book-not-found",
    title="Book not found",
    detail="Book {book_id} not found",
):
    pass


class InvalidCursorError(MalformedRequestError, type="invalid-cursor", title="Invalid cursor"):
    pass


class CursorWithOffsetError(
    MalformedRequestError, type="cursor-with-offset", title="Use cursor or offset, not both"
):
    pass
