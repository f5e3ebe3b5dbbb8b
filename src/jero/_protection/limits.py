"""`RateLimit`: a quota per client, compiled into the routes it is wired on.

A `RateLimit` is a jero middleware: included app-wide (`_include_middleware`) or on a
mount (`middleware=[...]`), its `wrap` runs once per route at wiring, so a route without
a limit runs exactly as before. One instance is one policy and one quota per client
key, shared by every route it wraps and, through a shared `Store`, by every worker.

The algorithm is GCRA (the generic cell rate algorithm): a client may spend its whole
quota at once, after which one request comes back every `period / limit` seconds. It
needs one stored number per client, and its step is atomic in the store (one Lua script
on Redis), so two workers can never both let through the last request of a quota.

Answers carry the IETF RateLimit fields (`RateLimit-Policy: "name";q=100;w=60`,
`RateLimit: "name";r=42;t=17`); a refusal is a 429 `too-many-requests` problem with
`Retry-After`, raised so it goes through the app's error format, before anything of the
request is read and before the handler runs.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import math
import re
from collections.abc import Awaitable, Callable, Collection
from typing import Any, Literal, cast

import msgspec

from .._asgi import ASGIApp, Message, Receive, Scope, Send
from .._auth import inspect_auth
from .._errors import HTTPError, TooManyRequestsError, WiringError
from .._middleware.chain import RouteInfo
from .store import Admission, MemoryStore, Store

__all__ = ["RateLimit", "RateLimitedError", "client_address"]

logger = logging.getLogger("jero")

type KeyFunction = Callable[[Scope], str | Awaitable[str]]
"""`key(scope)` → the text a client's quota is counted under (sync or async)."""

_MAX_KEY = 128
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class RateLimitProblem(msgspec.Struct):
    policy: str
    retry_after: int


class RateLimitedError(
    TooManyRequestsError[RateLimitProblem],
    detail="Over the {policy} rate limit; retry in {retry_after} s",
):
    """429 `too-many-requests`, with `Retry-After` and the RateLimit fields."""


def client_address(scope: Scope) -> str:
    """The client's address as the server (or `TrustedProxies`) put it on the scope."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimit:
    """At most `limit` requests per `period` seconds for each client.

    - `key`: whom a quota belongs to: ``"client"`` (the client address, after
      `TrustedProxies` when one is wired before it), or a function of the scope, sync
      or async. `RateLimit.by_user(auth, identify)` builds one that keys by the
      authenticated user.
    - `store`: where quotas live; a `MemoryStore` of the limit's own by default (one
      process), a `RedisStore` to share them between workers.
    - `name`: the policy's name in the RateLimit fields and in the store's keys: two
      limits sharing a store and a name share their quotas.
    - `methods`: the HTTP methods it counts (None: every request of the routes it
      wraps, including the 404/405 answers of an app-wide limit).
    - `cost`: quota units one request spends.
    - `fail_open`: when the store cannot answer, let the request through (logged)
      instead of failing it with a 500.
    """

    def __init__(
        self,
        limit: int,
        period: float,
        *,
        key: Literal["client"] | KeyFunction = "client",
        store: Store | None = None,
        name: str = "default",
        methods: Collection[str] | None = None,
        cost: int = 1,
        fail_open: bool = False,
    ) -> None:
        where = f"RateLimit({limit!r}, {period!r})"
        if not _whole(limit) or limit < 1:
            raise WiringError(f"{where}: limit must be a whole number of requests, at least 1")
        if not _number(period) or period <= 0:
            raise WiringError(f"{where}: period must be a positive number of seconds")
        if not 1 <= cost <= limit:
            raise WiringError(f"{where}: cost={cost!r} must be between 1 and the limit")
        if not _NAME.match(name):
            raise WiringError(
                f"{where}: name={name!r} must be 1-64 letters, digits or `_.:-` (it names the "
                f"policy in the RateLimit header fields)"
            )
        if key != "client" and not callable(key):
            raise WiringError(f'{where}: key= takes "client" or a function of the scope')
        if store is not None and not isinstance(cast(object, store), Store):
            raise WiringError(f"{where}: store= takes a Store (MemoryStore, RedisStore)")
        self.limit = limit
        self.period = float(period)
        self.name = name
        self.cost = cost
        self.fail_open = fail_open
        self.store: Store = store if store is not None else MemoryStore()
        counted = None if methods is None else {m.upper() for m in methods}
        if counted is not None and "GET" in counted:
            counted.add("HEAD")  # a GET route answers HEAD: the same request, unread
        self.methods = None if counted is None else frozenset(counted)
        self._key: KeyFunction | None = None if key == "client" else key
        self._key_awaits = self._key is not None and _is_async(self._key)
        self._prefix = f"rl:{name}:"
        window = math.ceil(self.period)
        self.policy_header = f'"{name}";q={limit};w={window}'.encode()

    @staticmethod
    def by_user(auth: object, identify: Callable[[Any], str]) -> KeyFunction:
        """A key function: the user `auth` (an authenticator, as for `auth=`) returns,
        named by `identify(user)`. A request whose credentials are missing or refused is
        counted under its client address (so failed logins are limited too); the
        route's own authentication still answers it."""
        plan = inspect_auth(auth, "RateLimit.by_user")
        authenticate = plan.authenticate

        async def user_key(scope: Scope) -> str:
            try:
                user = await authenticate(scope)
            except HTTPError:
                user = None
            if user is None:
                return "client:" + client_address(scope)
            return "user:" + identify(user)

        return user_key

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        methods = self.methods
        if methods is not None and route.method is not None and route.method not in methods:
            return app
        store, prefix, limit, period, cost = (
            self.store,
            self._prefix,
            self.limit,
            self.period,
            self.cost,
        )
        key_function, key_awaits, name = self._key, self._key_awaits, self.name
        policy = (b"ratelimit-policy", self.policy_header)
        fail_open = self.fail_open

        async def limited(scope: Scope, receive: Receive, send: Send) -> None:
            if methods is not None and scope["method"] not in methods:
                await app(scope, receive, send)
                return
            if key_function is None:
                key = client_address(scope)
            else:
                if key_awaits:
                    key = await cast(Awaitable[str], key_function(scope))
                else:
                    key = cast(str, key_function(scope))
                if len(key) > _MAX_KEY:  # a client-chosen key costs bounded store space
                    key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
            try:
                admission = await store.admit(prefix + key, limit, period, cost)
            except Exception:
                if not fail_open:
                    raise
                logger.exception("RateLimit %s: the store failed; letting the request in", name)
                await app(scope, receive, send)
                return
            if not admission.allowed:
                raise _refusal(name, admission, policy[1])
            fields = (policy, (b"ratelimit", _current(name, admission)))

            async def send_with_fields(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", ()), *fields]}
                await send(message)

            await app(scope, receive, send_with_fields)

        return limited


def _current(name: str, admission: Admission) -> bytes:
    reset = math.ceil(admission.reset)
    return f'"{name}";r={admission.remaining};t={reset}'.encode()


def _refusal(name: str, admission: Admission, policy: bytes) -> RateLimitedError:
    """The 429: `Retry-After` is when one more request will be let in; the RateLimit
    field's `t` stays what it always is, the time until the whole quota is back."""
    wait = max(math.ceil(admission.retry_after), 1)
    headers = {
        "retry-after": str(wait),
        "ratelimit-policy": policy.decode(),
        "ratelimit": f'"{name}";r=0;t={max(math.ceil(admission.reset), wait)}',
    }
    return RateLimitedError(RateLimitProblem(name, wait), headers=headers)


def _is_async(function: Callable[..., Any]) -> bool:
    call = getattr(function, "__call__", None)  # noqa: B004
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(call)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
