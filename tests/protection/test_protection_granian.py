"""The proxy, host and limit layers behind a real server (granian, one worker): the
scope granian builds is rewritten from a trusted peer only."""

from __future__ import annotations

import httpx
import pytest

from tests.granian_server import granian

pytestmark = pytest.mark.server


def statuses(url: str, forwarded_for: str, count: int, **headers: str) -> list[int]:
    sent = {"x-forwarded-for": forwarded_for, **headers}
    return [httpx.get(f"{url}/limited", headers=sent).status_code for _ in range(count)]


def test_behind_a_trusted_proxy_each_client_has_its_own_quota() -> None:
    env = {"JERO_TEST_PROXIES": "127.0.0.1"}
    with granian("tests.protection.proxies_server_app:app", env) as server:
        first = statuses(server.url, "203.0.113.1", 3)
        # prepending made-up hops does not make a new client
        prepended = statuses(server.url, "10.9.9.9, 203.0.113.1", 1)
        second = statuses(server.url, "203.0.113.2", 1)
        secure = httpx.get(
            f"{server.url}/limited",
            headers={
                "x-forwarded-for": "203.0.113.3",
                "x-forwarded-proto": "https",
                "x-forwarded-host": "api.example.com",
            },
        )
        evil_host = httpx.get(
            f"{server.url}/limited",
            headers={"x-forwarded-for": "203.0.113.4", "x-forwarded-host": "evil.example"},
        )
    assert first == [200, 200, 429]
    assert prepended == [429]
    assert second == [200]
    assert secure.status_code == 200
    assert secure.headers["strict-transport-security"].startswith("max-age=")
    assert evil_host.status_code == 400
    assert evil_host.json()["type"] == "untrusted-host"


def test_an_untrusted_peer_cannot_buy_quotas_with_forwarding_headers() -> None:
    env = {"JERO_TEST_PROXIES": "10.0.0.1"}
    with granian("tests.protection.proxies_server_app:app", env) as server:
        answers = [
            httpx.get(
                f"{server.url}/limited",
                headers={
                    "x-forwarded-for": f"198.51.100.{n}",
                    "x-forwarded-proto": "https",
                },
            )
            for n in range(6)
        ]
    assert [a.status_code for a in answers] == [200, 200, 429, 429, 429, 429]
    assert "strict-transport-security" not in answers[0].headers
