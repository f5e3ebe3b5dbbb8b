"""`Client` and `AsyncClient`: call a route's handlers over HTTP, typed as the handlers.

    with Client(WidgetResource, base_url="http://127.0.0.1:8000") as client:
        widget = client.call(WidgetResource.read_one, path=WidgetPath(widget_id="x"))

`call` takes the handler function itself and its arguments: the type checker sees the
handler's own signature and return type, so a wrong body type is a type error at the
call site. Streamed outcomes are read with `stream`, item by item as they arrive.
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
    Mapping,
)
from typing import Any, Concatenate, Self, overload

import httpx
import msgspec

from .._binding.uploads import FilePart
from .._errors_format import ErrorFormat
from .._routes import Endpoint, Resource
from .._streaming.reading import aiter_ndjson, aiter_sse, iter_ndjson, iter_sse
from .._streaming.responses import (
    NDJSONStreamingResponse,
    ServerSentEvent,
    SSEResponse,
    StreamingResponse,
)
from .operations import ClientOperation, read_operations
from .requests import RequestParts
from .responses import Outcome, ResponseError

type Handler[**P, R] = Callable[Concatenate[Any, P], Awaitable[R]]
"""A handler method as its class names it: `WidgetResource.read_one`."""


def read_upload(part: FilePart) -> bytes:
    """An in-memory `FilePart`'s bytes, read without an event loop (nothing awaits)."""
    part.seek(0)
    step = part.read()
    try:
        step.send(None)
    except StopIteration as done:
        return done.value
    step.close()
    raise TypeError("the client sends uploads held in memory: FilePart.from_bytes(...)")


class _Operations:
    """The operations of the route classes a client was made with, by handler."""

    def __init__(
        self, routes: tuple[object, ...], msgpack: bool, error_format: ErrorFormat[Any] | None
    ) -> None:
        self._table = read_operations(
            routes, read_upload, msgpack=msgpack, error_format=error_format
        )

    def find(self, handler: Callable[..., Any]) -> ClientOperation:
        operation = self._table.get(handler)
        if operation is None:
            name = getattr(handler, "__qualname__", repr(handler))
            raise LookupError(
                f"{name} is not an operation of the route classes this client was made with"
            )
        return operation


def _request_options(parts: RequestParts) -> dict[str, Any]:
    options: dict[str, Any] = {"params": parts.params, "headers": parts.headers}
    if parts.content is not None:
        options["content"] = parts.content
    if parts.data is not None:
        data: dict[str, list[str]] = {}
        for key, value in parts.data:
            data.setdefault(key, []).append(value)
        options["data"] = data
    if parts.files is not None:
        options["files"] = parts.files
    return options


def _buffered(outcome: Outcome, response: httpx.Response, where: str) -> Any:
    if outcome.wrapper is not None:
        raise ResponseError(
            f"{where} streams its response ({outcome.wrapper.__name__}); read it with "
            f"client.stream(...)",
            response,
        )
    try:
        return outcome.build(response)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        raise ResponseError(
            f"{where}: the response body does not decode: {error}", response
        ) from None


def _sse_data(decode: Callable[[str], Any], event: ServerSentEvent[str]) -> ServerSentEvent[Any]:
    """An event's data decoded as the item type; text data (a `str` item) stays text."""
    data: Any = event.data
    if isinstance(data, str):
        with contextlib.suppress(msgspec.DecodeError):
            data = decode(data)
    return ServerSentEvent(data, event=event.event, id=event.id, retry=event.retry)


class Client:
    """A synchronous client for the given `Resource` / `Endpoint` classes.

    Pass `base_url=` (and any httpx options through `http=`, an `httpx.Client` you made;
    a `jero.testing.TestClient` works too, for in-process calls). An app with its own
    `error_format=` needs the same format here to raise its errors as `HTTPError`s.
    """

    def __init__(
        self,
        *routes: type[Resource | Endpoint] | Resource | Endpoint,
        base_url: str = "",
        http: httpx.Client | None = None,
        headers: Mapping[str, str] | None = None,
        msgpack: bool = False,
        error_format: ErrorFormat[Any] | None = None,
    ) -> None:
        self._operations = _Operations(routes, msgpack, error_format)
        self._owns_http = http is None
        self.http = http if http is not None else httpx.Client(base_url=base_url, headers=headers)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def call[**P, R](self, handler: Handler[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call `handler` on the server; its declared return value, or its error raised
        (the `HTTPError` subclass the problem's `type` names)."""
        operation = self._operations.find(handler)
        parts = operation.request(args, kwargs)
        response = self.http.request(operation.http_method, parts.url, **_request_options(parts))
        return _buffered(operation.outcome(response), response, operation.where)

    @overload
    def stream[**P, T](
        self,
        handler: Handler[P, NDJSONStreamingResponse[T, Any]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> contextlib.AbstractContextManager[Iterator[T]]: ...
    @overload
    def stream[**P, T](
        self, handler: Handler[P, SSEResponse[T, Any]], /, *args: P.args, **kwargs: P.kwargs
    ) -> contextlib.AbstractContextManager[Iterator[ServerSentEvent[T]]]: ...
    @overload
    def stream[**P](
        self, handler: Handler[P, StreamingResponse[Any]], /, *args: P.args, **kwargs: P.kwargs
    ) -> contextlib.AbstractContextManager[Iterator[bytes]]: ...
    def stream(self, handler: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Read a streamed outcome item by item; leaving the block closes the response."""
        return self._stream(handler, args, kwargs)

    @contextlib.contextmanager
    def _stream(
        self, handler: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Generator[Iterator[Any]]:
        operation = self._operations.find(handler)
        parts = operation.request(args, kwargs)
        with self.http.stream(
            operation.http_method, parts.url, **_request_options(parts)
        ) as response:
            if response.status_code >= 400:
                response.read()
            outcome = operation.outcome(response)
            yield _sync_items(outcome, response)


def _sync_items(outcome: Outcome, response: httpx.Response) -> Iterator[Any]:
    wrapper, body_type = outcome.wrapper, outcome.shape.body_type
    if wrapper is NDJSONStreamingResponse:
        return iter_ndjson(response, body_type)
    if wrapper is SSEResponse:
        decode = msgspec.json.Decoder(body_type).decode
        return (_sse_data(decode, event) for event in iter_sse(response))
    if wrapper is StreamingResponse:
        return response.iter_bytes()
    raise ResponseError("the response is not streamed; use client.call(...)", response)


class AsyncClient:
    """`Client` for async code: `await client.call(...)`, `async with client.stream(...)`.

    `client.resource(WidgetResource)` gives an object typed as the route class whose
    methods call the server: `await client.resource(WidgetResource).read_one(path=...)`.
    """

    def __init__(
        self,
        *routes: type[Resource | Endpoint] | Resource | Endpoint,
        base_url: str = "",
        http: httpx.AsyncClient | None = None,
        headers: Mapping[str, str] | None = None,
        msgpack: bool = False,
        error_format: ErrorFormat[Any] | None = None,
    ) -> None:
        self._operations = _Operations(routes, msgpack, error_format)
        self._owns_http = http is None
        self.http = (
            http if http is not None else httpx.AsyncClient(base_url=base_url, headers=headers)
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    async def call[**P, R](self, handler: Handler[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """As `Client.call`."""
        operation = self._operations.find(handler)
        parts = operation.request(args, kwargs)
        response = await self.http.request(
            operation.http_method, parts.url, **_request_options(parts)
        )
        return _buffered(operation.outcome(response), response, operation.where)

    def resource[T: Resource | Endpoint](self, route: type[T]) -> T:
        """The route class's operations as methods that call the server."""
        # The proxy stands in for the class: same method names, same signatures.
        return typing.cast(T, _RouteProxy(self, route))

    @overload
    def stream[**P, T](
        self,
        handler: Handler[P, NDJSONStreamingResponse[T, Any]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[T]]: ...
    @overload
    def stream[**P, T](
        self, handler: Handler[P, SSEResponse[T, Any]], /, *args: P.args, **kwargs: P.kwargs
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[ServerSentEvent[T]]]: ...
    @overload
    def stream[**P](
        self, handler: Handler[P, StreamingResponse[Any]], /, *args: P.args, **kwargs: P.kwargs
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[bytes]]: ...
    def stream(self, handler: Any, /, *args: Any, **kwargs: Any) -> Any:
        """As `Client.stream`, with async iterators."""
        return self._stream(handler, args, kwargs)

    @contextlib.asynccontextmanager
    async def _stream(
        self, handler: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> AsyncGenerator[AsyncIterator[Any]]:
        operation = self._operations.find(handler)
        parts = operation.request(args, kwargs)
        async with self.http.stream(
            operation.http_method, parts.url, **_request_options(parts)
        ) as response:
            if response.status_code >= 400:
                await response.aread()
            outcome = operation.outcome(response)
            yield _async_items(outcome, response)


def _async_items(outcome: Outcome, response: httpx.Response) -> AsyncIterator[Any]:
    wrapper, body_type = outcome.wrapper, outcome.shape.body_type
    if wrapper is NDJSONStreamingResponse:
        return aiter_ndjson(response, body_type)
    if wrapper is SSEResponse:
        decode = msgspec.json.Decoder(body_type).decode
        return (_sse_data(decode, event) async for event in aiter_sse(response))
    if wrapper is StreamingResponse:
        return response.aiter_bytes()
    raise ResponseError("the response is not streamed; use client.call(...)", response)


class _RouteProxy:
    """Attribute `read_one` → an async function calling `Route.read_one` on the server."""

    def __init__(self, client: AsyncClient, route: type[Any]) -> None:
        self._client = client
        self._route = route

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        handler = getattr(self._route, name)
        self._client._operations.find(handler)  # pyright: ignore[reportPrivateUsage]

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await self._client.call(handler, *args, **kwargs)

        return call
