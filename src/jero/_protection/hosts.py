"""`TrustedHosts`: answer only for the host names this API is served under.

A request's `Host` decides the absolute URLs jero builds (links, redirects) and the
domain cookies are set for; a forged one can poison caches and password-reset links.
The allow-list is compiled at wiring (exact names in a set, `*.example.com` suffixes in
a tuple), and a request for any other host, or for none, is a 400 problem before the
route runs. Wire it after `TrustedProxies`, which may rewrite `Host` from
`X-Forwarded-Host`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._asgi import ASGIApp, Receive, Scope, Send
from .._errors import MalformedRequestError, WiringError
from .._middleware.chain import RouteInfo

__all__ = ["TrustedHosts", "UntrustedHostError"]


class UntrustedHostError(MalformedRequestError, type="untrusted-host", title="Untrusted host"):
    """400 `untrusted-host`: the request's `Host` is not one this API answers for."""


class TrustedHosts:
    """Refuse requests whose `Host` (port aside, case-insensitive) is not listed.

    Entries are exact names (``"api.example.com"``, ``"127.0.0.1"``, ``"[::1]"``) or
    ``"*.example.com"``, which matches every subdomain of example.com (not example.com
    itself); ``"*"`` alone allows every host (and is then pointless).
    """

    def __init__(self, hosts: Sequence[str]) -> None:
        if isinstance(hosts, str):
            hosts = (hosts,)
        if not hosts:
            raise WiringError("TrustedHosts: list the host names the API is served under")
        exact: set[str] = set()
        suffixes: list[str] = []
        self.any = False
        for entry in hosts:
            name = entry.strip().lower()
            if name == "*":
                self.any = True
            elif name.startswith("*."):
                if "*" in name[2:] or len(name) < 3:
                    raise WiringError(f"TrustedHosts: {entry!r}: only a leading `*.` is allowed")
                suffixes.append(name[1:])
            elif not name or "*" in name or "/" in name or " " in name:
                raise WiringError(
                    f"TrustedHosts: {entry!r} is not a host name; write e.g. 'api.example.com' "
                    f"or '*.example.com' (no scheme, no path)"
                )
            else:
                exact.add(_without_port(name))
        self.exact = frozenset(exact)
        self.suffixes = tuple(suffixes)

    def allows(self, host: str) -> bool:
        if self.any:
            return True
        name = _without_port(host.strip().lower())
        return name in self.exact or (bool(name) and name.endswith(self.suffixes))

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        if self.any:
            return app
        allows = self.allows

        async def checked(scope: Scope, receive: Receive, send: Send) -> None:
            host = b""
            for key, value in scope["headers"]:
                if key == b"host":
                    host = value
                    break
            if not allows(host.decode("latin-1")):
                raise UntrustedHostError()
            await app(scope, receive, send)

        return checked


def _without_port(host: str) -> str:
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end > 0 else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
