"""Server-side sessions: the typed `session` source, the cookie, rotation at login
(session fixation), logout, expiry, forged and oversized cookies, and the wiring rules."""

from __future__ import annotations

import time
from typing import Any

import msgspec
import pytest
from msgspec import Struct

from jero import (
    CSRF,
    BaseApp,
    Endpoint,
    MemoryStore,
    NoContent,
    Session,
    Sessions,
    Store,
    WiringError,
)
from jero.testing import TestClient

SECRET = "s" * 32
HANDLED: list[str] = []
EXEMPT = CSRF.exempt("CSRF has tests of its own")


class Cart(Struct):
    user: str | None = None
    items: list[str] = msgspec.field(default_factory=list)


class Login(Struct):
    name: str


class Item(Struct):
    name: str


class SessionEndpoint(Endpoint, path="/session"):
    async def get(self, session: Session[Cart]) -> Cart:
        HANDLED.append("read")
        return session.data


class LoginEndpoint(Endpoint, path="/login"):
    async def post(self, json: Login, session: Session[Cart]) -> Cart:
        HANDLED.append("login")
        session.data.user = json.name
        session.rotate()
        return session.data


class LogoutEndpoint(Endpoint, path="/logout"):
    async def post(self, session: Session[Cart]) -> NoContent:
        HANDLED.append("logout")
        session.end()
        return NoContent()


class ItemsEndpoint(Endpoint, path="/items"):
    async def post(self, json: Item, session: Session[Cart]) -> Cart:
        HANDLED.append("add")
        session.data.items.append(json.name)
        return session.data


def client_for(store: Store | None = None, max_age: int = 3600) -> TestClient:
    sessions = Sessions(
        Cart, secret=SECRET, store=store if store is not None else MemoryStore(), max_age=max_age
    )

    class App(BaseApp):
        async def _wire(self) -> None:
            for endpoint in (SessionEndpoint(), LoginEndpoint(), LogoutEndpoint(), ItemsEndpoint()):
                self._include_endpoint(endpoint, middleware=[EXEMPT, sessions])

    HANDLED.clear()
    return TestClient(App())


def session_cookie(answer: Any) -> str | None:
    for header in answer.headers.get_list("set-cookie"):
        if header.startswith("session="):
            return header
    return None


def test_a_visitor_whose_session_is_never_written_gets_no_cookie() -> None:
    with client_for() as client:
        answer = client.get("/session")
    assert answer.json() == {"user": None, "items": []}
    assert session_cookie(answer) is None


def test_writing_the_session_sets_a_secure_cookie_and_the_data_comes_back() -> None:
    with client_for() as client:
        added = client.post("/items", json={"name": "gear"})
        header = session_cookie(added)
        assert header is not None
        attributes = {part.strip().split("=")[0].lower() for part in header.split(";")}
        assert {"httponly", "secure", "samesite", "max-age", "path"} <= attributes
        assert "SameSite=Lax" in header
        client.post("/items", json={"name": "bolt"})
        assert client.get("/session").json() == {"user": None, "items": ["gear", "bolt"]}


def test_login_rotates_the_id_so_a_planted_session_is_worth_nothing() -> None:
    """Session fixation: the attacker gets a valid session id of their own, plants it
    in the victim's browser, and waits for the victim to log in."""
    store = MemoryStore()
    with client_for(store) as attacker:
        planted = attacker.post("/items", json={"name": "bait"}).cookies["session"]
    with client_for(store) as victim:
        logged_in = victim.post(
            "/login", json={"name": "victim"}, headers={"cookie": f"session={planted}"}
        )
        fresh = logged_in.cookies["session"]
        assert fresh != planted
        assert logged_in.json() == {"user": "victim", "items": ["bait"]}
    with client_for(store) as attacker:
        seen = attacker.get("/session", headers={"cookie": f"session={planted}"})
        assert seen.json() == {"user": None, "items": []}
        # the dead id's cookie is deleted in the same answer
        assert session_cookie(seen) is not None and "Max-Age=0" in session_cookie(seen)
        assert attacker.get("/session", headers={"cookie": f"session={fresh}"}).json() == {
            "user": "victim",
            "items": ["bait"],
        }


def test_logout_ends_the_session_and_its_cookie() -> None:
    store = MemoryStore()
    with client_for(store) as client:
        token = client.post("/login", json={"name": "ann"}).cookies["session"]
        ended = client.post("/logout")
        assert ended.status_code == 204
        assert "Max-Age=0" in (session_cookie(ended) or "")
        replay = client.get("/session", headers={"cookie": f"session={token}"})
        assert replay.json() == {"user": None, "items": []}
    assert len(store) == 0


def test_a_session_expires_after_max_age() -> None:
    with client_for(max_age=1) as client:
        client.post("/login", json={"name": "ann"})
        assert client.get("/session").json()["user"] == "ann"
        time.sleep(1.1)
        assert client.get("/session").json()["user"] is None


@pytest.mark.parametrize(
    "cookie",
    [
        "made-up",
        "A" * 43 + "." + "B" * 43,  # the right shape, no valid signature
        "x" * 5000,  # oversized
        "é" * 87,
        "",
    ],
)
def test_forged_or_oversized_cookies_are_refused_before_the_handler(cookie: str) -> None:
    with client_for() as client:
        real = client.post("/items", json={"name": "gear"}).cookies["session"]
        HANDLED.clear()
        for value in (cookie, real[:-1] + ("A" if real[-1] != "A" else "B")):
            raw = f"session={value}".encode()  # UTF-8 bytes as a hostile client may send
            answer = client.get("/session", headers={"cookie": raw})
            if value == "":
                # an empty cookie is no cookie at all
                assert answer.status_code == 200
                HANDLED.clear()
                continue
            assert answer.status_code == 400
            assert answer.json() == {
                "type": "invalid-session",
                "title": "Invalid session cookie",
                "status": 400,
            }
            assert "Max-Age=0" in (session_cookie(answer) or "")
    assert HANDLED == []


def test_a_session_signed_with_another_secret_is_refused() -> None:
    with client_for() as client:
        token = client.post("/items", json={"name": "gear"}).cookies["session"]
    other = Sessions(Cart, secret="t" * 32)

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(SessionEndpoint(), middleware=[other])

    with TestClient(App()) as client:
        assert client.get("/session", headers={"cookie": f"session={token}"}).status_code == 400


# --- wiring rules --------------------------------------------------------------------------


def wire(*endpoints: Endpoint, middleware: list[Any]) -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            for endpoint in endpoints:
                self._include_endpoint(endpoint, middleware=middleware)

    with TestClient(App()):
        pass


def test_session_without_sessions_is_a_wiring_error() -> None:
    with pytest.raises(WiringError, match=r"SessionEndpoint.get takes `session: Session\[Cart\]`"):
        wire(SessionEndpoint(), middleware=[])


def test_session_of_another_struct_is_a_wiring_error() -> None:
    class Other(Struct):
        theme: str = "dark"

    with pytest.raises(WiringError, match="holds Other"):
        wire(SessionEndpoint(), middleware=[Sessions(Other, secret=SECRET)])


def test_unsafe_session_route_without_csrf_is_a_wiring_error() -> None:
    with pytest.raises(WiringError, match=r"LoginEndpoint.post answers POST and takes `session`"):
        wire(LoginEndpoint(), middleware=[Sessions(Cart, secret=SECRET)])
    wire(LoginEndpoint(), middleware=[Sessions(Cart, secret=SECRET), EXEMPT])
    wire(
        LoginEndpoint(),
        middleware=[CSRF(secret=SECRET), Sessions(Cart, secret=SECRET)],
    )


def test_session_annotation_and_declarations_are_checked() -> None:
    class Bare(Endpoint, path="/bare"):
        async def get(self, session: Cart) -> Cart:
            return session

    class Required(Struct):
        user: str

    with pytest.raises(WiringError, match=r"must be annotated `Session\[YourStruct\]`"):
        wire(Bare(), middleware=[Sessions(Cart, secret=SECRET)])
    with pytest.raises(WiringError, match="needs a default"):
        Sessions(Required, secret=SECRET)
    with pytest.raises(WiringError, match="at least 32 bytes"):
        Sessions(Cart, secret="short")


def test_a_stored_session_that_no_longer_decodes_starts_anew(caplog: Any) -> None:
    store = MemoryStore()
    with client_for(store) as client:
        token = client.post("/items", json={"name": "gear"}).cookies["session"]

        async def corrupt() -> None:
            await store.set("session:" + token[:43], b'{"items": 42}')

        import asyncio

        asyncio.run(corrupt())
        answer = client.get("/session")
    assert answer.status_code == 200
    assert answer.json() == {"user": None, "items": []}
    assert "no longer decodes" in caplog.text
