"""`Sessions`: server-side sessions on a `Store`, for browser clients.

The cookie carries only a signed random id (see `signing`); the data stays on the
server, encoded with the app's Struct, under `session:<id>` with the session's lifetime
as its expiry. A request's session is loaded before its route runs and saved when the
response starts, and only when it changed: a visitor whose session is never written
gets no cookie and costs no store write.

A cookie that is not one this app minted (forged, cut, oversized) is refused with a
400 problem that also deletes it, before the route runs; a well-signed id the store no
longer has is an expired session: the request starts a new one.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, cast

import msgspec

from .._asgi import ASGIApp, HeaderList, Message, Receive, Scope, Send
from .._binding.cookies import request_cookies
from .._errors import MalformedRequestError, WiringError
from .._middleware.chain import RouteInfo
from .._rendering.cookies import SetCookie
from .._types import is_struct_type
from .session_source import SESSION, Session
from .signing import TOKEN_LENGTH, Signer
from .store import MemoryStore, Store

__all__ = ["InvalidSessionError", "Sessions"]

logger = logging.getLogger("jero")

_SET_COOKIE = b"set-cookie"


class InvalidSessionError(
    MalformedRequestError, type="invalid-session", title="Invalid session cookie"
):
    """400 `invalid-session`: a session cookie this app did not issue; the answer deletes it."""


class Sessions[S: msgspec.Struct]:
    """Server-side sessions whose data is `data` (a Struct whose fields all have
    defaults), bound to handlers as `session: Session[S]`.

    - `secret`: at least 32 bytes; it signs the session ids (rotate it to log everyone
      out).
    - `store`: where sessions live (`RedisStore` to share them between workers; a
      `MemoryStore` of its own by default).
    - `max_age`: seconds a session lives after it was last saved (the store's expiry
      and the cookie's `Max-Age`).
    - `cookie`, `secure`, `same_site`, `domain`, `path`: the cookie (`HttpOnly` always;
      `Secure` and `SameSite=Lax` by default).
    """

    def __init__(
        self,
        data: type[S],
        *,
        secret: str | bytes,
        store: Store | None = None,
        max_age: int = 14 * 24 * 3600,
        cookie: str = "session",
        secure: bool = True,
        same_site: Literal["lax", "strict", "none"] = "lax",
        domain: str | None = None,
        path: str = "/",
    ) -> None:
        where = f"Sessions({getattr(data, '__qualname__', data)!r})"
        if not is_struct_type(data):
            raise WiringError(f"{where}: the session data must be a msgspec Struct")
        try:
            data()
        except TypeError:
            raise WiringError(
                f"{where}: every field of {data.__qualname__} needs a default, so that a new "
                f"session can start as {data.__qualname__}()"
            ) from None
        if max_age < 1:
            raise WiringError(f"{where}: max_age must be at least 1 second")
        self.data = data
        self.store: Store = store if store is not None else MemoryStore()
        self.max_age = max_age
        self.cookie = cookie
        self._signer = Signer(secret, "jero.session", where=where)
        options: dict[str, Any] = {
            "path": path,
            "domain": domain,
            "secure": secure,
            "http_only": True,
            "same_site": same_site,
        }
        self._options = options
        self._expire = SetCookie.expire(cookie, path=path, domain=domain).header()
        self._decode = msgspec.json.Decoder(data).decode
        self._encode = msgspec.json.Encoder().encode
        self._empty = self._encode(data())

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        load, commit = self._load, self._commit

        async def with_session(scope: Scope, receive: Receive, send: Send) -> None:
            session, stale, token = await load(scope)
            scope[SESSION] = session

            async def send_saving(message: Message) -> None:
                if message["type"] == "http.response.start":
                    cookies = await commit(session, stale, token)
                    if cookies:
                        message = {**message, "headers": [*message.get("headers", ()), *cookies]}
                await send(message)

            await app(scope, receive, send_saving)

        return with_session

    async def _load(self, scope: Scope) -> tuple[Session[S], bool, str | None]:
        """The request's session, whether it came with a cookie the store forgot, and
        the cookie's token."""
        token = _cookie(scope["headers"], self.cookie)
        if token is None:
            return Session(self.data(), None, None), False, None
        session_id = self._signer.check(token)
        if session_id is None:
            error = InvalidSessionError()
            raise error.with_headers({"set-cookie": self._expire[1].decode("latin-1")})
        stored = await self.store.get("session:" + session_id)
        if stored is None:
            return Session(self.data(), None, None), True, None
        try:
            data = self._decode(stored)
        except msgspec.DecodeError:
            logger.warning(
                "Session %s… no longer decodes as %s; starting anew",
                session_id[:8],
                self.data.__qualname__,
            )
            return Session(self.data(), None, None), True, None
        return Session(data, session_id, stored), False, token

    async def _commit(self, session: Session[S], stale: bool, token: str | None) -> HeaderList:
        """Save what changed; the `Set-Cookie` fields the response must carry."""
        store, old = self.store, session.id
        if session.ended:
            if old is not None:
                await store.delete("session:" + old)
            return [self._expire] if old is not None or stale else []
        encoded = self._encode(session.data)
        baseline = self._empty if session.loaded is None else session.loaded
        if not session.rotated and encoded == baseline:
            return [self._expire] if stale else []
        if session.rotated or old is None or token is None:
            token = self._signer.mint()
            if old is not None:
                await store.delete("session:" + old)
        new_id = token[:43]
        await store.set("session:" + new_id, encoded, ttl=self.max_age)
        session.id = new_id
        # Sent again on every save, so the cookie's Max-Age follows the store's expiry.
        cookie = SetCookie(self.cookie, token, max_age=self.max_age, **self._options)
        return [cookie.header()]

    def data_type(self) -> type[msgspec.Struct]:
        return cast(type[msgspec.Struct], self.data)


def _cookie(headers: HeaderList, name: str) -> str | None:
    """The first cookie called `name`, None when absent or empty. An oversized one is
    cut one character past a token's length: the signature check refuses it on length
    alone, and nothing larger is ever copied around."""
    for key, value in request_cookies(headers):
        if key == name:
            if not value:
                return None  # `session=` is what some clients keep of a deleted cookie
            return value if len(value) <= TOKEN_LENGTH else value[: TOKEN_LENGTH + 1]
    return None
