"""The typed client: call a jero API with the route classes that define it.

    from jero.client import Client

    with Client(WidgetResource, base_url="http://127.0.0.1:8000") as client:
        widget = client.call(WidgetResource.read_one, path=WidgetPath(widget_id="x"))

Requests are built and responses decoded from the same wiring plans the server uses;
an application error comes back raised as its own `HTTPError` subclass.
"""

from ._client.clients import AsyncClient, Client
from ._client.responses import ResponseError, UnknownProblemError

__all__ = ["AsyncClient", "Client", "ResponseError", "UnknownProblemError"]
