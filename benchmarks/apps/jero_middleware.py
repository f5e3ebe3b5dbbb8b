"""The jero benchmark API with middleware, for ``inproc.py --middleware``.

``build_app_wide`` wires three app-wide middlewares (each adds one response header: the
least a middleware does), ``build_real`` wires jero's own ``RequestId`` (access log on;
the ``jero.access`` logger is not enabled for INFO here), ``CORS`` and ``Compression``
app-wide, and ``build_other_mount`` puts the three header middlewares on one extra
endpoint only, so ``/ping`` and ``/items`` run in an app that uses middleware elsewhere.
"""

from typing import Any

from benchmarks.apps.jero_app import ItemResource, PingEndpoint
from jero import CORS, BaseApp, Compression, Endpoint, RequestId, RouteInfo


class HeaderMiddleware:
    def __init__(self, name: str) -> None:
        self.header = (f"x-{name}".encode(), b"1")

    def wrap(self, app: Any, route: RouteInfo) -> Any:
        header = self.header

        async def run(scope: Any, receive: Any, send: Any) -> None:
            async def send_with_header(message: Any) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message["headers"], header]}
                await send(message)

            await app(scope, receive, send_with_header)

        return run


def three() -> list[HeaderMiddleware]:
    return [HeaderMiddleware("one"), HeaderMiddleware("two"), HeaderMiddleware("three")]


class OtherEndpoint(Endpoint, path="/other"):
    async def get(self) -> str:
        return "other"


def build_app_wide(n_routes: int = 0) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(*three())
            self._include_endpoint(PingEndpoint())
            self._include_resource(ItemResource())

    return App()


def build_real(n_routes: int = 0) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            cors = CORS(allow_origins=["https://app.example"])
            self._include_middleware(RequestId(), cors, Compression())
            self._include_endpoint(PingEndpoint())
            self._include_resource(ItemResource())

    return App()


def build_other_mount(n_routes: int = 0) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(OtherEndpoint(), middleware=three())
            self._include_endpoint(PingEndpoint())
            self._include_resource(ItemResource())

    return App()
