"""The app the granian proxy test serves: a limit of 2 per client address behind
`TrustedProxies`, whose proxy list comes from JERO_TEST_PROXIES (comma-separated)."""

from __future__ import annotations

import os

from jero import BaseApp, Endpoint, RateLimit, SecurityHeaders, TrustedHosts, TrustedProxies


class Limited(Endpoint, path="/limited"):
    async def get(self) -> str:
        return "ok"


class App(BaseApp):
    async def _wire(self) -> None:
        proxies = os.environ["JERO_TEST_PROXIES"].split(",")
        self._include_middleware(
            TrustedProxies(proxies),
            TrustedHosts(["127.0.0.1", "api.example.com"]),
            SecurityHeaders(),
        )
        self._include_endpoint(Limited(), middleware=[RateLimit(2, 3600)])


app = App()
