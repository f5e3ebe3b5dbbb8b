"""The bookshelf API: the factory that opens the database, the routes, the app.

SQLite by default (`bookshelf.sqlite3` in the working directory); PostgreSQL when
`BOOKSHELF_DATABASE_URL=postgresql://user@host:port/dbname` is set. Serve it with
`uv run granian --interface asgi --workers 2 examples.bookshelf:app`.
"""

from __future__ import annotations

import os

from jero import (
    BaseApp,
    BaseFactory,
    Created,
    NoContent,
    OperationMeta,
    Resource,
    ResourceMeta,
)

from . import store
from .database import Database, open_database
from .models import (
    Book,
    BookNotFoundError,
    BookPage,
    BookPatch,
    BookPath,
    BookQuery,
    CursorWithOffsetError,
    DuplicateIsbnError,
    InvalidCursorError,
    LocationHeaders,
    NewBook,
)
from .schema import migrate

DATABASE_URL_ENV = "BOOKSHELF_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///bookshelf.sqlite3"


class BookshelfFactory(BaseFactory):
    """Builds the I/O services; a test passes its own (another URL, or a stand-in)."""

    def __init__(self, database_url: str | None = None) -> None:
        self._database_url = database_url

    def database_url(self) -> str:
        """The URL given, else the environment's, else the SQLite file."""
        return self._database_url or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL

    async def database(self) -> Database:
        """The connection pool, migrated; it closes at shutdown, with the app."""
        database = await self._aenter(open_database(self.database_url()))
        await migrate(database)
        return database


class BookResource(
    Resource,
    path="/books",
    meta=ResourceMeta(tags=["books"]),
    meta_create=OperationMeta(summary="Shelve a book", errors=[DuplicateIsbnError]),
    meta_read_many=OperationMeta(
        summary="List books", errors=[InvalidCursorError, CursorWithOffsetError]
    ),
    meta_read_one=OperationMeta(summary="Fetch a book", errors=[BookNotFoundError]),
    meta_update_full=OperationMeta(
        summary="Replace a book", errors=[BookNotFoundError, DuplicateIsbnError]
    ),
    meta_update_partial=OperationMeta(summary="Change a book", errors=[BookNotFoundError]),
    meta_delete=OperationMeta(summary="Take a book off the shelf", errors=[BookNotFoundError]),
):
    """Each handler is one unit of work: one transaction, committed when its block ends.

    An error raised inside the block (a 404, a 409) rolls the transaction back and
    then reaches jero, which answers it as a problem document.
    """

    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(self, json: NewBook) -> Created[Book, LocationHeaders]:
        async with self._database.transaction() as tx:
            book = await store.add(tx, json)
        return Created(book, headers=LocationHeaders(f"/books/{book.book_id}"))

    async def read_many(self, params: BookQuery) -> BookPage:
        async with self._database.transaction(readonly=True) as tx:
            return await store.page(tx, params)

    async def read_one(self, path: BookPath) -> Book:
        async with self._database.transaction(readonly=True) as tx:
            return await store.get(tx, path.book_id)

    async def update_full(self, path: BookPath, json: NewBook) -> Book:
        async with self._database.transaction() as tx:
            return await store.replace(tx, path.book_id, json)

    async def update_partial(self, path: BookPath, json: BookPatch) -> Book:
        async with self._database.transaction() as tx:
            return await store.change(tx, path.book_id, json)

    async def delete(self, path: BookPath) -> NoContent:
        async with self._database.transaction() as tx:
            await store.remove(tx, path.book_id)
        return NoContent()


class App(BaseApp[BookshelfFactory]):
    async def _wire(self) -> None:
        database = await self._factory.database()
        self._include_resource(BookResource(database))
        self._include_openapi(title="Bookshelf", version="1.0.0")


app = App()
