"""Property tests of the parsers that read hostile input: forwarding headers, signed
tokens, host names. Whatever arrives, they answer without raising, and a token that was
not minted here is never accepted."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jero import RouteInfo, TrustedHosts, TrustedProxies
from jero._protection.signing import Signer

SANE_HOST = re.compile(r"^(?:[A-Za-z0-9.\-_~]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
LATIN1 = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=300)
ROUTE = RouteInfo(method="GET", path="/x", allow=frozenset({"GET"}))


def seen_scope(proxies: TrustedProxies, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)

    scope = {"type": "http", "client": ("127.0.0.1", 1), "scheme": "http", "headers": headers}
    asyncio.run(proxies.wrap(app, ROUTE)(scope, None, None))  # type: ignore[arg-type]
    return seen


@settings(max_examples=300, deadline=None)
@given(forwarded=LATIN1, xff=LATIN1, proto=LATIN1, host=LATIN1)
def test_forwarding_headers_never_crash_and_only_set_sane_values(
    forwarded: str, xff: str, proto: str, host: str
) -> None:
    headers = [
        (b"forwarded", forwarded.encode("latin-1")),
        (b"x-forwarded-for", xff.encode("latin-1")),
        (b"x-forwarded-proto", proto.encode("latin-1")),
        (b"x-forwarded-host", host.encode("latin-1")),
        (b"host", b"api.example.com"),
    ]
    for family in ("forwarded", "x-forwarded"):
        scope = seen_scope(TrustedProxies(["127.0.0.1"], headers=family), list(headers))  # type: ignore[arg-type]
        assert scope["scheme"] in ("http", "https")
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        assert len(hosts) == 1
        assert SANE_HOST.match(hosts[0].decode("latin-1")), hosts
        client = scope["client"][0]
        assert "," not in client


@settings(max_examples=500, deadline=None)
@given(token=st.text(max_size=200))
def test_only_minted_tokens_pass_the_signature_check(token: str) -> None:
    signer = Signer("k" * 32, "test", where="test")
    assert signer.check(token) is None
    minted = signer.mint()
    assert signer.check(minted) == minted[:43]
    assert Signer("k" * 32, "other", where="test").check(minted) is None


@settings(max_examples=300, deadline=None)
@given(host=LATIN1)
def test_host_checks_never_crash(host: str) -> None:
    hosts = TrustedHosts(["api.example.com", "*.example.org"])
    allowed = hosts.allows(host)
    name = host.strip().lower()
    if allowed:
        assert name.split(":")[0] == "api.example.com" or name.split(":")[0].endswith(
            ".example.org"
        )
