"""Every app in examples/ starts under TestClient (its lifespan wires without error).

An example is a module (`examples/name.py`) or a package (`examples/name/__init__.py`)
with an `app`. Each runs in a temporary working directory, so an example that keeps
files (the bookshelf's SQLite database) leaves nothing in the repository.
"""

import importlib
from pathlib import Path

import pytest

from jero import BaseApp
from jero.testing import TestClient

EXAMPLES_DIR = Path(__file__).parents[2] / "examples"
EXAMPLES = sorted(
    [p.stem for p in EXAMPLES_DIR.glob("*.py") if p.stem != "__init__"]
    + [p.parent.name for p in EXAMPLES_DIR.glob("*/__init__.py")]
)


def test_the_packages_are_found_too() -> None:
    assert "bookshelf" in EXAMPLES


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_app_starts_and_answers(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOOKSHELF_DATABASE_URL", raising=False)
    module = importlib.import_module(f"examples.{name}")
    app = module.app
    assert isinstance(app, BaseApp)
    with TestClient(app) as client:
        assert app.jero.router is not None
        assert client.get("/no-such-path-in-any-example").status_code == 404
