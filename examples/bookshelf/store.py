"""The books table: every statement the API runs, each inside the caller's transaction.

The functions take a `Transaction` rather than opening one, so a handler decides what
one unit of work is (`async with database.transaction() as tx:`) and can combine
several of them atomically. The SQL is the subset SQLite and PostgreSQL share.
"""

from __future__ import annotations

import base64
import binascii

from .database import Row, Transaction, UniqueViolation
from .models import (
    Book,
    BookNotFoundError,
    BookPage,
    BookPatch,
    BookQuery,
    BookRef,
    CursorWithOffsetError,
    DuplicateIsbnError,
    InvalidCursorError,
    IsbnRef,
    NewBook,
)

COLUMNS = "id, isbn, title, author, genre, year"


def book_of(row: Row) -> Book:
    return Book(*row)


def encode_cursor(book_id: int) -> str:
    """Opaque to clients: they pass back what they were given."""
    return base64.urlsafe_b64encode(f"after:{book_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursorError() from None
    prefix, _, number = text.partition(":")
    if prefix != "after" or not number.isdigit() or len(number) > 18:
        raise InvalidCursorError()
    return int(number)


async def add(tx: Transaction, new: NewBook) -> Book:
    try:
        row = await tx.fetch_one(
            f"INSERT INTO books (isbn, title, author, genre, year) VALUES ($1, $2, $3, $4, $5)"
            f" RETURNING {COLUMNS}",
            new.isbn,
            new.title,
            new.author,
            new.genre,
            new.year,
        )
    except UniqueViolation:
        raise DuplicateIsbnError(IsbnRef(new.isbn)) from None
    assert row is not None  # INSERT ... RETURNING always returns the row
    return book_of(row)


async def get(tx: Transaction, book_id: int) -> Book:
    row = await tx.fetch_one(f"SELECT {COLUMNS} FROM books WHERE id = $1", book_id)
    if row is None:
        raise BookNotFoundError(BookRef(book_id))
    return book_of(row)


async def page(tx: Transaction, query: BookQuery) -> BookPage:
    """One page in id order; fetch one row more than asked to know if another follows."""
    if query.cursor is not None and query.offset:
        raise CursorWithOffsetError()
    conditions: list[str] = []
    args: list[object] = []

    def placeholder(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    for column, wanted in (("author", query.author), ("genre", query.genre)):
        if wanted:
            conditions.append(f"{column} IN ({', '.join(placeholder(v) for v in wanted)})")
    if query.cursor is not None:
        conditions.append(f"id > {placeholder(decode_cursor(query.cursor))}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    limit, offset = placeholder(query.limit + 1), placeholder(query.offset)
    rows = await tx.fetch(
        f"SELECT {COLUMNS} FROM books{where} ORDER BY id LIMIT {limit} OFFSET {offset}", *args
    )
    items = [book_of(row) for row in rows[: query.limit]]
    more = len(rows) > query.limit
    return BookPage(items, encode_cursor(items[-1].book_id) if more else None)


async def replace(tx: Transaction, book_id: int, new: NewBook) -> Book:
    try:
        row = await tx.fetch_one(
            "UPDATE books SET isbn = $2, title = $3, author = $4, genre = $5, year = $6"
            f" WHERE id = $1 RETURNING {COLUMNS}",
            book_id,
            new.isbn,
            new.title,
            new.author,
            new.genre,
            new.year,
        )
    except UniqueViolation:
        raise DuplicateIsbnError(IsbnRef(new.isbn)) from None
    if row is None:
        raise BookNotFoundError(BookRef(book_id))
    return book_of(row)


async def change(tx: Transaction, book_id: int, patch: BookPatch) -> Book:
    """Set the fields the patch carries; COALESCE keeps the others as they are."""
    row = await tx.fetch_one(
        "UPDATE books SET title = COALESCE($2, title), author = COALESCE($3, author),"
        " genre = COALESCE($4, genre), year = COALESCE($5, year)"
        f" WHERE id = $1 RETURNING {COLUMNS}",
        book_id,
        patch.title,
        patch.author,
        patch.genre,
        patch.year,
    )
    if row is None:
        raise BookNotFoundError(BookRef(book_id))
    return book_of(row)


async def remove(tx: Transaction, book_id: int) -> None:
    if await tx.fetch_one("DELETE FROM books WHERE id = $1 RETURNING id", book_id) is None:
        raise BookNotFoundError(BookRef(book_id))


async def count(tx: Transaction) -> int:
    row = await tx.fetch_one("SELECT COUNT(*) FROM books")
    return row[0] if row else 0
