"""Trusted proxies, trusted hosts and security headers, in-process. What the layers
behind them see is recorded by a small middleware; what the client sees is the answer."""

from __future__ import annotations

from typing import Any

import pytest
from msgspec import Struct

from jero import (
    HSTS,
    ASGIApp,
    BaseApp,
    Endpoint,
    JSONResponse,
    Middleware,
    RawHeaders,
    Receive,
    RouteInfo,
    Scope,
    SecurityHeaders,
    Send,
    TrustedHosts,
    TrustedProxies,
    WiringError,
)
from jero.testing import TestClient

SEEN: list[tuple[Any, str, str | None]] = []


class Seen:
    """Records (client, scheme, host) as the layers after the proxy layer see them."""

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        async def run(scope: Scope, receive: Receive, send: Send) -> None:
            host = dict(scope["headers"]).get(b"host")
            SEEN.append((scope["client"], scope["scheme"], host and host.decode()))
            await app(scope, receive, send)

        return run


class Thing(Struct):
    name: str


class Things(Endpoint, path="/things"):
    async def get(self) -> Thing:
        return Thing("gear")


class Own(Endpoint, path="/own"):
    async def get(self) -> JSONResponse[Thing]:
        return JSONResponse(Thing("x"), raw_headers=RawHeaders({"referrer-policy": "origin"}))


def client_for(*middleware: Middleware, openapi: bool = False) -> TestClient:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(*middleware)
            self._include_endpoint(Things())
            if openapi:
                self._include_openapi(title="t", version="1")

    SEEN.clear()
    return TestClient(App(), base_url="http://testserver")


# --- proxies --------------------------------------------------------------------------


def test_x_forwarded_from_a_trusted_proxy_sets_client_scheme_and_host() -> None:
    with client_for(TrustedProxies(["127.0.0.0/8"]), Seen()) as client:
        headers = {
            "x-forwarded-for": "203.0.113.9",
            "x-forwarded-proto": "https",
            "x-forwarded-host": "api.example.com",
        }
        assert client.get("/things", headers=headers).status_code == 200
    assert SEEN == [(("203.0.113.9", 0), "https", "api.example.com")]


def test_spoofed_headers_from_an_untrusted_peer_are_ignored() -> None:
    with client_for(TrustedProxies(["10.0.0.1"]), Seen()) as client:
        headers = {
            "x-forwarded-for": "203.0.113.9",
            "x-forwarded-proto": "https",
            "x-forwarded-host": "evil.example",
            "forwarded": "for=203.0.113.9;proto=https;host=evil.example",
        }
        client.get("/things", headers=headers)
    assert SEEN == [(("127.0.0.1", 50000), "http", "testserver")]


def test_the_rightmost_untrusted_hop_is_the_client() -> None:
    proxies = TrustedProxies(["127.0.0.1", "10.0.0.0/8"])
    with client_for(proxies, Seen()) as client:
        # the client wrote 1.1.1.1 itself; the edge proxy saw 198.51.100.7; 10.0.0.2 is ours
        client.get("/things", headers={"x-forwarded-for": "1.1.1.1, 198.51.100.7, 10.0.0.2"})
        # every hop is ours: the leftmost is the client
        client.get("/things", headers={"x-forwarded-for": "10.1.1.1, 10.0.0.2"})
    assert [seen[0][0] for seen in SEEN] == ["198.51.100.7", "10.1.1.1"]


def test_forwarded_is_read_only_when_declared_and_then_per_hop() -> None:
    header = 'for=1.1.1.1;proto=http, for="[2001:db8::7]:4711";proto=https;host=api.example.com'
    with client_for(TrustedProxies(["127.0.0.1"]), Seen()) as client:
        client.get("/things", headers={"forwarded": header})
    assert SEEN == [(("127.0.0.1", 50000), "http", "testserver")]  # x-forwarded declared
    with client_for(TrustedProxies(["127.0.0.1"], headers="forwarded"), Seen()) as client:
        client.get("/things", headers={"forwarded": header})
    assert SEEN == [(("2001:db8::7", 0), "https", "api.example.com")]


@pytest.mark.parametrize(
    "header",
    [
        'for="unterminated',
        "for=;;;,,,",
        "garbage without pairs",
        "for=192.0.2.1;proto=gopher;host=a b",
    ],
)
def test_malformed_forwarded_never_crashes_and_never_sets_nonsense(header: str) -> None:
    with client_for(TrustedProxies(["127.0.0.1"], headers="forwarded"), Seen()) as client:
        assert client.get("/things", headers={"forwarded": header}).status_code == 200
    (client_address, scheme, host) = SEEN[0]
    assert scheme == "http"
    assert host == "testserver"
    assert " " not in str(client_address[0])


def test_proxy_declarations_are_checked() -> None:
    with pytest.raises(WiringError, match="not an IP address"):
        TrustedProxies(["proxy.internal"])
    with pytest.raises(WiringError, match="list the proxies"):
        TrustedProxies([])
    with pytest.raises(WiringError, match="headers="):
        TrustedProxies(["10.0.0.1"], headers="x-real-ip")  # type: ignore[arg-type]


# --- hosts ------------------------------------------------------------------------------


def test_hosts_outside_the_allow_list_are_a_400_problem() -> None:
    hosts = TrustedHosts(["api.example.com", "*.example.org"])
    with client_for(hosts) as client:
        for host, status in [
            ("api.example.com", 200),
            ("API.example.com:8443", 200),
            ("eu.example.org", 200),
            ("example.org", 400),
            ("evil.example", 400),
            ("api.example.com.evil.example", 400),
            ("", 400),
        ]:
            answer = client.get("/things", headers={"host": host})
            assert answer.status_code == status, host
            if status == 400:
                assert answer.json() == {
                    "type": "untrusted-host",
                    "title": "Untrusted host",
                    "status": 400,
                }
        assert client.get("/nowhere", headers={"host": "evil.example"}).status_code == 400


def test_hosts_see_the_forwarded_host_of_a_trusted_proxy_only() -> None:
    layers = (TrustedProxies(["127.0.0.1"]), TrustedHosts(["api.example.com"]))
    with client_for(*layers) as client:
        forwarded = {"host": "internal:8000", "x-forwarded-for": "1.2.3.4"}
        forwarded["x-forwarded-host"] = "api.example.com"
        assert client.get("/things", headers=forwarded).status_code == 200
        forwarded["x-forwarded-host"] = "evil.example"
        assert client.get("/things", headers=forwarded).status_code == 400


def test_host_declarations_are_checked() -> None:
    for bad in (["https://api.example.com"], ["api.*.com"], [], ["a/b"]):
        with pytest.raises(WiringError):
            TrustedHosts(bad)


# --- security headers -------------------------------------------------------------------


def test_security_headers_on_api_answers_hsts_only_over_https() -> None:
    with client_for(SecurityHeaders()) as client:
        plain = client.get("/things")
        missing = client.get("/nowhere")
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert plain.headers["referrer-policy"] == "no-referrer"
    assert plain.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "strict-transport-security" not in plain.headers
    assert missing.headers["x-content-type-options"] == "nosniff"
    with client_for(TrustedProxies(["127.0.0.1"]), SecurityHeaders(hsts=HSTS(preload=True))) as c:
        secure = c.get(
            "/things", headers={"x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https"}
        )
    assert secure.headers["strict-transport-security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )


def test_a_field_the_route_sets_itself_wins() -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(SecurityHeaders())
            self._include_endpoint(Own())

    with TestClient(App()) as client:
        answer = client.get("/own")
    assert answer.headers.get_list("referrer-policy") == ["origin"]


def test_the_docs_page_gets_a_policy_that_lets_exactly_its_scripts_run() -> None:
    import base64
    import hashlib
    import re

    with client_for(SecurityHeaders(), openapi=True) as client:
        page = client.get("/docs")
        document = client.get("/openapi.json")
    policy = page.headers["content-security-policy"]
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["script-src"] == f"'sha256-{digest}' https://cdn.jsdelivr.net"
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'self'"
    assert "https://cdn.jsdelivr.net" in directives["style-src"]
    assert "unsafe-inline" not in directives["script-src"]
    assert document.headers["content-security-policy"].startswith("default-src 'none'")


def test_header_declarations_are_checked() -> None:
    with pytest.raises(WiringError, match="not header text"):
        SecurityHeaders(referrer_policy="no-referrer\r\nx-evil: 1")
    with pytest.raises(WiringError, match="preload"):
        SecurityHeaders(hsts=HSTS(max_age=60, preload=True))


def test_a_proxy_on_a_unix_socket_is_trusted_only_when_declared() -> None:
    async def run(proxies: TrustedProxies) -> Any:
        seen: dict[str, Any] = {}

        async def app(scope: Any, receive: Any, send: Any) -> None:
            seen.update(scope)

        scope = {
            "type": "http",
            "client": None,
            "scheme": "http",
            "headers": [(b"x-forwarded-for", b"203.0.113.7")],
        }
        route = RouteInfo(method="GET", path="/x", allow=frozenset({"GET"}))
        await proxies.wrap(app, route)(scope, None, None)  # type: ignore[arg-type]
        return seen["client"]

    import asyncio

    assert asyncio.run(run(TrustedProxies(["unix"]))) == ("203.0.113.7", 0)
    assert asyncio.run(run(TrustedProxies(["127.0.0.1"]))) is None
