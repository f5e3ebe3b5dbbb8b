"""Auth schemes an API contract names: `BearerAuth` with another scheme, API keys."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from jero import (
    APIKeyAuth,
    AuthenticationRequiredError,
    BaseApp,
    BearerAuth,
    Endpoint,
    WiringError,
)
from jero.testing import TestClient


class User(msgspec.Struct):
    name: str


class TokenAuth(BearerAuth[User]):
    scheme = "Token"

    async def resolve_token(self, token: str) -> User:
        if token != "jwt.of.ana":
            raise AuthenticationRequiredError()
        return User("ana")


class HeaderKey(APIKeyAuth[User], header="X-API-Key"):
    async def resolve_key(self, key: str) -> User:
        if key != "k1":
            raise AuthenticationRequiredError()
        return User("header")


class QueryKey(APIKeyAuth[User | None], query="api_key"):
    async def resolve_key(self, key: str) -> User | None:
        return User(f"query:{key}")


class CookieKey(APIKeyAuth[User], cookie="session"):
    async def resolve_key(self, key: str) -> User:
        return User(f"cookie:{key}")


class Me(Endpoint, path="/me"):
    async def get(self, user: User) -> User:
        return user


class HeaderMe(Endpoint, path="/header"):
    async def get(self, user: User) -> User:
        return user


class QueryMe(Endpoint, path="/query"):
    async def get(self, user: User | None) -> str:
        return user.name if user is not None else "anonymous"


class CookieMe(Endpoint, path="/cookie"):
    async def get(self, user: User) -> User:
        return user


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(Me(), auth=TokenAuth())
        self._include_endpoint(HeaderMe(), auth=HeaderKey())
        self._include_endpoint(QueryMe(), auth=QueryKey())
        self._include_endpoint(CookieMe(), auth=CookieKey())
        self._include_openapi(title="t", version="1")


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(App()) as client:
        yield client


def test_a_token_scheme_is_read_challenged_and_refuses_bearer(client: TestClient) -> None:
    ok = client.get("/me", headers={"Authorization": "Token jwt.of.ana"})
    assert (ok.status_code, ok.json()) == (200, {"name": "ana"})
    assert client.get("/me", headers={"Authorization": "token jwt.of.ana"}).status_code == 200
    bearer = client.get("/me", headers={"Authorization": "Bearer jwt.of.ana"})
    assert bearer.status_code == 401
    assert bearer.headers["www-authenticate"] == "Token"
    assert bearer.json()["detail"] == (
        "Unusable Token credentials: the Authorization header does not use Token"
    )
    missing = client.get("/me")
    assert (missing.status_code, missing.headers["www-authenticate"]) == (401, "Token")
    assert client.get("/me", headers={"Authorization": "Token other"}).status_code == 401


def test_api_keys_in_a_header_the_query_and_a_cookie(client: TestClient) -> None:
    assert client.get("/header", headers={"X-API-Key": "k1"}).json() == {"name": "header"}
    assert client.get("/header", headers={"X-API-Key": "no"}).status_code == 401
    refused = client.get("/header")
    assert refused.status_code == 401
    assert "www-authenticate" not in refused.headers
    assert client.get("/query?api_key=z").text == "query:z"
    assert client.get("/query").text == "anonymous"
    assert client.get("/cookie", headers={"cookie": "session=s1"}).json() == {"name": "cookie:s1"}
    assert client.get("/cookie", headers={"cookie": "Session=s1"}).status_code == 401


def test_openapi_describes_each_scheme(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"] == {
        "TokenAuth": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Token <credentials>`",
        },
        "HeaderKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
        "QueryKey": {"type": "apiKey", "in": "query", "name": "api_key"},
        "CookieKey": {"type": "apiKey", "in": "cookie", "name": "session"},
    }
    assert document["paths"]["/query"]["get"]["security"] == [{"QueryKey": []}, {}]


def test_bearer_stays_an_http_scheme() -> None:
    class Plain(BearerAuth[User]):
        async def resolve_token(self, token: str) -> User:
            return User(token)

    class PlainApp(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Me(), auth=Plain())
            self._include_openapi(title="t", version="1")

    with TestClient(PlainApp()) as client:
        schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
        assert schemes == {"Plain": {"type": "http", "scheme": "bearer"}}
        assert client.get("/me", headers={"Authorization": "Bearer abc"}).json() == {"name": "abc"}


def test_an_api_key_class_declares_exactly_one_place() -> None:
    with pytest.raises(WiringError, match="travels in one place; give one of header=, query="):

        class Two(APIKeyAuth[User], header="X-Key", query="key"):
            pass

    with pytest.raises(WiringError, match="say where the key travels"):

        class Nowhere(APIKeyAuth[User]):
            pass

    with pytest.raises(WiringError, match="header='X Key' is not a valid header name"):

        class Spaced(APIKeyAuth[User], header="X Key"):
            pass


def test_an_api_key_class_must_resolve_keys() -> None:
    class Lazy(APIKeyAuth[User], header="X-Key"):
        pass

    class LazyApp(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Me(), auth=Lazy())

    with (
        pytest.raises(
            WiringError, match="Lazy subclasses APIKeyAuth but does not define resolve_key"
        ),
        TestClient(LazyApp()),
    ):
        pass


def test_basic_auth_refuses_another_scheme_at_wiring() -> None:
    from jero import BasicAuth

    class Renamed(BasicAuth[User]):
        scheme = "Password"

        async def resolve_credentials(self, username: str, password: str) -> User:
            return User(username)

    class RenamedApp(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Me(), auth=Renamed())

    with (
        pytest.raises(
            WiringError, match='BasicAuth reads RFC 7617 credentials, whose scheme is "Basic"'
        ),
        TestClient(RenamedApp()),
    ):
        pass
