"""CSRF in-process: the token handed out on safe requests, the Origin and token checks
on unsafe ones (refusals never reach the handler), and the wiring rule."""

from __future__ import annotations

from typing import Any

import pytest
from msgspec import Struct

from jero import (
    CSRF,
    BaseApp,
    BearerAuth,
    Endpoint,
    TrustedProxies,
    WiringError,
)
from jero.testing import TestClient

SECRET = "c" * 32
OWN = "https://testserver"
HANDLED: list[str] = []


class User(Struct):
    name: str


class SessionCookie(Struct):
    sid: str


class CookieAuth:
    async def authenticate(self, cookies: SessionCookie) -> User:
        return User(cookies.sid)


class TokenAuth(BearerAuth[User]):
    async def resolve_token(self, token: str) -> User:
        return User(token)


class Account(Endpoint, path="/account"):
    async def get(self, user: User) -> str:
        return user.name

    async def post(self, user: User) -> str:
        HANDLED.append(user.name)
        return "moved"


def client_for(csrf: CSRF, *middleware: Any) -> TestClient:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(*middleware)
            self._include_endpoint(Account(), auth=CookieAuth(), middleware=[csrf])

    HANDLED.clear()
    return TestClient(App())


def token_of(client: TestClient) -> str:
    client.cookies.clear()
    answer = client.get("/account", headers={"cookie": "sid=ann"})
    header = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("csrf_token="))
    assert "HttpOnly" not in header
    assert "Secure" in header and "SameSite=Strict" in header
    return answer.cookies["csrf_token"]


def post(client: TestClient, headers: dict[str, str], token: str | None) -> Any:
    cookie = "sid=ann" + (f"; csrf_token={token}" if token is not None else "")
    client.cookies.clear()
    return client.post("/account", headers={"cookie": cookie, **headers})


def test_the_own_origin_with_the_token_passes() -> None:
    with client_for(CSRF(secret=SECRET)) as client:
        token = token_of(client)
        answer = post(client, {"origin": OWN, "x-csrf-token": token}, token)
        assert answer.status_code == 200
        # no Origin at all (a non-browser client) still needs the token, and passes with it
        assert post(client, {"x-csrf-token": token}, token).status_code == 200
    assert HANDLED == ["ann", "ann"]


@pytest.mark.parametrize(
    ("headers", "use_token", "reason"),
    [
        ({"origin": "https://evil.example"}, True, "another origin"),
        ({"origin": "null"}, True, "another origin"),
        ({"origin": "http://testserver"}, True, "another origin"),  # scheme matters
        ({"origin": OWN}, False, "header does not match"),
        ({"sec-fetch-site": "cross-site"}, True, "another site"),
    ],
)
def test_forgeries_are_refused_before_the_handler(
    headers: dict[str, str], use_token: bool, reason: str
) -> None:
    with client_for(CSRF(secret=SECRET)) as client:
        token = token_of(client)
        sent = {**headers, **({"x-csrf-token": token} if use_token else {})}
        answer = post(client, sent, token)
    assert answer.status_code == 403
    body = answer.json()
    assert body["type"] == "csrf-refused"
    assert reason in body["detail"]
    assert HANDLED == []


def test_tokens_must_be_minted_by_this_app() -> None:
    forged = "A" * 43 + "." + "B" * 43
    other = CSRF(secret="d" * 32).token().value
    with client_for(CSRF(secret=SECRET)) as client:
        for token in (forged, other, "short"):
            answer = post(client, {"origin": OWN, "x-csrf-token": token}, token)
            assert answer.status_code == 403
            assert "missing or invalid" in answer.json()["detail"]
        assert post(client, {"origin": OWN}, None).status_code == 403
    assert HANDLED == []


def test_trusted_origins_and_the_proxied_origin() -> None:
    csrf = CSRF(secret=SECRET, trusted_origins=["https://app.example"])
    with client_for(csrf) as client:
        token = token_of(client)
        sent = {"origin": "https://app.example", "x-csrf-token": token}
        assert post(client, sent, token).status_code == 200
    with client_for(CSRF(secret=SECRET), TrustedProxies(["127.0.0.1"])) as client:
        token = token_of(client)
        sent = {
            "origin": "https://api.example.com",
            "x-csrf-token": token,
            "x-forwarded-for": "203.0.113.1",
            "x-forwarded-proto": "https",
            "x-forwarded-host": "api.example.com",
        }
        assert post(client, sent, token).status_code == 200


def wire(auth: object, *middleware: Any) -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Account(), auth=auth, middleware=list(middleware))

    with TestClient(App()):
        pass


def test_cookie_auth_on_an_unsafe_method_needs_csrf_or_an_explicit_exemption() -> None:
    with pytest.raises(WiringError, match=r"Account\.post answers POST and authenticates with a"):
        wire(CookieAuth())
    wire(CookieAuth(), CSRF(secret=SECRET))
    wire(CookieAuth(), CSRF.exempt("SameSite=Strict cookies and no browser clients"))
    wire(TokenAuth())  # a header credential is not sent by browsers on their own
    with pytest.raises(WiringError, match="say why"):
        CSRF.exempt(" ")


def test_app_wide_csrf_satisfies_the_rule() -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Account(), auth=CookieAuth())
            self._include_middleware(CSRF(secret=SECRET))

    with TestClient(App()) as client:
        assert client.post("/account", headers={"cookie": "sid=x"}).status_code == 403


def test_csrf_declarations_are_checked() -> None:
    with pytest.raises(WiringError, match="not an origin"):
        CSRF(secret=SECRET, trusted_origins=["https://app.example/"])
    with pytest.raises(WiringError, match="at least 32 bytes"):
        CSRF(secret="x")
