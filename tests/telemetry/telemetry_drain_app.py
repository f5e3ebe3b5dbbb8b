"""The app of the drain test: a slow request to be in flight while the server stops."""

import anyio

from jero import BaseApp, Endpoint


class SlowEndpoint(Endpoint, path="/slow"):
    async def get(self) -> str:
        await anyio.sleep(1.5)
        return "done"


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(SlowEndpoint())
        self._include_health()


app = App()
