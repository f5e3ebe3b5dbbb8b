"""The API a page on another loopback port fetches in test_cors_browser.py (granian).

The allowed origin comes from JERO_TEST_ALLOWED_ORIGIN, since the page's port is only
known once the test has bound it.
"""

import os

from msgspec import Struct

from jero import CORS, BaseApp, RequestId, Resource


class WidgetPath(Struct):
    widget_id: int


class Widget(Struct):
    id: int
    name: str


class WidgetResource(Resource, path="/widgets"):
    async def read_one(self, path: WidgetPath) -> Widget:
        return Widget(path.widget_id, "gear")

    async def update_partial(self, path: WidgetPath, json: Widget) -> Widget:
        return Widget(path.widget_id, json.name)


class App(BaseApp):
    async def _wire(self) -> None:
        cors = CORS(
            allow_origins=[os.environ["JERO_TEST_ALLOWED_ORIGIN"]],
            allow_headers=["X-Trace-Id"],
            expose_headers=["X-Request-Id"],
        )
        self._include_middleware(RequestId(), cors)
        self._include_resource(WidgetResource())


app = App()
