"""The stores against a real Redis: the contract both keep, atomic under concurrency,
and the exact quota two granian workers share through one Redis."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import msgspec
import pytest

from jero import (
    CSRF,
    BaseApp,
    Endpoint,
    MemoryStore,
    RateLimit,
    RedisStore,
    Session,
    Sessions,
    Store,
)
from jero.testing import TestClient
from tests.granian_server import granian
from tests.protection.limits_server_app import LIMIT
from tests.redis_server import RedisServer

pytestmark = pytest.mark.server


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, redis: RedisServer) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    async with RedisStore.from_url(redis.url, prefix="t:") as made:
        yield made


@pytest.mark.anyio
async def test_get_set_delete_and_expiry(store: Store) -> None:
    assert await store.get("a") is None
    await store.set("a", b"1")
    await store.set("b", b"2", ttl=0.05)
    assert await store.get("a") == b"1"
    assert await store.get("b") == b"2"
    await asyncio.sleep(0.15)
    assert await store.get("b") is None
    await store.delete("a")
    await store.delete("a")
    assert await store.get("a") is None


@pytest.mark.anyio
async def test_increment_is_atomic_and_expires_from_creation(store: Store) -> None:
    counts = await asyncio.gather(*(store.increment("n", ttl=30) for _ in range(200)))
    assert sorted(counts) == list(range(1, 201))
    assert await store.increment("n", 5) == 205
    assert await store.increment("short", ttl=0.05) == 1
    await asyncio.sleep(0.15)
    assert await store.increment("short", ttl=0.05) == 1


@pytest.mark.anyio
async def test_admit_lets_exactly_the_limit_through_concurrently(store: Store) -> None:
    admissions = await asyncio.gather(*(store.admit("k", 25, 3600) for _ in range(100)))
    allowed = [a for a in admissions if a.allowed]
    assert len(allowed) == 25
    assert sorted(a.remaining for a in allowed) == list(range(25))
    refused = [a for a in admissions if not a.allowed]
    assert all(a.remaining == 0 and 0 < a.retry_after <= 144 for a in refused)


@pytest.mark.anyio
async def test_admit_gives_back_one_request_per_interval(store: Store) -> None:
    assert (await store.admit("g", 2, 0.2)).allowed
    assert (await store.admit("g", 2, 0.2)).allowed
    refused = await store.admit("g", 2, 0.2)
    assert not refused.allowed
    await asyncio.sleep(refused.retry_after + 0.02)
    assert (await store.admit("g", 2, 0.2)).allowed
    assert not (await store.admit("g", 2, 0.2)).allowed


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_two_workers_sharing_one_redis_let_through_exactly_the_limit(
    redis: RedisServer,
) -> None:
    """60 requests, 12 at a time on fresh connections, spread over two granian workers:
    exactly LIMIT are answered 200, every other one 429, and both workers answered."""
    env = {"JERO_TEST_REDIS_URL": redis.url}
    with granian("tests.protection.limits_server_app:app", env, workers=2) as server:

        def one(_: int) -> tuple[int, str]:
            with httpx.Client(timeout=10) as client:  # a connection of its own
                answer = client.get(f"{server.url}/limited")
                return answer.status_code, answer.headers["x-worker"]

        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(one, range(60)))
    statuses = collections.Counter(status for status, _ in results)
    workers = {worker for _, worker in results}
    print(f"two workers, one Redis: {dict(statuses)} from {len(workers)} workers")
    assert statuses == {200: LIMIT, 429: 60 - LIMIT}
    assert len(workers) == 2


class Cart(msgspec.Struct):
    items: list[str] = msgspec.field(default_factory=list)


class Item(msgspec.Struct):
    name: str


class CartEndpoint(Endpoint, path="/cart"):
    async def get(self, session: Session[Cart]) -> Cart:
        return session.data

    async def post(self, json: Item, session: Session[Cart]) -> Cart:
        session.data.items.append(json.name)
        return session.data


class Ping(Endpoint, path="/ping"):
    async def get(self) -> str:
        return "pong"


def redis_app(url: str, *, fail_open: bool = False) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            store = await self._aenter(RedisStore.from_url(url, timeout=1.0))
            sessions = Sessions(Cart, secret="r" * 32, store=store)
            exempt = CSRF.exempt("this test is about the store")
            self._include_endpoint(CartEndpoint(), middleware=[exempt, sessions])
            limit = RateLimit(3, 3600, store=store, fail_open=fail_open)
            self._include_endpoint(Ping(), middleware=[limit])

    return App()


def test_sessions_on_redis_are_shared_by_every_worker(redis: RedisServer) -> None:
    """Two app instances (two workers' worth) on one Redis see one session."""
    with TestClient(redis_app(redis.url)) as first, TestClient(redis_app(redis.url)) as second:
        token = first.post("/cart", json={"name": "gear"}).cookies["session"]
        cookie = {"cookie": f"session={token}"}
        second.cookies.clear()
        assert second.post("/cart", json={"name": "bolt"}, headers=cookie).status_code == 200
        first.cookies.clear()
        assert first.get("/cart", headers=cookie).json() == {"items": ["gear", "bolt"]}


def test_a_redis_outage_fails_limits_closed_or_open_and_recovers(redis: RedisServer) -> None:
    with (
        TestClient(redis_app(redis.url)) as closed,
        TestClient(redis_app(redis.url, fail_open=True)) as opened,
    ):
        assert [closed.get("/ping").status_code for _ in range(2)] == [200, 200]
        redis.stop(kill=True)
        down_closed = [closed.get("/ping").status_code for _ in range(3)]
        down_open = [opened.get("/ping").status_code for _ in range(3)]
        redis.start()  # empty again: no persistence
        back = [closed.get("/ping").status_code for _ in range(4)]
    print(f"redis down: fail-closed {down_closed}, fail-open {down_open}; back: {back}")
    assert down_closed == [500, 500, 500]
    assert down_open == [200, 200, 200]
    assert back == [200, 200, 200, 429]
