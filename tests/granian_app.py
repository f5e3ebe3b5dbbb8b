"""A small app with a POST route, served by a real granian process in test_granian.py."""

from msgspec import Struct

from jero import BaseApp, Resource


class WidgetPath(Struct):
    widget_id: int


class Widget(Struct, rename="camel"):
    widget_name: str
    unit_price: int = 0


class WidgetResource(Resource, path="/widgets"):
    async def create(self, json: Widget) -> Widget:
        return json

    async def read_one(self, path: WidgetPath) -> Widget:
        return Widget(widget_name=f"widget-{path.widget_id}")


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_resource(WidgetResource())


app = App()
