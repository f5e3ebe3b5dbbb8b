"""`RequestId`: one id per request, on the response, on every log record made while the
request runs, and one structured access-log line when it ends.

The id lives in a context variable for the duration of the request (tasks the request
starts, such as a stream's pump, inherit it). A log-record factory, installed once,
copies it onto every `LogRecord` as `record.request_id` (None outside a request), so a
formatter can print ``%(request_id)s`` for jero's records and the app's own alike.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from threading import get_ident
from typing import Any

from .._asgi import ASGIApp, Message, Receive, Scope, Send
from .._errors import WiringError
from .chain import RouteInfo, self_guarded

__all__ = ["RequestId", "current_request_id"]

access_logger = logging.getLogger("jero.access")

_current: ContextVar[str | None] = ContextVar("jero_request_id", default=None)
# What a client may send as its id: short, and nothing that could forge a log line.
_VALID = re.compile(rb"^[A-Za-z0-9._:/+=@-]{1,128}$")
_installed = False


def current_request_id() -> str | None:
    """The id of the request being handled, or None outside one (or without `RequestId`)."""
    return _current.get()


def _install_record_factory() -> None:
    """Make every log record carry `request_id`; once per process, chaining the factory
    that was there."""
    global _installed  # noqa: PLW0603 (one process-wide hook)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _current.get()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


_POOL_SIZE = 4096


class _Pool:
    """Random bytes from the OS for one thread's ids, and how many are used. The system
    call, not the bytes, is what costs, so one call of 4 KiB serves 256 request ids."""

    __slots__ = ("at", "data")

    def __init__(self) -> None:
        self.data = os.urandom(_POOL_SIZE)
        self.at = 0


_pools: dict[int, _Pool] = {}
"""Each thread draws from its own pool: no two threads ever take the same bytes."""


def _forget_pools() -> None:
    """A forked worker draws its own bytes: it must never repeat its parent's ids."""
    _pools.clear()


os.register_at_fork(after_in_child=_forget_pools)


def _new_id() -> str:
    """128 random bits as 32 hex digits (what uuid4().hex looks like, for less work)."""
    thread = get_ident()
    pool = _pools.get(thread)
    if pool is None or pool.at >= _POOL_SIZE:
        pool = _pools[thread] = _Pool()
    at = pool.at
    pool.at = at + 16
    return pool.data[at : at + 16].hex()


@self_guarded
class RequestId:
    """Read the request's id from `header` (when `trust_incoming` and well formed: up to
    128 of ``A-Z a-z 0-9 . _ : / + = @ -``) or make one, send it back in the same header,
    and, with `access_log`, log one line per request on ``jero.access`` at INFO.

    The access record's message reads ``GET /widgets/{widget_id} 200 1.25ms`` (``(no
    route)`` in place of the template for a 404, so no raw path reaches the message); its
    attributes `http_method`, `route` (the path template, None for a 404), `url_path`,
    `status` (None when no response was sent), `duration_ms` and `request_id` are there
    for structured handlers.
    """

    def __init__(
        self,
        *,
        header: str = "X-Request-Id",
        trust_incoming: bool = True,
        access_log: bool = True,
        make_id: Callable[[], str] = _new_id,
    ) -> None:
        name = header.strip().lower()
        if not re.fullmatch(r"[a-z0-9-]+", name):
            raise WiringError(f"RequestId: header={header!r} is not a header name")
        self.header = name.encode()
        self.trust_incoming = trust_incoming
        self.access_log = access_log
        self.make_id = make_id

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        _install_record_factory()
        header, trust, make_id, log = (
            self.header,
            self.trust_incoming,
            self.make_id,
            self.access_log,
        )
        template = route.path

        async def run(scope: Scope, receive: Receive, send: Send) -> None:
            given = _find(scope, header) if trust else None
            request_id = given.decode() if given and _VALID.match(given) else make_id()
            token = _current.set(request_id)
            status: int | None = None
            # Decided as the request begins: a disabled access log costs no clock reads.
            logged = log and access_logger.isEnabledFor(logging.INFO)
            started = time.perf_counter() if logged else 0.0
            stamp = (header, request_id.encode("latin-1"))

            def send_stamped(message: Message) -> Awaitable[None]:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message = {**message, "headers": [*message["headers"], stamp]}
                return send(message)

            try:
                await app(scope, receive, send_stamped)
            finally:
                if logged:
                    _log_access(scope, template, status, time.perf_counter() - started)
                _current.reset(token)

        return run


def _find(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def _log_access(scope: Scope, template: str | None, status: int | None, seconds: float) -> None:
    method: str = scope["method"]
    path: str = scope["path"]
    duration_ms = round(seconds * 1000, 3)
    access_logger.info(
        "%s %s %s %.2fms",
        method,
        template or "(no route)",
        status if status is not None else "-",
        duration_ms,
        extra={
            "http_method": method,
            "route": template,
            "url_path": path,
            "status": status,
            "duration_ms": duration_ms,
        },
    )
