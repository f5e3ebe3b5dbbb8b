"""A minimal in-process ASGI driver: lifespan, prebuilt http scopes, checked calls.

No socket and no HTTP parsing: an app is called exactly as a server would call it,
``await app(scope, receive, send)``, with a receive that yields the request body once
and a send that records the status and body. Used by ``inproc.py``; kept tiny so the
driver's own cost (the harness floor) stays small and identical for every app.
"""

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.scenarios import Scenario

type Message = dict[str, Any]
type ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]

_ASGI = {"version": "3.0", "spec_version": "2.4"}
_CLIENT = ("127.0.0.1", 50123)
_SERVER = ("127.0.0.1", 8000)
_DISCONNECT: Message = {"type": "http.disconnect"}


class BenchmarkError(Exception):
    """An app answered wrongly or failed to start: the run is not trustworthy."""


class TimeLimitExceeded(BaseException):
    """Raised by ``time_limit`` (a BaseException so an app cannot swallow it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block with ``TimeLimitExceeded`` after ``seconds`` (main thread)."""

    def on_alarm(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(f"gave up after {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def request_scope(
    method: str, path: str, headers: list[tuple[bytes, bytes]], query: bytes = b""
) -> dict[str, Any]:
    """The http scope a server would build for a request (without lifespan ``state``)."""
    return {
        "type": "http",
        "asgi": _ASGI,
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": headers,
        "client": _CLIENT,
        "server": _SERVER,
    }


def http_scope(scenario: Scenario) -> dict[str, Any]:
    """The http scope a server would build for this scenario's request."""
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"jero-bench"), (b"accept", b"*/*")]
    if scenario.body:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(scenario.body)).encode()),
        ]
    headers += [(name.lower().encode(), value.encode()) for name, value in scenario.headers]
    return request_scope(scenario.method, scenario.path, headers, scenario.query.encode())


class Receive:
    """Yields the whole body in one ``http.request`` message, then ``http.disconnect``."""

    __slots__ = ("_body", "_sent")

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._sent = False

    async def __call__(self) -> Message:
        if self._sent:
            return _DISCONNECT
        self._sent = True
        return {"type": "http.request", "body": self._body, "more_body": False}


class Recorder:
    """The ``send`` callable: keeps the status and the body chunks."""

    __slots__ = ("body", "status")

    def __init__(self) -> None:
        self.status = 0
        self.body = b""

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
        elif kind == "http.response.body":
            self.body += message.get("body", b"")


async def call(app: ASGIApp, scope: dict[str, Any], state: dict[str, Any], body: bytes) -> Recorder:
    """One request. The scope is copied because frameworks annotate it."""
    request_scope = scope.copy()
    request_scope["state"] = state.copy()
    recorder = Recorder()
    await app(request_scope, Receive(body), recorder)
    return recorder


def fail(app_name: str, scenario: Scenario, recorder: Recorder, why: str) -> BenchmarkError:
    body = recorder.body.decode("utf-8", "replace")
    print(f"!! {app_name} / {scenario.name}: {why}: status {recorder.status}, body: {body}")
    return BenchmarkError(f"{app_name} / {scenario.name}: {why} (status {recorder.status})")


class Lifespan:
    """Drives an app's lifespan protocol: ``startup()`` once, ``shutdown()`` at the end."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def _exchange(self, message: Message, timeout: float) -> Message:
        assert self._task is not None
        await self._to_app.put(message)
        reply = asyncio.ensure_future(self._from_app.get())
        done, _ = await asyncio.wait(
            {reply, self._task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if reply in done:
            return reply.result()
        reply.cancel()
        if self._task in done:
            error = self._task.exception()
            if isinstance(error, TimeLimitExceeded):
                raise error
            raise BenchmarkError(f"lifespan ended during {message['type']}: {error!r}")
        raise BenchmarkError(f"no answer to {message['type']} within {timeout:g}s")

    async def startup(self, timeout: float = 120.0) -> None:
        scope = {"type": "lifespan", "asgi": _ASGI, "state": self.state}
        self._task = asyncio.create_task(self.app(scope, self._to_app.get, self._from_app.put))
        reply = await self._exchange({"type": "lifespan.startup"}, timeout)
        if reply["type"] != "lifespan.startup.complete":
            raise BenchmarkError(f"startup failed: {reply.get('message', reply)}")

    async def shutdown(self, timeout: float = 30.0) -> None:
        if self._task is None:
            return
        try:
            if not self._task.done():
                await self._exchange({"type": "lifespan.shutdown"}, timeout)
        finally:
            if not self._task.done():
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
