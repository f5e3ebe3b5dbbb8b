"""The app of the real-server OTLP test: traced, exporting each span at once over
OTLP/HTTP to the endpoint the test names in `JERO_TEST_OTLP_ENDPOINT`."""

import os

from msgspec import Struct
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource as OTelResource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from jero import BaseApp, Resource, Tracing

provider = TracerProvider(resource=OTelResource.create({"service.name": "granian-test"}))
provider.add_span_processor(
    SimpleSpanProcessor(OTLPSpanExporter(endpoint=os.environ["JERO_TEST_OTLP_ENDPOINT"]))
)


class Order(Struct):
    id: str


class OrderPath(Struct):
    order_id: str


class OrderResource(Resource, path="/orders"):
    async def read_one(self, path: OrderPath) -> Order:
        return Order(path.order_id)


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_middleware(Tracing(provider))
        self._include_resource(OrderResource())


app = App()
