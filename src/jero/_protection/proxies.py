"""`TrustedProxies`: who is really calling, when a reverse proxy stands in front.

Behind a proxy the peer of every connection is the proxy; the client's address, the
scheme and the `Host` it used travel in `Forwarded` (RFC 7239) or in the de-facto
`X-Forwarded-For` / `-Proto` / `-Host`. Anyone can send those headers, so they are
believed only from a configured proxy address, and only the one family the proxy
writes (a proxy that appends `X-Forwarded-For` passes a client's forged `Forwarded`
through untouched).

The list of hops is read from the right, the nearest one first: each hop that is one
of the trusted proxies is skipped, and the first that is not is the client (what a
client prepends itself lies to the left of that, and is never reached). The scope's
`client`, `scheme` and `host` header are then rewritten in place, before the routes it
wraps run, so rate limits, logs, links and cookies all see the client's values.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from typing import Literal

from .._asgi import ASGIApp, HeaderList, Receive, Scope, Send
from .._errors import WiringError
from .._middleware.chain import RouteInfo, self_guarded

__all__ = ["TrustedProxies"]

type Network = ipaddress.IPv4Network | ipaddress.IPv6Network
type Hop = tuple[str, str | None, str | None]
"""(node, proto, host) of one hop, as the proxy that received it saw it."""

_HOST = re.compile(r"^(?:[A-Za-z0-9.\-_~]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
_PROTOS = frozenset({"http", "https"})


@self_guarded
class TrustedProxies:
    """Honour forwarding headers from `proxies` (addresses or networks, such as
    ``"10.0.0.0/8"`` or ``"127.0.0.1"``; ``"unix"`` for a proxy on a Unix socket, whose
    connections have no client address) and nobody else.

    `headers` names what the proxy writes: ``"x-forwarded"`` (`X-Forwarded-For`, `-Proto`,
    `-Host`: nginx, most load balancers) or ``"forwarded"`` (RFC 7239). Wire it app-wide
    and first (`self._include_middleware(TrustedProxies([...]), ...)`) so every other
    layer sees the rewritten scope.
    """

    def __init__(
        self,
        proxies: Sequence[str],
        *,
        headers: Literal["x-forwarded", "forwarded"] = "x-forwarded",
    ) -> None:
        if isinstance(proxies, str):
            proxies = (proxies,)
        if not proxies:
            raise WiringError("TrustedProxies: list the proxies' addresses or networks")
        networks: list[Network] = []
        self.unix = False
        for entry in proxies:
            if entry.strip().lower() == "unix":
                self.unix = True
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise WiringError(
                    f"TrustedProxies: {entry!r} is not an IP address or network "
                    f"(e.g. '10.0.0.0/8', '192.0.2.7', '::1'), or 'unix' for a Unix socket"
                ) from None
        if headers not in ("x-forwarded", "forwarded"):
            raise WiringError('TrustedProxies: headers= is "x-forwarded" or "forwarded"')
        self.networks = tuple(networks)
        self.headers = headers

    def trusts(self, address: str) -> bool:
        """Whether `address` is one of the proxies (a name or malformed text is not)."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        trusts, unix = self.trusts, self.unix
        hops_of = _forwarded_hops if self.headers == "forwarded" else _x_forwarded_hops

        async def behind_proxy(scope: Scope, receive: Receive, send: Send) -> None:
            client = scope.get("client")
            if trusts(str(client[0])) if client else unix:
                hops = hops_of(scope["headers"])
                if hops:
                    _apply(scope, _client_hop(hops, trusts))
            await app(scope, receive, send)

        return behind_proxy


def _client_hop(hops: list[Hop], trusts: Callable[[str], bool]) -> Hop:
    for index in range(len(hops) - 1, 0, -1):
        if not trusts(hops[index][0]):
            return hops[index]
    return hops[0]


def _apply(scope: Scope, hop: Hop) -> None:
    node, proto, host = hop
    if node:
        scope["client"] = (node, 0)
    if proto is not None:
        proto = proto.lower()
        if proto in _PROTOS:
            scope["scheme"] = proto
    if host is not None and _HOST.match(host):
        headers: HeaderList = [(k, v) for k, v in scope["headers"] if k != b"host"]
        headers.append((b"host", host.encode("latin-1")))
        scope["headers"] = headers


# --- X-Forwarded-* -------------------------------------------------------------------


def _values(headers: HeaderList, name: bytes) -> list[str]:
    """Every comma-separated entry of every `name` field, in order."""
    entries: list[str] = []
    for key, value in headers:
        if key == name:
            entries.extend(part.strip() for part in value.decode("latin-1").split(","))
    return entries


def _x_forwarded_hops(headers: HeaderList) -> list[Hop]:
    nodes = _values(headers, b"x-forwarded-for")
    if not nodes:
        return []
    protos = _values(headers, b"x-forwarded-proto")
    hosts = _values(headers, b"x-forwarded-host")
    hops: list[Hop] = []
    for index, node in enumerate(nodes):
        hops.append(
            (_node_address(node), _aligned(protos, nodes, index), _aligned(hosts, nodes, index))
        )
    return hops


def _aligned(values: list[str], nodes: list[str], index: int) -> str | None:
    """The entry of a proto/host list for hop `index`: the matching one when each proxy
    appended (the lists are as long as the hops), else the last one written."""
    if not values:
        return None
    return values[index] if len(values) == len(nodes) else values[-1]


# --- Forwarded (RFC 7239) --------------------------------------------------------------

_PAIR = re.compile(r'\s*([A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;,"\s]*)\s*')


def _forwarded_hops(headers: HeaderList) -> list[Hop]:
    hops: list[Hop] = []
    for key, value in headers:
        if key == b"forwarded":
            for element in _elements(value.decode("latin-1")):
                node = _node_address(element.get("for", ""))
                hops.append((node, element.get("proto"), element.get("host")))
    return hops


def _elements(text: str) -> list[dict[str, str]]:
    """The `forwarded-element`s of one field: `;`-separated pairs, `,` between elements;
    a malformed element reads as empty (a hop of nobody)."""
    elements: list[dict[str, str]] = []
    current: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = _PAIR.match(text, position)
        if match is None:
            current = {}
            comma = text.find(",", position)
            if comma < 0:
                break
            elements.append(current)
            current, position = {}, comma + 1
            continue
        name, raw = match.group(1).lower(), match.group(2)
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        current.setdefault(name, raw)
        position = match.end()
        if position < len(text) and text[position] == ";":
            position += 1
        elif position < len(text) and text[position] == ",":
            elements.append(current)
            current, position = {}, position + 1
        elif position < len(text):
            current = {}
            comma = text.find(",", position)
            if comma < 0:
                position = len(text)
            else:
                elements.append(current)
                current, position = {}, comma + 1
    elements.append(current)
    return elements


def _node_address(node: str) -> str:
    """The address part of a node: `[2001:db8::1]:80` → `2001:db8::1`, `192.0.2.1:80` →
    `192.0.2.1`; `unknown` and obfuscated names stay as they are."""
    node = node.strip().strip('"')
    if node.startswith("["):
        end = node.find("]")
        return node[1:end] if end > 0 else ""
    if node.count(":") == 1:
        return node.split(":", 1)[0]
    return node
