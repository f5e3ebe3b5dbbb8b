"""The app the Prometheus test serves with two granian workers: `/ping` answers the pid
of the worker that served it, `/metrics` the exposition summed over every worker."""

import os

from jero import BaseApp, Endpoint, Metrics


class PingEndpoint(Endpoint, path="/ping"):
    async def get(self) -> str:
        return str(os.getpid())


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_middleware(Metrics(opentelemetry=False, prometheus=True))
        self._include_endpoint(PingEndpoint())
        self._include_prometheus("/metrics")
        self._include_health(live="/livez", ready="/readyz")


app = App()
