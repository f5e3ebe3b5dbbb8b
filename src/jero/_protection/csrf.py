"""`CSRF`: cross-site request forgery protection for cookie-authenticated routes.

A browser attaches cookies to requests other sites make it send; a route that trusts a
cookie for who is calling must tell the user's own pages from those. Two independent
checks, both on every unsafe method (anything but GET, HEAD, OPTIONS, TRACE):

1. **Origin**: when the browser names the origin of the page that made the request
   (`Origin`; every current browser sends it on unsafe requests), it must be the API's
   own origin (scheme and host as the client used them, after `TrustedProxies`) or one
   listed in `trusted_origins`. `Sec-Fetch-Site: cross-site` is refused as well.
2. **Token** (signed double submit): safe requests get a `csrf_token` cookie, a signed
   random token that page scripts can read; an unsafe request must echo it in the
   `X-CSRF-Token` header. Another site can make the browser send the cookie, but can
   neither read it nor set a custom header without a CORS preflight this API refuses.

A refusal is a 403 `csrf-refused` problem before the route runs. Which routes need the
layer is checked at wiring (see `checks`): an unsafe route that authenticates with a
cookie or takes `session` and has no `CSRF` is a `WiringError`, unless it is wired with
`CSRF.exempt("why")`.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Literal

from msgspec import Struct

from .._asgi import ASGIApp, HeaderList, Message, Receive, Scope, Send
from .._binding.cookies import request_cookies
from .._errors import ForbiddenError, WiringError
from .._middleware.chain import RouteInfo
from .._rendering.cookies import SetCookie
from .signing import TOKEN_LENGTH, Signer

__all__ = ["CSRF", "CSRFExempt", "CSRFRefusedError"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CSRFProblem(Struct):
    reason: str


class CSRFRefusedError(
    ForbiddenError[CSRFProblem], type="csrf-refused", title="CSRF check failed", detail="{reason}"
):
    """403 `csrf-refused`: an unsafe request from another origin, or without the token."""


class CSRFExempt:
    """`CSRF.exempt(reason)`: an explicit, reviewed opt-out for a mount (it does nothing
    at request time; wiring accepts cookie-authenticated unsafe routes under it)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        if not reason.strip():
            raise WiringError("CSRF.exempt: say why the routes need no CSRF protection")
        self.reason = reason

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        return app


class CSRF:
    """Origin check plus signed double-submit token on unsafe methods.

    - `secret`: at least 32 bytes; signs the tokens.
    - `trusted_origins`: other origins whose pages may call the API
      (``"https://app.example.com"``), besides its own.
    - `cookie` / `header`: where the token travels (`csrf_token` / `X-CSRF-Token`).
    - `secure`, `same_site`, `domain`, `path`: the token cookie (readable by scripts:
      it is not a credential, only proof the page could read it).
    """

    def __init__(
        self,
        *,
        secret: str | bytes,
        trusted_origins: Sequence[str] = (),
        cookie: str = "csrf_token",
        header: str = "x-csrf-token",
        secure: bool = True,
        same_site: Literal["lax", "strict", "none"] = "strict",
        domain: str | None = None,
        path: str = "/",
    ) -> None:
        if isinstance(trusted_origins, str):
            trusted_origins = (trusted_origins,)
        for origin in trusted_origins:
            if "://" not in origin or origin.count("/") != 2 or origin.endswith("/"):
                raise WiringError(
                    f"CSRF: trusted origin {origin!r} is not an origin; write "
                    f"scheme://host[:port] with no path, e.g. 'https://app.example.com'"
                )
        if same_site not in ("lax", "strict", "none"):
            raise WiringError('CSRF: same_site is "lax", "strict" or "none"')
        self._signer = Signer(secret, "jero.csrf", where="CSRF")
        self.trusted = frozenset(o.lower() for o in trusted_origins)
        self.cookie = cookie
        self.header = header.lower().encode("latin-1")
        self._secure = secure
        self._same_site: Literal["lax", "strict", "none"] = same_site
        self._domain = domain
        self._path = path

    @staticmethod
    def exempt(reason: str) -> CSRFExempt:
        """An explicit opt-out for a mount's cookie-authenticated unsafe routes."""
        return CSRFExempt(reason)

    def token(self) -> SetCookie:
        """A fresh token cookie (a login answer may hand one out with the session)."""
        return SetCookie(
            self.cookie,
            self._signer.mint(),
            secure=self._secure,
            http_only=False,
            same_site=self._same_site,
            domain=self._domain,
            path=self._path,
        )

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        if route.method is None:
            return app  # 404, 405 and OPTIONS answers act on nothing
        if route.method in SAFE_METHODS:
            return self._issuing(app)
        return self._checking(app)

    # --- safe requests: hand out a token --------------------------------------------------

    def _valid_cookie(self, headers: HeaderList) -> str | None:
        for name, value in request_cookies(headers):
            if name == self.cookie:
                if len(value) == TOKEN_LENGTH and self._signer.check(value) is not None:
                    return value
                return None
        return None

    def _issuing(self, app: ASGIApp) -> ASGIApp:
        valid, token = self._valid_cookie, self.token

        async def issuing(scope: Scope, receive: Receive, send: Send) -> None:
            if valid(scope["headers"]) is not None:
                await app(scope, receive, send)
                return
            field = token().header()

            async def send_token(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", ()), field]}
                await send(message)

            await app(scope, receive, send_token)

        return issuing

    # --- unsafe requests: check origin and token ------------------------------------------

    def _checking(self, app: ASGIApp) -> ASGIApp:
        refusal = self._refusal

        async def checking(scope: Scope, receive: Receive, send: Send) -> None:
            reason = refusal(scope)
            if reason is not None:
                raise CSRFRefusedError(CSRFProblem(reason))
            await app(scope, receive, send)

        return checking

    def _refusal(self, scope: Scope) -> str | None:
        headers: HeaderList = scope["headers"]
        origin = sent = host = fetch_site = None
        for name, value in headers:
            if name == b"origin":
                origin = value.decode("latin-1").lower()
            elif name == self.header:
                sent = value.decode("latin-1")
            elif name == b"host":
                host = value.decode("latin-1").lower()
            elif name == b"sec-fetch-site":
                fetch_site = value.decode("latin-1").lower()
        if origin is not None:
            own = f"{scope.get('scheme', 'http')}://{host}"
            if origin != own and origin not in self.trusted:
                return "the request comes from another origin"
        elif fetch_site == "cross-site":
            return "the request comes from another site"
        cookie = self._valid_cookie(headers)
        if cookie is None:
            return "the CSRF token cookie is missing or invalid"
        if sent is None or not hmac.compare_digest(sent.encode("latin-1"), cookie.encode()):
            return f"the {self.header.decode()} header does not match the CSRF token cookie"
        return None
