"""Every app in examples/ starts under TestClient (its lifespan wires without error)."""

import importlib
from pathlib import Path

import pytest

from jero import BaseApp
from jero.testing import TestClient

EXAMPLES = sorted(
    p.stem for p in (Path(__file__).parent.parent / "examples").glob("*.py") if p.stem != "__init__"
)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_app_starts_and_answers(name: str) -> None:
    module = importlib.import_module(f"examples.{name}")
    app = module.app
    assert isinstance(app, BaseApp)
    with TestClient(app) as client:
        assert app.router is not None
        assert client.get("/no-such-path-in-any-example").status_code == 404
