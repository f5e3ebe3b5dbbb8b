"""aiosqlite directly vs SQLAlchemy 2.x async (Core and ORM) on the same SQLite file.

The bookshelf example had to pick one. This measures the two operations its handlers do
most, each in its own transaction as a handler would: insert one row, fetch one row by
primary key. Run: `uv run python -m benchmarks.db_drivers [--rows 2000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiosqlite
from sqlalchemy import Integer, String, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

DDL = "CREATE TABLE books (id INTEGER PRIMARY KEY, isbn TEXT NOT NULL UNIQUE, title TEXT NOT NULL)"


class Base(DeclarativeBase):
    pass


class BookRow(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    isbn: Mapped[str] = mapped_column(String, unique=True)
    title: Mapped[str] = mapped_column(String)


async def timed(rows: int, operation: Callable[[int], Awaitable[None]]) -> float:
    """Microseconds per call of `operation(i)` for i in range(rows)."""
    start = time.perf_counter()
    for i in range(rows):
        await operation(i)
    return (time.perf_counter() - start) / rows * 1e6


async def run_aiosqlite(path: Path, rows: int) -> tuple[float, float]:
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute(DDL)

        async def write(i: int) -> None:
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute("INSERT INTO books (isbn, title) VALUES (?, ?)", (str(i), "t"))
            await conn.execute("COMMIT")

        async def read(i: int) -> None:
            await conn.execute("BEGIN")
            query = "SELECT id, isbn, title FROM books WHERE id = ?"
            async with conn.execute(query, (i + 1,)) as cursor:
                assert await cursor.fetchone() is not None
            await conn.execute("COMMIT")

        return await timed(rows, write), await timed(rows, read)


async def engine_for(path: Path) -> AsyncEngine:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        await conn.exec_driver_sql(DDL)
    return engine


async def run_core(path: Path, rows: int) -> tuple[float, float]:
    engine = await engine_for(path)
    table = BookRow.__table__

    async def write(i: int) -> None:
        async with engine.begin() as conn:
            await conn.execute(insert(table).values(isbn=str(i), title="t"))

    async def read(i: int) -> None:
        async with engine.connect() as conn:
            found = (await conn.execute(select(table).where(table.c.id == i + 1))).first()
            assert found is not None

    try:
        return await timed(rows, write), await timed(rows, read)
    finally:
        await engine.dispose()


async def run_orm(path: Path, rows: int) -> tuple[float, float]:
    engine = await engine_for(path)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def write(i: int) -> None:
        async with sessions.begin() as session:
            session.add(BookRow(isbn=str(i), title="t"))

    async def read(i: int) -> None:
        async with sessions() as session:
            assert await session.get(BookRow, i + 1) is not None

    try:
        return await timed(rows, write), await timed(rows, read)
    finally:
        await engine.dispose()


async def main(rows: int) -> None:
    runs = {
        "aiosqlite": run_aiosqlite,
        "SQLAlchemy Core": run_core,
        "SQLAlchemy ORM": run_orm,
    }
    print(f"{rows} operations each, one transaction per operation, µs/operation")
    print("| library | insert | select by id |")
    print("| --- | ---: | ---: |")
    for name, run in runs.items():
        with tempfile.TemporaryDirectory() as tmp:
            write_us, read_us = await run(Path(tmp) / "bench.sqlite3", rows)
        print(f"| {name} | {write_us:.0f} | {read_us:.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    asyncio.run(main(parser.parse_args().rows))
