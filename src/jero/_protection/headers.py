"""`SecurityHeaders`: the response headers that keep browsers from misusing an API.

The header block is built once at wiring; per response it is appended to what the
route sent, skipping any field the route set itself. `Strict-Transport-Security` goes
only on HTTPS answers (RFC 6797 has browsers ignore it over plain HTTP, and the scheme
is the client's one when `TrustedProxies` runs first).

JSON answers get a Content-Security-Policy that allows nothing (`default-src 'none'`):
an API response is never a page. HTML answers (the OpenAPI docs page) get a policy
derived from the page itself when it is sent: its script and stylesheet origins, and a
SHA-256 hash of each inline script, so the page runs and nothing injected into it does.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from .._asgi import ASGIApp, HeaderList, Message, Receive, Scope, Send
from .._errors import WiringError
from .._middleware.chain import RouteInfo, self_guarded

__all__ = ["HSTS", "SecurityHeaders"]

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
"""The Content-Security-Policy of non-HTML answers."""

_SCRIPT_SRC = re.compile(rb'<script[^>]*\ssrc="([^"]+)"', re.IGNORECASE)
_STYLE_HREF = re.compile(rb'<link[^>]*\shref="([^"]+)"', re.IGNORECASE)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.IGNORECASE | re.DOTALL)
_VALUE = re.compile(r"^[\t\x20-\x7e]*$")


@dataclasses.dataclass(frozen=True, slots=True)
class HSTS:
    """`Strict-Transport-Security`: browsers use HTTPS only, for `max_age` seconds."""

    max_age: int = 31_536_000
    include_subdomains: bool = True
    preload: bool = False

    def value(self) -> str:
        parts = [f"max-age={self.max_age}"]
        if self.include_subdomains:
            parts.append("includeSubDomains")
        if self.preload:
            parts.append("preload")
        return "; ".join(parts)


@self_guarded
class SecurityHeaders:
    """`Strict-Transport-Security` (on HTTPS), `X-Content-Type-Options: nosniff`,
    `Referrer-Policy`, and a Content-Security-Policy: `csp` for API answers (None: no
    policy), and for HTML pages `docs_csp`, or one derived from the page when None.
    `extra` adds fields of your own (name → value)."""

    def __init__(
        self,
        *,
        hsts: HSTS | None = HSTS(),
        referrer_policy: str | None = "no-referrer",
        content_type_options: bool = True,
        csp: str | None = API_POLICY,
        docs_csp: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        common: dict[str, str] = {}
        if content_type_options:
            common["x-content-type-options"] = "nosniff"
        if referrer_policy is not None:
            common["referrer-policy"] = referrer_policy
        for name, value in (extra or {}).items():
            common[name.lower()] = value
        for name, value in [*common.items(), ("csp", csp or ""), ("docs_csp", docs_csp or "")]:
            if not _VALUE.match(value):
                raise WiringError(f"SecurityHeaders: the {name} value {value!r} is not header text")
        if hsts is not None and (hsts.max_age < 0 or (hsts.preload and hsts.max_age < 31_536_000)):
            raise WiringError(
                "SecurityHeaders: HSTS max_age must be >= 0, and preload needs a year or more"
            )
        self.common = _block(common)
        self.hsts = None if hsts is None else (b"strict-transport-security", hsts.value().encode())
        self.csp = None if csp is None else csp.encode()
        self.docs_csp = None if docs_csp is None else docs_csp.encode()

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        types = route.media_types
        maybe_html = not types or any(m is None or m.startswith("text/html") for m in types)
        if maybe_html and self.docs_csp is None:
            return self._page(app)
        html = any(m is not None and m.startswith("text/html") for m in types)
        policy = self.docs_csp if html else self.csp
        plain = self.common + ([] if policy is None else [(b"content-security-policy", policy)])
        secure = [*plain, self.hsts] if self.hsts is not None else plain

        async def with_headers(scope: Scope, receive: Receive, send: Send) -> None:
            extra = secure if scope.get("scheme") == "https" else plain

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": _merged(message.get("headers", []), extra)}
                await send(message)

            await app(scope, receive, send_with_headers)

        return with_headers

    def _page(self, app: ASGIApp) -> ASGIApp:
        """A route whose answers may be HTML (the docs page; a media type chosen per
        response): an HTML answer's head waits for its body, which shows what the page
        loads; any other answer gets the API policy at once."""
        common, hsts, api = self.common, self.hsts, self.csp
        policies: dict[bytes, bytes] = {}

        async def with_page_policy(scope: Scope, receive: Receive, send: Send) -> None:
            held: list[Message] = []
            https = hsts is not None and scope.get("scheme") == "https"
            extra = [*common, hsts] if https and hsts is not None else common

            async def send_with_policy(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers: HeaderList = message.get("headers", [])
                    if _is_html(headers):
                        held.append(message)
                        return
                    fields = extra if api is None else [*extra, (b"content-security-policy", api)]
                    message = {**message, "headers": _merged(headers, fields)}
                elif held:  # the first message after a held head: usually the body
                    start = held.pop()
                    body: bytes = message.get("body", b"")
                    fields = list(extra)
                    whole = message["type"] == "http.response.body"
                    if whole and not message.get("more_body", False):
                        policy = policies.get(body)
                        if policy is None:
                            policy = page_policy(body)
                            if len(policies) < 64:
                                policies[body] = policy
                        fields.append((b"content-security-policy", policy))
                    await send({**start, "headers": _merged(start.get("headers", []), fields)})
                await send(message)

            await app(scope, receive, send_with_policy)

        return with_page_policy


def _is_html(headers: HeaderList) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.lower().startswith(b"text/html")
    return False


def page_policy(body: bytes) -> bytes:
    """A Content-Security-Policy that lets `body` (an HTML page) load what it names
    and run its own inline scripts, and nothing else."""
    scripts = {_source(url) for url in _SCRIPT_SRC.findall(body)}
    styles = {_source(url) for url in _STYLE_HREF.findall(body)}
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(code).digest()).decode() + "'"
        for code in _INLINE_SCRIPT.findall(body)
    }
    fonts = styles | {"data:"}
    directives = [
        "default-src 'none'",
        "script-src " + " ".join(sorted(scripts | hashes) or ["'none'"]),
        "style-src " + " ".join(sorted(styles | {"'unsafe-inline'"})),
        "img-src 'self' data: https:",
        "font-src " + " ".join(sorted(fonts)),
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives).encode()


def _source(url: bytes) -> str:
    """`https://cdn.example/x.js` → `https://cdn.example`; a relative URL → `'self'`."""
    text = url.decode("latin-1").replace("&amp;", "&")
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return "'self'"


def _block(fields: Mapping[str, str]) -> HeaderList:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in fields.items()]


def _merged(headers: HeaderList, extra: HeaderList) -> HeaderList:
    """`headers` plus each field of `extra` the route did not set itself."""
    present = {name.lower() for name, _ in headers}
    return [*headers, *(field for field in extra if field[0] not in present)]
