"""The same small JSON API written once per framework.

Every module here exposes ``build(n_routes: int = 0)`` returning an ASGI 3 app that serves

- ``GET /ping`` -> ``{"message": "pong"}``
- ``GET /items/{item_id}?limit=N`` -> ``{"id": item_id, "name": "item", "limit": N}``
- ``POST /items`` with ``{"id", "name", "limit"}`` -> 201, echo of the decoded body
- ``GET /list`` -> the 1,000 items of ``scenarios.list_item``
- ``POST /bulk`` with ``{"items": [...]}`` (about 1 MB) -> 201, ``{"count", "id_sum"}``
- ``n_routes`` filler routes ``GET /r{i}/items/{item_id}`` with the same handler shape.
"""

import importlib
from typing import Any

APP_MODULES: dict[str, str] = {
    "raw": "benchmarks.apps.raw",
    "jero": "benchmarks.apps.jero_app",
    "blacksheep": "benchmarks.apps.blacksheep_app",
    "litestar": "benchmarks.apps.litestar_app",
    "fastapi": "benchmarks.apps.fastapi_app",
}


def load_builders(names: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Import the app modules named; return (name -> build function, name -> skip reason).

    An app whose module fails to import (jero before its core exists, a missing
    optional dependency) is skipped with the reason, so the other apps still run.
    """
    builders: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name in names:
        if name not in APP_MODULES:
            raise SystemExit(f"unknown app {name!r}; choose from {', '.join(APP_MODULES)}")
        try:
            module = importlib.import_module(APP_MODULES[name])
        except Exception as exc:
            skipped[name] = f"{type(exc).__name__}: {exc}"
            continue
        builders[name] = module.build
    return builders, skipped
