"""The one module of `jero._cli` that imports jero's internals.

The CLI reads what wiring produced (the sealed router's handler plans, the OpenAPI
site); everything it needs from the framework's private modules is imported and
adapted here, so a reorganisation of those modules changes this file only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .._app import BaseApp
from .._asgi import ASGIApp, Message, Receive, Scope, Send
from .._auth import AuthPlan
from .._errors import WiringError

type AnyApp = BaseApp[Any]
"""Any jero app, whatever its factory type."""

__all__ = [
    "ASGIApp",
    "AnyApp",
    "BaseApp",
    "Message",
    "OpenAPIPaths",
    "Receive",
    "RouteRow",
    "Scope",
    "Send",
    "WiringError",
    "openapi_paths",
    "route_rows",
]


@dataclasses.dataclass(frozen=True, slots=True)
class RouteRow:
    """One wired handler, as `jero routes` prints it."""

    method: str
    path: str
    handler: str
    auth: str
    statuses: str


@dataclasses.dataclass(frozen=True, slots=True)
class OpenAPIPaths:
    """Where a wired app serves its OpenAPI document and its docs page."""

    document: str
    docs_page: str | None


def route_rows(app: AnyApp) -> list[RouteRow]:
    """Every handler of a started app, in wiring order (HEAD, served from GET, omitted)."""
    router = app.jero.router
    if router is None:
        raise RuntimeError(f"{type(app).__name__} has not completed its startup")
    rows: list[RouteRow] = []
    for plan in router.plans():
        statuses = sorted({shape.status for shape in plan.render.shapes})
        rows.append(
            RouteRow(
                method=plan.http_method,
                path=plan.path,
                handler=f"{plan.owner.__qualname__}.{plan.operation.name}",
                auth=_auth_label(plan.auth),
                statuses=", ".join(map(str, statuses)),
            )
        )
    return rows


def _auth_label(auth: object) -> str:
    if not isinstance(auth, AuthPlan):
        return "-"
    name = type(auth.authenticator).__qualname__
    return f"{name} (optional)" if auth.optional else name


def openapi_paths(app: AnyApp) -> OpenAPIPaths | None:
    """The document and docs page paths of a started app that included OpenAPI."""
    site = app.jero.openapi
    if site is None:
        return None
    return OpenAPIPaths(document=site.path, docs_page=site.docs_path)
