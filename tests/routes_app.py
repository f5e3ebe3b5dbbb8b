"""Apps around route objects, for the tests whose `_wire` would only include them."""

from __future__ import annotations

import pytest

from jero import BaseApp, Endpoint, Limits, Resource, WiringError
from jero.testing import TestClient


def include(app: BaseApp, route: Resource | Endpoint, *, auth: object | None = None) -> None:
    """`_include_resource` or `_include_endpoint`, whichever `route` is (inside `_wire`)."""
    if isinstance(route, Resource):
        app._include_resource(route, auth=auth)
    else:
        app._include_endpoint(route, auth=auth)


def app_of(*routes: Resource | Endpoint, limits: Limits | None = None) -> BaseApp:
    """An app whose `_wire` includes `routes`, in order, without authentication."""

    class App(BaseApp):
        async def _wire(self) -> None:
            for route in routes:
                include(self, route)

    return App(limits=limits)


def boot(app: BaseApp) -> None:
    """Start `app` and stop it again, raising what its startup raises."""
    with TestClient(app):
        pass


def wiring_error_of(app: BaseApp, match: str | None = None) -> str:
    """The message of the `WiringError` starting `app` raises (which must match `match`)."""
    with pytest.raises(WiringError, match=match) as caught:
        boot(app)
    return str(caught.value)
