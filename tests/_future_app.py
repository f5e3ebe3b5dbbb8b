"""An app written with `from __future__ import annotations` whose route classes refer to
Structs defined further down the module (forward references). tests/routing/test_wiring_rules.py
boots it: annotations are resolved at wiring, so both work."""

from __future__ import annotations

import msgspec

from jero import BaseApp, Created, Resource


class GadgetResource(Resource, path="/shops/{shop_id}/gadgets"):
    async def read_one(self, path: GadgetPath, params: GadgetQuery) -> Gadget:
        return Gadget(shop_id=path.shop_id, gadget_id=path.gadget_id, limit=params.limit)

    async def create(self, path: ShopPath, json: NewGadget) -> Created[Gadget]:
        return Created(Gadget(shop_id=path.shop_id, gadget_id=json.name, limit=0))


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_resource(GadgetResource())


class ShopPath(msgspec.Struct):
    shop_id: str


class GadgetPath(msgspec.Struct):
    shop_id: str
    gadget_id: str


class GadgetQuery(msgspec.Struct):
    limit: int = 10


class NewGadget(msgspec.Struct):
    name: str


class Gadget(msgspec.Struct):
    shop_id: str
    gadget_id: str
    limit: int
