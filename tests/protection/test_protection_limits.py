"""Rate limits in-process: the quota, the IETF RateLimit fields, the 429 problem, keys
by client, by user and by function, and that a route without a limit is untouched."""

from __future__ import annotations

from typing import Any

import pytest
from msgspec import Struct

from jero import (
    BaseApp,
    BearerAuth,
    Endpoint,
    MemoryStore,
    RateLimit,
    RouteInfo,
    TrustedProxies,
    WiringError,
)
from jero.testing import TestClient

HANDLED: list[str] = []


class User(Struct):
    name: str


class TokenAuth(BearerAuth[User]):
    async def resolve_token(self, token: str) -> User:
        return User(token)


class Limited(Endpoint, path="/limited"):
    async def get(self) -> str:
        HANDLED.append("get")
        return "ok"

    async def post(self) -> str:
        HANDLED.append("post")
        return "posted"


class Free(Endpoint, path="/free"):
    async def get(self) -> str:
        return "free"


class Mine(Endpoint, path="/mine"):
    async def get(self, user: User) -> str:
        HANDLED.append(user.name)
        return user.name


def client_for(limit: RateLimit, *, app_wide: bool = False, proxies: Any = None) -> TestClient:
    class App(BaseApp):
        async def _wire(self) -> None:
            if proxies is not None:
                self._include_middleware(proxies)
            if app_wide:
                self._include_middleware(limit)
                self._include_endpoint(Limited())
            else:
                self._include_endpoint(Limited(), middleware=[limit])
            self._include_endpoint(Free())
            self._include_endpoint(Mine(), auth=TokenAuth(), middleware=[limit])

    HANDLED.clear()
    return TestClient(App())


def test_the_quota_is_exact_and_the_fields_follow_it() -> None:
    with client_for(RateLimit(3, 60, name="api")) as client:
        answers = [client.get("/limited") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert HANDLED == ["get"] * 3
    assert answers[0].headers["ratelimit-policy"] == '"api";q=3;w=60'
    assert [a.headers["ratelimit"] for a in answers[:3]] == [
        '"api";r=2;t=20',
        '"api";r=1;t=40',
        '"api";r=0;t=60',
    ]
    refused = answers[3]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json() == {
        "type": "too-many-requests",
        "title": "Too many requests",
        "status": 429,
        "detail": "Over the api rate limit; retry in 20 s",
        "params": {"policy": "api", "retry_after": 20},
    }
    assert refused.headers["retry-after"] == "20"
    assert refused.headers["ratelimit"] == '"api";r=0;t=60'
    assert refused.headers["ratelimit-policy"] == '"api";q=3;w=60'


def test_a_route_without_a_limit_is_not_touched() -> None:
    limit = RateLimit(1, 60)
    with client_for(limit) as client:
        assert client.get("/limited").status_code == 200
        for _ in range(5):
            answer = client.get("/free")
            assert answer.status_code == 200
            assert "ratelimit" not in answer.headers


def test_wrap_returns_the_route_itself_for_methods_it_does_not_count() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None: ...

    limit = RateLimit(1, 60, methods=["POST"])
    route = RouteInfo(method="GET", path="/x", allow=frozenset({"GET", "POST"}))
    assert limit.wrap(app, route) is app
    assert limit.wrap(app, RouteInfo("POST", "/x", frozenset({"POST"}))) is not app


def test_methods_narrow_what_is_counted() -> None:
    with client_for(RateLimit(1, 60, methods=["POST"])) as client:
        assert [client.get("/limited").status_code for _ in range(3)] == [200] * 3
        assert [client.post("/limited").status_code for _ in range(2)] == [200, 429]


def test_one_limit_is_one_quota_across_its_routes() -> None:
    with client_for(RateLimit(2, 60)) as client:
        assert client.get("/limited").status_code == 200
        assert client.post("/limited").status_code == 200
        assert client.get("/limited").status_code == 429


def test_an_app_wide_limit_also_counts_unknown_paths() -> None:
    with client_for(RateLimit(2, 60), app_wide=True) as client:
        assert client.get("/nowhere").status_code == 404
        assert client.get("/limited").status_code == 200
        assert client.get("/nowhere").status_code == 429
        assert client.get("/free").status_code == 429


def test_key_by_user_gives_each_user_a_quota_and_anonymous_callers_the_address() -> None:
    limit = RateLimit(2, 60, key=RateLimit.by_user(TokenAuth(), lambda user: user.name))
    with client_for(limit) as client:
        ann = {"authorization": "Bearer ann"}
        bob = {"authorization": "Bearer bob"}
        assert [client.get("/mine", headers=ann).status_code for _ in range(3)] == [200, 200, 429]
        assert client.get("/mine", headers=bob).status_code == 200
        # no credentials: counted by address (its own quota), answered 401 by the route
        assert [client.get("/mine").status_code for _ in range(3)] == [401, 401, 429]
    assert HANDLED == ["ann", "ann", "bob"]


def test_a_key_function_sync_or_async() -> None:
    async def by_header(scope: Any) -> str:
        return dict(scope["headers"]).get(b"x-api-key", b"").decode()

    for key in (lambda scope: dict(scope["headers"]).get(b"x-api-key", b"").decode(), by_header):
        with client_for(RateLimit(1, 60, key=key)) as client:
            assert client.get("/limited", headers={"x-api-key": "a"}).status_code == 200
            assert client.get("/limited", headers={"x-api-key": "a"}).status_code == 429
            assert client.get("/limited", headers={"x-api-key": "b"}).status_code == 200


def test_header_games_from_an_untrusted_peer_do_not_buy_a_fresh_quota() -> None:
    """Forged forwarding headers, rotated per request, from a peer that is no proxy."""
    limit = RateLimit(2, 60)
    with client_for(limit, proxies=TrustedProxies(["10.0.0.1"])) as client:
        statuses = [
            client.get(
                "/limited",
                headers={
                    "x-forwarded-for": f"198.51.100.{n}",
                    "forwarded": f"for=198.51.100.{n}",
                    "x-real-ip": f"198.51.100.{n}",
                },
            ).status_code
            for n in range(20)
        ]
    assert statuses == [200, 200] + [429] * 18
    assert HANDLED == ["get", "get"]


def test_prepended_hops_behind_a_trusted_proxy_do_not_buy_a_fresh_quota() -> None:
    """The proxy appends the real peer; whatever the client wrote to its left is unread."""
    limit = RateLimit(2, 60)
    with client_for(limit, proxies=TrustedProxies(["127.0.0.1"])) as client:
        statuses = [
            client.get(
                "/limited", headers={"x-forwarded-for": f"10.9.9.{n}, 203.0.113.5"}
            ).status_code
            for n in range(10)
        ]
        other = client.get("/limited", headers={"x-forwarded-for": "203.0.113.6"})
    assert statuses == [200, 200] + [429] * 8
    assert other.status_code == 200


def test_a_flood_of_keys_keeps_memory_bounded() -> None:
    store = MemoryStore(max_entries=50)
    limit = RateLimit(1, 60, store=store, key=lambda scope: scope["query_string"].decode())
    with client_for(limit) as client:
        for n in range(500):
            assert client.get("/limited", params={"k": n}).status_code == 200
    assert len(store) <= 50


class FailingStore(MemoryStore):
    async def admit(self, key: str, limit: int, period: float, cost: int = 1) -> Any:
        raise ConnectionError("store down")


def test_a_failing_store_fails_closed_unless_told_otherwise(caplog: Any) -> None:
    with client_for(RateLimit(1, 60, store=FailingStore())) as client:
        answer = client.get("/limited")
    assert answer.status_code == 500
    assert answer.json()["type"] == "internal-server-error"
    assert HANDLED == []
    with client_for(RateLimit(1, 60, store=FailingStore(), fail_open=True)) as client:
        assert client.get("/limited").status_code == 200
    assert HANDLED == ["get"]
    assert "the store failed" in caplog.text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"limit": 0, "period": 1}, "limit must be"),
        ({"limit": 1, "period": 0}, "period must be"),
        ({"limit": 2, "period": 1, "cost": 3}, "cost=3"),
        ({"limit": 1, "period": 1, "name": 'a"b'}, "name="),
        ({"limit": 1, "period": 1, "key": "address"}, "key="),
        ({"limit": 1, "period": 1, "store": object()}, "store="),
    ],
)
def test_bad_declarations_are_wiring_errors(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(WiringError, match=message):
        RateLimit(**arguments)


class StrictAuth(BearerAuth[User]):
    async def resolve_token(self, token: str) -> User:
        from jero import AuthenticationRequiredError

        if token not in ("ann", "bob"):
            raise AuthenticationRequiredError()
        return User(token)


def test_a_flood_of_made_up_tokens_shares_the_address_quota() -> None:
    limit = RateLimit(3, 60, key=RateLimit.by_user(StrictAuth(), lambda user: user.name))

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Mine(), auth=StrictAuth(), middleware=[limit])

    with TestClient(App()) as client:
        statuses = [
            client.get("/mine", headers={"authorization": f"Bearer forged{n}"}).status_code
            for n in range(10)
        ]
        real = client.get("/mine", headers={"authorization": "Bearer ann"})
    assert statuses == [401, 401, 401] + [429] * 7
    assert real.status_code == 200  # a real user is not locked out by the flood


def test_head_and_get_share_the_quota() -> None:
    with client_for(RateLimit(2, 60)) as client:
        assert client.head("/limited").status_code == 200
        assert client.get("/limited").status_code == 200
        assert client.head("/limited").status_code == 429
        assert client.get("/limited").status_code == 429


class KeyRecorder(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.keys: list[str] = []

    async def admit(self, key: str, limit: int, period: float, cost: int = 1) -> Any:
        self.keys.append(key)
        return await super().admit(key, limit, period, cost)


def test_a_huge_client_chosen_key_costs_bounded_store_space() -> None:
    store = KeyRecorder()
    limit = RateLimit(1, 60, store=store, key=lambda scope: dict(scope["headers"])[b"x-k"].decode())
    with client_for(limit) as client:
        huge = "k" * 8000
        assert client.get("/limited", headers={"x-k": huge}).status_code == 200
        assert client.get("/limited", headers={"x-k": huge}).status_code == 429
        assert client.get("/limited", headers={"x-k": "short"}).status_code == 200
    assert [len(key) for key in store.keys] == [len("rl:default:sha256:") + 64] * 2 + [16]
