"""The app the two-worker rate-limit test serves in granian: one limited route on a
Redis store named by JERO_TEST_REDIS_URL; every answer (429s too) says which worker
gave it, in `x-worker`."""

from __future__ import annotations

import os

from jero import (
    ASGIApp,
    BaseApp,
    Endpoint,
    Message,
    RateLimit,
    Receive,
    RedisStore,
    RouteInfo,
    Scope,
    Send,
)

LIMIT = 20
PERIOD = 3600.0  # one request comes back every 180 s: none during the test


class Limited(Endpoint, path="/limited"):
    async def get(self) -> str:
        return "ok"


class WorkerHeader:
    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        pid = str(os.getpid()).encode()

        async def run(scope: Scope, receive: Receive, send: Send) -> None:
            async def tagged(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message["headers"], (b"x-worker", pid)]}
                await send(message)

            await app(scope, receive, tagged)

        return run


class App(BaseApp):
    async def _wire(self) -> None:
        store = await self._aenter(RedisStore.from_url(os.environ["JERO_TEST_REDIS_URL"]))
        self._include_middleware(WorkerHeader())
        self._include_endpoint(Limited(), middleware=[RateLimit(LIMIT, PERIOD, store=store)])


app = App()
