"""In-process test clients: the full ASGI lifespan and real requests, no socket.

    with TestClient(App()) as client:
        assert client.get("/widgets/abc").json() == {"id": "abc", "name": "widget-name"}

Both clients are httpx clients, so responses are `httpx.Response`. Entering the client
runs lifespan startup (re-raising the app's own exception when startup fails); leaving
it runs shutdown. Response bodies stream: leaving a `client.stream(...)` block early
sends `http.disconnect` to the app and waits for the request task to finish.

`iter_ndjson` / `iter_sse` (and `aiter_*` for the async client) decode a streamed body
item by item as it arrives, so a test can stop reading (and disconnect) at any point.

The default base URL is `https://testserver`: jero's cookies are `Secure` by default,
and httpx's cookie jar, like a browser, only sends those back over https.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote

import anyio
import anyio.abc
import anyio.from_thread
import httpx
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._asgi import ASGIApp, Message
from ._assembly import JeroState
from ._streaming.reading import aiter_ndjson, aiter_sse, iter_ndjson, iter_sse
from ._websockets.testing import (
    AsyncWebSocketSession,
    WebSocketClosed,
    WebSocketDenied,
    WebSocketTestSession,
    websocket_scope,
)

__all__ = [
    "AsyncTestClient",
    "AsyncWebSocketSession",
    "TestClient",
    "WebSocketClosed",
    "WebSocketDenied",
    "WebSocketTestSession",
    "aiter_ndjson",
    "aiter_sse",
    "iter_ndjson",
    "iter_sse",
]

_BUFFERED_MESSAGES = 16

type _Channel = tuple[MemoryObjectSendStream[Message], MemoryObjectReceiveStream[Message]]


class _AppRunner:
    """Runs an app's lifespan and its requests as tasks of one task group."""

    def __init__(self, app: ASGIApp, root_path: str, lifespan: bool) -> None:
        self.app = app
        self.root_path = root_path
        self.lifespan = lifespan
        self.state: dict[str, Any] = {}
        self._group: anyio.abc.TaskGroup | None = None
        self._lifespan_error: BaseException | None = None
        # The lifespan's message channels, opened anew on each entry.
        self._to_app: _Channel
        self._from_app: _Channel

    async def __aenter__(self) -> Self:
        self._to_app = anyio.create_memory_object_stream[Message](math.inf)
        self._from_app = anyio.create_memory_object_stream[Message](math.inf)
        self._lifespan_error = None
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group = group
        if not self.lifespan:
            return self
        group.start_soon(self._run_lifespan)
        unlogged = _ReraisedStartupError(self.app)
        logging.getLogger("jero").addFilter(unlogged)
        try:
            await self._lifespan_step("lifespan.startup")
        except BaseException:
            group.cancel_scope.cancel()
            self._group = None
            try:
                with contextlib.suppress(BaseExceptionGroup):
                    await group.__aexit__(None, None, None)
            finally:
                self._close_channels()
            raise
        finally:
            logging.getLogger("jero").removeFilter(unlogged)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        group = self._group
        assert group is not None
        try:
            if self.lifespan and exc_info[0] is None:
                await self._lifespan_step("lifespan.shutdown")
        finally:
            group.cancel_scope.cancel()
            self._group = None
            try:
                await group.__aexit__(None, None, None)
            finally:
                self._close_channels()

    def _close_channels(self) -> None:
        for end in (*self._to_app, *self._from_app):
            end.close()

    async def _run_lifespan(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        try:
            await self.app(scope, self._to_app[1].receive, self._from_app[0].send)
        except BaseException as error:
            self._lifespan_error = error
            raise
        finally:
            self._from_app[0].close()

    async def _lifespan_step(self, kind: str) -> None:
        await self._to_app[0].send({"type": kind})
        try:
            reply = await self._from_app[1].receive()
        except anyio.EndOfStream:
            raise self._lifespan_error or RuntimeError(f"the app ended during {kind}") from None
        if reply["type"] == f"{kind}.failed":
            own = _startup_error(self.app)
            if kind == "lifespan.startup" and own is not None:
                raise own
            raise RuntimeError(f"{kind} failed: {reply.get('message', '')}")

    async def send(self, request: httpx.Request, chunks: list[bytes]) -> httpx.Response:
        """Run one request; the response streams the body as the app sends it."""
        group = self._group
        if group is None:
            raise RuntimeError("enter the test client first: `with TestClient(app) as client:`")
        exchange = _Exchange(self.app, self._scope(request), chunks)
        group.start_soon(exchange.run)
        start = await exchange.response_start()
        headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", [])]
        return httpx.Response(start["status"], headers=headers, stream=exchange, request=request)

    def start_soon(self, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `run` as a task of the client's group (a WebSocket session)."""
        if self._group is None:
            raise RuntimeError("enter the test client first: `with TestClient(app) as client:`")
        self._group.start_soon(run)

    def websocket(
        self, request: httpx.Request, denial: bool, subprotocols: list[str]
    ) -> AsyncWebSocketSession:
        scope = websocket_scope(request, self.root_path, self.state, denial, subprotocols)
        return AsyncWebSocketSession(self.app, scope, self.start_soon)

    def _scope(self, request: httpx.Request) -> dict[str, Any]:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": self.root_path + unquote(url.path),
            "raw_path": self.root_path.encode() + url.raw_path.split(b"?")[0],
            "root_path": self.root_path,
            "query_string": url.query,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": ("127.0.0.1", 50000),
            "server": (url.host, port),
            "state": dict(self.state),
        }


class _Exchange(httpx.AsyncByteStream):
    """One request/response between the client and the app's task."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any], chunks: list[bytes]) -> None:
        self._app = app
        self._scope = scope
        self._chunks = chunks or [b""]
        self._sent = 0
        self._disconnect = anyio.Event()
        self._done = anyio.Event()
        self._error: BaseException | None = None
        # A small buffer gives the app back-pressure, as a socket would: a stream cannot
        # run far ahead of the client reading it.
        self._messages = anyio.create_memory_object_stream[Message](_BUFFERED_MESSAGES)
        self._finished = False

    async def run(self) -> None:
        try:
            await self._app(self._scope, self._receive, self._send)
        except BaseException as error:
            self._error = error
        finally:
            self._messages[0].close()
            self._done.set()

    async def _receive(self) -> Message:
        if self._sent < len(self._chunks):
            index = self._sent
            self._sent += 1
            more = self._sent < len(self._chunks)
            return {"type": "http.request", "body": self._chunks[index], "more_body": more}
        await self._disconnect.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if self._disconnect.is_set():
            raise OSError("the client disconnected")
        try:
            await self._messages[0].send(message)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            raise OSError("the client disconnected") from None

    async def response_start(self) -> Message:
        try:
            message = await self._messages[1].receive()
        except anyio.EndOfStream:
            raise self._error or RuntimeError("the app returned without a response") from None
        if message["type"] != "http.response.start":
            raise RuntimeError(f"the app sent {message['type']!r} before http.response.start")
        return message

    async def next_chunk(self) -> bytes | None:
        """The next body chunk, or None once the response is complete."""
        while not self._finished:
            try:
                message = await self._messages[1].receive()
            except anyio.EndOfStream:
                await self._done.wait()
                if self._error is not None:
                    raise self._error from None
                raise RuntimeError("the app ended the response without a final body") from None
            if message["type"] != "http.response.body":
                continue
            self._finished = not message.get("more_body", False)
            body: bytes = message.get("body", b"")
            if body:
                return body
        return None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self.next_chunk()) is not None:
            yield chunk

    async def aclose(self) -> None:
        """Leaving the response: tell the app the client is gone and wait for it."""
        self._disconnect.set()
        self._messages[1].close()  # a send blocked on the full buffer fails at once
        await self._done.wait()


async def _read_chunks(request: httpx.Request) -> list[bytes]:
    stream = request.stream
    if isinstance(stream, httpx.AsyncByteStream):
        return [chunk async for chunk in stream]
    raise TypeError("the request body is not an async stream")


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, runner: _AppRunner) -> None:
        self._runner = runner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._runner.send(request, await _read_chunks(request))


class AsyncTestClient(httpx.AsyncClient):
    """`async with AsyncTestClient(App()) as client:` — the async twin of `TestClient`."""

    __test__ = False

    def __init__(
        self,
        app: ASGIApp,
        *,
        base_url: str = "https://testserver",
        root_path: str = "",
        lifespan: bool = True,
        **kwargs: Any,
    ) -> None:
        self._runner = _AppRunner(app, root_path, lifespan)
        super().__init__(base_url=base_url, transport=_AsyncTransport(self._runner), **kwargs)

    async def __aenter__(self) -> Self:
        await self._runner.__aenter__()
        try:
            await super().__aenter__()
        except BaseException:
            await self._runner.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc_value, traceback)
        finally:
            await self._runner.__aexit__(exc_type, exc_value, traceback)

    def websocket_connect(
        self,
        url: str,
        *,
        params: Any = None,
        headers: Any = None,
        cookies: Any = None,
        subprotocols: list[str] | None = None,
        denial_response: bool = True,
    ) -> AsyncWebSocketSession:
        """`async with client.websocket_connect("/ws") as ws:` — an in-process WebSocket
        (see `AsyncWebSocketSession`); a refused handshake raises `WebSocketDenied`."""
        request = self.build_request("GET", url, params=params, headers=headers, cookies=cookies)
        return self._runner.websocket(request, denial_response, subprotocols or [])


class _SyncStream(httpx.SyncByteStream):
    def __init__(self, portal: anyio.from_thread.BlockingPortal, exchange: _Exchange) -> None:
        self._portal = portal
        self._exchange = exchange

    def __iter__(self) -> Iterator[bytes]:
        while (chunk := self._portal.call(self._exchange.next_chunk)) is not None:
            yield chunk

    def close(self) -> None:
        self._portal.call(self._exchange.aclose)


class _SyncTransport(httpx.BaseTransport):
    def __init__(self, client: TestClient) -> None:
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        portal, runner = self._client.open_runner()
        stream = request.stream
        chunks = list(stream) if isinstance(stream, httpx.SyncByteStream) else []
        response = portal.call(runner.send, request, chunks)
        assert isinstance(response.stream, _Exchange)
        return httpx.Response(
            response.status_code,
            headers=response.headers.raw,
            stream=_SyncStream(portal, response.stream),
            request=request,
        )


class TestClient(httpx.Client):
    """A synchronous httpx client wired straight to an ASGI app, lifespan included.

    Use it as a context manager; `with` runs startup and raises the app's own exception
    when startup fails, and the block's end runs shutdown.
    """

    __test__ = False

    def __init__(
        self,
        app: ASGIApp,
        *,
        base_url: str = "https://testserver",
        root_path: str = "",
        lifespan: bool = True,
        backend: str = "asyncio",
        **kwargs: Any,
    ) -> None:
        self._runner = _AppRunner(app, root_path, lifespan)
        self._backend = backend
        self._portal_cm: AbstractContextManager[anyio.from_thread.BlockingPortal] | None = None
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._runner_cm: AbstractContextManager[_AppRunner] | None = None
        super().__init__(base_url=base_url, transport=_SyncTransport(self), **kwargs)

    def call[T](self, func: Callable[[], Awaitable[T]]) -> T:
        """Run `await func()` on the app's event loop and return its result, e.g.
        `client.call(tasks.join)` to wait until the background work is done."""
        portal, _ = self.open_runner()
        return portal.call(func)

    def open_runner(self) -> tuple[anyio.from_thread.BlockingPortal, _AppRunner]:
        if self._portal is None:
            raise RuntimeError("use the test client as a context manager: `with TestClient(app)`")
        return self._portal, self._runner

    def __enter__(self) -> Self:
        self._portal_cm = anyio.from_thread.start_blocking_portal(self._backend)
        self._portal = self._portal_cm.__enter__()
        self._runner_cm = self._portal.wrap_async_context_manager(self._runner)
        try:
            self._runner_cm.__enter__()
        except BaseException as error:
            self._close_portal(error)
            raise
        super().__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            super().__exit__(exc_type, exc_value, traceback)
            if self._runner_cm is not None:
                self._runner_cm.__exit__(exc_type, exc_value, traceback)
        finally:
            self._close_portal(exc_value)

    def websocket_connect(
        self,
        url: str,
        *,
        params: Any = None,
        headers: Any = None,
        cookies: Any = None,
        subprotocols: list[str] | None = None,
        denial_response: bool = True,
    ) -> WebSocketTestSession:
        """`with client.websocket_connect("/ws") as ws:` — an in-process WebSocket with
        `send_text/send_bytes/send_json/send(Struct)` and `receive_text/receive_bytes/
        receive_json/receive(Type)`; a refused handshake raises `WebSocketDenied`."""
        portal, runner = self.open_runner()
        request = self.build_request("GET", url, params=params, headers=headers, cookies=cookies)
        return WebSocketTestSession(
            portal, runner.websocket(request, denial_response, subprotocols or [])
        )

    def _close_portal(self, error: BaseException | None) -> None:
        portal_cm, self._portal_cm, self._portal = self._portal_cm, None, None
        self._runner_cm = None
        if portal_cm is not None:
            # The exception's own traceback: contextlib would otherwise reset it to the
            # one passed here, and the test would lose where the app raised.
            trace = error.__traceback__ if error else None
            portal_cm.__exit__(type(error) if error else None, error, trace)


# --- reading streamed responses ----------------------------------------------------


class _ReraisedStartupError(logging.Filter):
    """Drop the app's "Startup failed" record of the exception the client re-raises:
    the test would otherwise print the same traceback twice."""

    def __init__(self, app: object) -> None:
        super().__init__()
        self.app = app

    def filter(self, record: logging.LogRecord) -> bool:
        own = _startup_error(self.app)
        return own is None or record.exc_info is None or record.exc_info[1] is not own


def _startup_error(app: object) -> BaseException | None:
    """What failed a jero app's last startup (None for another ASGI app)."""
    state = getattr(app, "jero", None)
    return state.startup_error if isinstance(state, JeroState) else None
