"""examples/bookshelf against both backends: every test runs on SQLite and on PostgreSQL.

SQLite is a file in the test's temporary directory. PostgreSQL is a real server that
tests/postgres_server.py starts from Debian's package for this module, with a new
schema (an empty namespace, first on the search path) for each test. Where it cannot
start, the PostgreSQL cases skip, except in CI (CI=true), where they fail: there the
server must run.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from granian_server import ROOT, granian
from postgres_server import PostgresServer

from examples.bookshelf import App, BookshelfFactory, store
from examples.bookshelf.models import DuplicateIsbnError, NewBook
from examples.bookshelf.schema import migrate
from jero.testing import TestClient


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bookshelf.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_schema()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(App(factory=BookshelfFactory(database_url))) as client:
        yield client


def book(n: int, **changes: Any) -> dict[str, Any]:
    fields = {
        "isbn": f"978{n:010d}",
        "title": f"Title {n}",
        "author": "Ann",
        "genre": "poetry",
        "year": 1900 + n,
    }
    return {**fields, **changes}


def shelve(client: TestClient, *books: dict[str, Any]) -> list[int]:
    ids: list[int] = []
    for body in books:
        response = client.post("/books", json=body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["bookId"])
    return ids


def every_id(client: TestClient, **params: Any) -> list[int]:
    response = client.get("/books", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [item["bookId"] for item in response.json()["items"]]


def test_create_answers_201_with_location_and_the_stored_book(client: TestClient) -> None:
    created = client.post("/books", json=book(1))
    assert created.status_code == 201
    stored = {"bookId": created.json()["bookId"], **book(1)}
    assert created.json() == stored
    assert created.headers["location"] == f"/books/{stored['bookId']}"
    fetched = client.get(created.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == stored


def test_duplicate_isbn_is_a_409_problem_and_writes_nothing(client: TestClient) -> None:
    shelve(client, book(1))
    duplicate = client.post("/books", json=book(1, title="Another title"))
    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"] == "application/problem+json"
    assert duplicate.json() == {
        "type": "duplicate-isbn",
        "title": "ISBN already on the shelf",
        "status": 409,
        "detail": f"A book with ISBN {book(1)['isbn']} is already on the shelf",
        "params": {"isbn": book(1)["isbn"]},
    }
    titles = [item["title"] for item in client.get("/books").json()["items"]]
    assert titles == ["Title 1"]


def test_replace_onto_another_books_isbn_is_a_409(client: TestClient) -> None:
    first, second = shelve(client, book(1), book(2))
    clash = client.put(f"/books/{second}", json=book(2, isbn=book(1)["isbn"]))
    assert clash.status_code == 409
    assert clash.json()["type"] == "duplicate-isbn"
    assert client.get(f"/books/{second}").json()["isbn"] == book(2)["isbn"]
    replaced = client.put(f"/books/{first}", json=book(3))
    assert replaced.json() == {"bookId": first, **book(3)}


def test_patch_changes_only_the_fields_sent(client: TestClient) -> None:
    (book_id,) = shelve(client, book(1))
    patched = client.patch(f"/books/{book_id}", json={"title": "New title", "year": 2001})
    assert patched.status_code == 200
    assert patched.json() == {"bookId": book_id, **book(1, title="New title", year=2001)}
    assert client.get(f"/books/{book_id}").json() == patched.json()


def test_delete_then_every_operation_on_it_is_a_404(client: TestClient) -> None:
    (book_id,) = shelve(client, book(1))
    deleted = client.delete(f"/books/{book_id}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    missing = {
        "type": "book-not-found",
        "title": "Book not found",
        "status": 404,
        "detail": f"Book {book_id} not found",
        "params": {"bookId": book_id},
    }
    for response in (
        client.get(f"/books/{book_id}"),
        client.delete(f"/books/{book_id}"),
        client.patch(f"/books/{book_id}", json={"title": "x"}),
        client.put(f"/books/{book_id}", json=book(1)),
    ):
        assert response.status_code == 404
        assert response.json() == missing


def test_cursor_pages_walk_every_book_once_in_order(client: TestClient) -> None:
    ids = shelve(client, *(book(n) for n in range(7)))
    seen: list[int] = []
    pages: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/books", params=params).json()
        seen += [item["bookId"] for item in page["items"]]
        pages.append(len(page["items"]))
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == ids
    assert pages == [3, 3, 1]


def test_a_cursor_is_stable_when_earlier_books_go(client: TestClient) -> None:
    ids = shelve(client, *(book(n) for n in range(6)))
    first = client.get("/books", params={"limit": 3}).json()
    client.delete(f"/books/{ids[0]}")
    after = client.get("/books", params={"limit": 3, "cursor": first["nextCursor"]}).json()
    assert [item["bookId"] for item in after["items"]] == ids[3:]
    # An offset page shifts instead: it now starts one book later.
    assert every_id(client, limit=3, offset=3) == ids[4:]


def test_offset_pages(client: TestClient) -> None:
    ids = shelve(client, *(book(n) for n in range(5)))
    assert every_id(client, limit=2, offset=0) == ids[:2]
    assert every_id(client, limit=2, offset=2) == ids[2:4]
    last = client.get("/books", params={"limit": 2, "offset": 4}).json()
    assert [item["bookId"] for item in last["items"]] == ids[4:]
    assert last["nextCursor"] is None
    assert every_id(client, offset=5) == []


def test_repeated_query_params_filter_by_any_of_their_values(client: TestClient) -> None:
    ann, bob, cy, ann_prose = shelve(
        client,
        book(1, author="Ann"),
        book(2, author="Bob"),
        book(3, author="Cy"),
        book(4, author="Ann", genre="prose"),
    )
    assert every_id(client, author=["Ann", "Cy"]) == [ann, cy, ann_prose]
    assert every_id(client, author=["Ann", "Bob"], genre=["prose"]) == [ann_prose]
    assert every_id(client, genre=["poetry", "prose"]) == [ann, bob, cy, ann_prose]
    assert every_id(client, author=["Nobody"]) == []
    # Filters and the cursor compose: the second page of Ann's and Cy's books.
    page = client.get("/books", params={"author": ["Ann", "Cy"], "limit": 1}).json()
    assert every_id(client, author=["Ann", "Cy"], cursor=page["nextCursor"]) == [cy, ann_prose]


@pytest.mark.parametrize(
    ("params", "problem_type"),
    [
        ({"cursor": "not-a-cursor"}, "invalid-cursor"),
        ({"cursor": "YWZ0ZXI6eA"}, "invalid-cursor"),  # "after:x"
        ({"cursor": "YWZ0ZXI6Mg", "offset": 1}, "cursor-with-offset"),
        ({"limit": 0}, "malformed-request"),
        ({"limit": 101}, "malformed-request"),
        ({"offset": -1}, "malformed-request"),
    ],
)
def test_bad_page_requests_are_400_problems(
    client: TestClient, params: dict[str, Any], problem_type: str
) -> None:
    response = client.get("/books", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == problem_type


def test_bad_bodies_are_422_problems(client: TestClient) -> None:
    for body in (book(1, isbn="12"), book(1, title=""), {**book(1), "extra": 1}):
        response = client.post("/books", json=body)
        assert response.status_code == 422
        assert response.json()["type"] == "validation-failed"
    assert every_id(client) == []


def test_a_failed_unit_of_work_rolls_back_every_write(database_url: str) -> None:
    """Two inserts in one transaction: the second breaks, the first is not kept."""

    async def scenario() -> int:
        async with BookshelfFactory.open(database_url) as factory:
            database = await factory.database()
            with pytest.raises(DuplicateIsbnError):
                async with database.transaction() as tx:
                    await store.add(tx, NewBook(**book(2)))
                    await store.add(tx, NewBook(**book(1)))
                    await store.add(tx, NewBook(**book(1)))
            async with database.transaction(readonly=True) as tx:
                return await store.count(tx)

    assert asyncio.run(scenario()) == 0


def test_a_cancelled_unit_of_work_rolls_back_and_the_pool_keeps_working(
    database_url: str,
) -> None:
    """What a client disconnecting mid-request does to its handler's transaction."""

    async def scenario() -> list[int]:
        async with BookshelfFactory.open(database_url) as factory:
            database = await factory.database()
            inserted = anyio.Event()

            async def writer() -> None:
                async with database.transaction() as tx:
                    await store.add(tx, NewBook(**book(1)))
                    inserted.set()
                    await anyio.sleep_forever()

            async with anyio.create_task_group() as group:
                group.start_soon(writer)
                await inserted.wait()
                group.cancel_scope.cancel()
            counts: list[int] = []
            for n in range(12):  # more than either pool holds: every connection is reused
                async with database.transaction() as tx:
                    await store.add(tx, NewBook(**book(100 + n)))
                    counts.append(await store.count(tx))
            return counts

    assert asyncio.run(scenario()) == list(range(1, 13))


def test_migrations_apply_once(database_url: str) -> None:
    async def scenario() -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
        async with BookshelfFactory.open(database_url) as factory:
            database = await factory.database()  # migrates
            again = await migrate(database)
            async with database.transaction(readonly=True) as tx:
                versions = await tx.fetch("SELECT version, name FROM schema_version ORDER BY 1")
        async with BookshelfFactory.open(database_url) as factory:
            after_restart = await migrate(await factory.database())
        return again, after_restart, versions

    again, after_restart, versions = asyncio.run(scenario())
    assert again == after_restart == []
    assert versions == [(1, "0001_books"), (2, "0002_filter_indexes")]


# --- over HTTP: granian with two workers -------------------------------------------------


@pytest.mark.server
def test_two_granian_workers_share_the_database(database_url: str) -> None:
    """Both workers migrate at boot; concurrent writes through both all land, once each."""
    env = {"BOOKSHELF_DATABASE_URL": database_url}
    with granian("examples.bookshelf:app", env=env, workers=2) as server:

        async def load() -> tuple[list[int], list[int]]:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                posts = [http.post("/books", json=book(n)) for n in range(60)]
                duplicates = [http.post("/books", json=book(n)) for n in range(0, 60, 10)]
                first = await asyncio.gather(*posts)
                second = await asyncio.gather(*duplicates)
            return [r.status_code for r in first], [r.status_code for r in second]

        created, duplicated = asyncio.run(load())
        assert created == [201] * 60, server.output()
        assert duplicated == [409] * 6
        listed = httpx.get(f"{server.url}/books", params={"limit": 100}).json()
        isbns = sorted(item["isbn"] for item in listed["items"])
        assert isbns == sorted(book(n)["isbn"] for n in range(60))


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_load_benchmark_runs_clean(tmp_path: Path) -> None:
    """A one-second run of benchmarks/bookshelf_load.py: no errors, every write counted.

    On SQLite only: the script's code is the same for both backends, and the test
    above already drives PostgreSQL through two granian workers.
    """
    database_url = f"sqlite:///{tmp_path / 'load.sqlite3'}"
    command = [sys.executable, "-m", "benchmarks.bookshelf_load", "--database-url", database_url]
    command += ["--duration", "1", "--connections", "8", "--seed", "20"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    row = done.stdout.strip().splitlines()[-1].split("|")[1:-1]
    backend, _, _, _, errors, seeded, created, rows_api, rows_db, in_flight = (
        cell.strip() for cell in row
    )
    assert backend == "sqlite"
    assert errors == "0"
    assert seeded == "20"
    assert int(created) > 0
    assert rows_api == rows_db == str(20 + int(created) + int(in_flight))
    assert 0 <= int(in_flight) <= 8
