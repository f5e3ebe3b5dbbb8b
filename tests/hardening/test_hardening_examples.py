"""The examples bound what their database can store and say what is per-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from examples.bookshelf import App, BookshelfFactory
from jero.testing import TestClient
from tests.docs.test_docs import ROOT

HUGE_IDS = [str(2**63), str(2**64 + 1), "9" * 40]


@pytest.fixture
def bookshelf(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'bookshelf.sqlite3'}"
    with TestClient(App(factory=BookshelfFactory(url))) as client:
        yield client


@pytest.mark.parametrize("book_id", HUGE_IDS)
def test_a_book_id_past_what_sqlite_stores_is_a_404_not_a_500(
    bookshelf: TestClient, book_id: str
) -> None:
    for method in ("GET", "DELETE", "PATCH"):
        response = bookshelf.request(
            method, f"/books/{book_id}", json={} if method == "PATCH" else None
        )
        assert response.status_code == 404, (method, response.text)
    largest = bookshelf.get(f"/books/{2**63 - 1}")
    assert largest.status_code == 404
    assert largest.json()["type"] == "book-not-found"


@pytest.mark.parametrize("module", ["catalog.py", "chat.py", "notes.py"])
def test_examples_that_keep_state_in_memory_say_it_is_per_process(module: str) -> None:
    source = (ROOT / "examples" / module).read_text()
    docstring = source.split('"""', 2)[1]
    assert "per process" in docstring or "per-process" in docstring, docstring
