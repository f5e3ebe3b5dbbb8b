"""Auth: `auth=` authenticators, checked at wiring, run before the body."""

from __future__ import annotations

import base64
from collections.abc import Awaitable
from typing import Any

import msgspec
import pytest
from msgspec import Struct

from jero import (
    AuthenticationRequiredError,
    AuthorizationHeader,
    BaseApp,
    BasicAuth,
    BearerAuth,
    Endpoint,
    ForbiddenError,
    Resource,
)
from jero.testing import TestClient
from tests.asgi_driver import call
from tests.routes_app import include, wiring_error_of

# --- shared declarations ------------------------------------------------------------


class User(Struct):
    name: str


class Admin(Struct):
    name: str


class ApiKey(Struct):
    x_api_key: str


class NumericKey(Struct):
    x_key_number: int


class Session(Struct):
    session: str


class Widget(Struct):
    name: str


class WidgetPath(Struct):
    widget_id: str


KEYS = {"k-ann": User("ann"), "k-bob": User("bob")}


class KeyAuth:
    """Sync, header credentials, required."""

    def authenticate(self, headers: ApiKey) -> User:
        user = KEYS.get(headers.x_api_key)
        if user is None:
            raise AuthenticationRequiredError()
        return user


class AsyncKeyAuth:
    """Async, with a declared scheme and realm."""

    scheme = "ApiKey"
    realm = 'widgets "v1"'

    async def authenticate(self, headers: ApiKey) -> User:
        user = KEYS.get(headers.x_api_key)
        if user is None:
            raise AuthenticationRequiredError()
        if user.name == "bob":
            raise ForbiddenError()
        return user


class OptionalKeyAuth:
    scheme = "ApiKey"

    async def authenticate(self, headers: ApiKey) -> User | None:
        user = KEYS.get(headers.x_api_key)
        if user is None:
            raise AuthenticationRequiredError()
        return user


class SessionAuth:
    async def authenticate(self, cookies: Session) -> User:
        if cookies.session != "s-ann":
            raise AuthenticationRequiredError()
        return User("ann")


class KeyAndSessionAuth:
    def authenticate(self, headers: ApiKey, cookies: Session) -> User:
        return User(f"{headers.x_api_key}/{cookies.session}")


class NumericKeyAuth:
    def authenticate(self, headers: NumericKey) -> User:
        return User(str(headers.x_key_number))


class MeEndpoint(Endpoint, path="/me"):
    async def get(self, user: User) -> User:
        return user


class MaybeMeEndpoint(Endpoint, path="/maybe-me"):
    async def get(self, user: User | None) -> User:
        return user if user is not None else User("anonymous")


class PingEndpoint(Endpoint, path="/ping"):
    async def get(self) -> Widget:
        return Widget("pong")


class WidgetResource(Resource, path="/widgets"):
    async def create(self, json: Widget, user: User) -> Widget:
        return Widget(f"{json.name} by {user.name}")

    async def read_one(self, path: WidgetPath, user: User) -> Widget:
        return Widget(f"{path.widget_id} for {user.name}")

    async def read_many(self) -> list[Widget]:
        return [Widget("listed")]


def make_app(*mounts: tuple[Resource | Endpoint, object | None]) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            for route, auth in mounts:
                include(self, route, auth=auth)

    return App()


def wiring_error(route: Resource | Endpoint, auth: object | None) -> str:
    return wiring_error_of(make_app((route, auth)))


AUTH_REQUIRED = {"type": "authentication-required", "title": "Authentication required"}


def basic(userpass: bytes) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(userpass).decode()}


# --- authenticate with headers / cookies, sync or async --------------------------------


def test_sync_authenticate_binds_the_user_from_headers() -> None:
    with TestClient(make_app((MeEndpoint(), KeyAuth()))) as client:
        response = client.get("/me", headers={"X-Api-Key": "k-ann"})
    assert response.status_code == 200
    assert response.json() == {"name": "ann"}


def test_async_authenticate_binds_the_user_from_headers() -> None:
    with TestClient(make_app((MeEndpoint(), AsyncKeyAuth()))) as client:
        response = client.get("/me", headers={"x-api-key": "k-ann"})
    assert response.json() == {"name": "ann"}


def test_authenticate_binds_cookie_credentials() -> None:
    with TestClient(make_app((MeEndpoint(), SessionAuth()))) as client:
        ok = client.get("/me", headers={"cookie": 'theme=dark; session="s-ann"'})
        wrong = client.get("/me", headers={"cookie": "session=s-bob"})
        missing = client.get("/me", headers={"cookie": "theme=dark"})
    assert ok.json() == {"name": "ann"}
    assert wrong.status_code == 401
    assert missing.status_code == 401
    assert missing.json() == {**AUTH_REQUIRED, "status": 401}


def test_authenticate_with_headers_and_cookies_gets_both() -> None:
    with TestClient(make_app((MeEndpoint(), KeyAndSessionAuth()))) as client:
        both = client.get("/me", headers={"x-api-key": "k", "cookie": "session=s"})
        only_header = client.get("/me", headers={"x-api-key": "k"})
    assert both.json() == {"name": "k/s"}
    assert only_header.status_code == 401


def test_auth_applies_to_every_operation_of_an_included_resource() -> None:
    app = make_app((WidgetResource(), KeyAuth()))
    with TestClient(app) as client:
        created = client.post("/widgets", json={"name": "w"}, headers={"x-api-key": "k-bob"})
        read = client.get("/widgets/7", headers={"x-api-key": "k-ann"})
        listed_anonymously = client.get("/widgets")
    assert created.status_code == 201
    assert created.json() == {"name": "w by bob"}
    assert read.json() == {"name": "7 for ann"}
    assert listed_anonymously.status_code == 401


def test_handler_without_user_on_an_auth_mount_is_still_protected() -> None:
    with TestClient(make_app((PingEndpoint(), KeyAuth()))) as client:
        anonymous = client.get("/ping")
        known = client.get("/ping", headers={"x-api-key": "k-ann"})
    assert anonymous.status_code == 401
    assert known.json() == {"name": "pong"}


def test_routes_included_without_auth_stay_open() -> None:
    app = make_app((MeEndpoint(), KeyAuth()), (PingEndpoint(), None))
    with TestClient(app) as client:
        assert client.get("/ping").status_code == 200
        assert client.get("/me").status_code == 401


def test_router_plans_expose_the_mount_authenticator() -> None:
    app = make_app((MeEndpoint(), AsyncKeyAuth()), (PingEndpoint(), None))
    with TestClient(app):
        router = app.jero.router
        assert router is not None
        plans = {plan.path: plan for plan in router.plans()}
    auth = plans["/me"].auth
    assert auth is not None
    assert auth.credentials == {"headers": ApiKey}
    assert auth.scheme == "ApiKey"
    assert plans["/ping"].auth is None


# --- rejection --------------------------------------------------------------------


def test_http_error_raised_by_authenticate_rejects_the_request() -> None:
    with TestClient(make_app((MeEndpoint(), AsyncKeyAuth()))) as client:
        unknown = client.get("/me", headers={"x-api-key": "nope"})
        forbidden = client.get("/me", headers={"x-api-key": "k-bob"})
    assert unknown.status_code == 401
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json() == {**AUTH_REQUIRED, "status": 401}
    assert forbidden.status_code == 403
    assert forbidden.json() == {"type": "forbidden", "title": "Forbidden", "status": 403}
    assert "www-authenticate" not in forbidden.headers


def test_missing_required_credential_field_is_401_authentication_required_not_400() -> None:
    with TestClient(make_app((MeEndpoint(), KeyAuth()))) as client:
        response = client.get("/me", headers={"x-other": "k-ann"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {**AUTH_REQUIRED, "status": 401}


def test_malformed_credential_value_is_a_400_naming_the_field() -> None:
    with TestClient(make_app((MeEndpoint(), NumericKeyAuth()))) as client:
        good = client.get("/me", headers={"x-key-number": "12"})
        bad = client.get("/me", headers={"x-key-number": "twelve"})
    assert good.json() == {"name": "12"}
    assert bad.status_code == 400
    assert (
        bad.json()["detail"] == "Invalid headers: Expected `int`, got `str` - at `$.x_key_number`"
    )
    assert "twelve" not in bad.text


def test_unexpected_error_in_authenticate_is_a_500_that_leaks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BrokenAuth:
        def authenticate(self, headers: ApiKey) -> User:
            raise RuntimeError("database password is hunter2")

    with TestClient(make_app((MeEndpoint(), BrokenAuth()))) as client:
        response = client.get("/me", headers={"x-api-key": "k"})
    assert response.status_code == 500
    assert "hunter2" not in response.text
    assert any("Unhandled error in GET /me" in r.getMessage() for r in caplog.records)


def test_401_carries_www_authenticate_when_the_authenticator_declares_a_scheme() -> None:
    with TestClient(make_app((MeEndpoint(), AsyncKeyAuth()))) as client:
        missing = client.get("/me")
        rejected = client.get("/me", headers={"x-api-key": "nope"})
    expected = 'ApiKey realm="widgets \\"v1\\""'
    assert missing.headers["www-authenticate"] == expected
    assert rejected.headers["www-authenticate"] == expected


def test_401_without_a_declared_scheme_has_no_www_authenticate() -> None:
    with TestClient(make_app((MeEndpoint(), KeyAuth()))) as client:
        response = client.get("/me")
    assert response.status_code == 401
    assert "www-authenticate" not in response.headers


def test_a_challenge_set_by_the_authenticator_is_kept() -> None:
    class ChallengingAuth:
        scheme = "Bearer"

        def authenticate(self, headers: ApiKey) -> User:
            raise AuthenticationRequiredError(
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )

    with TestClient(make_app((MeEndpoint(), ChallengingAuth()))) as client:
        response = client.get("/me", headers={"x-api-key": "k"})
    assert response.headers.get_list("www-authenticate") == ['Bearer error="invalid_token"']


# --- runs before the body is read ---------------------------------------------------


def test_authenticate_runs_before_the_body_is_read() -> None:
    app = make_app((WidgetResource(), KeyAuth()))
    with TestClient(app) as client:
        wrong_type = client.post("/widgets", content=b"name=w")
        malformed = client.post(
            "/widgets", content=b"{", headers={"content-type": "application/json"}
        )
    assert wrong_type.status_code == 401
    assert malformed.status_code == 401


def test_rejected_request_never_receives_its_body() -> None:
    app = make_app((WidgetResource(), KeyAuth()))
    headers = [(b"content-type", b"application/json")]
    exchange = call(app, "POST", "/widgets", headers=headers, chunks=[b'{"name":"w"}'])
    assert exchange.receive_calls == 0
    assert exchange.status == 401


class Query(Struct):
    limit: int


def test_authenticate_runs_before_query_and_header_binding() -> None:
    class ListEndpoint(Endpoint, path="/list"):
        async def get(self, params: Query, user: User) -> list[Widget]:
            return [Widget(user.name)] * params.limit

    with TestClient(make_app((ListEndpoint(), KeyAuth()))) as client:
        anonymous = client.get("/list", params={"limit": "x"})
        known = client.get("/list", params={"limit": "2"}, headers={"x-api-key": "k-ann"})
    assert anonymous.status_code == 401
    assert known.json() == [{"name": "ann"}, {"name": "ann"}]


# --- optional authentication ----------------------------------------------------------


def test_optional_auth_binds_none_when_credentials_are_absent() -> None:
    with TestClient(make_app((MaybeMeEndpoint(), OptionalKeyAuth()))) as client:
        anonymous = client.get("/maybe-me")
        known = client.get("/maybe-me", headers={"x-api-key": "k-ann"})
    assert anonymous.status_code == 200
    assert anonymous.json() == {"name": "anonymous"}
    assert known.json() == {"name": "ann"}


def test_optional_auth_still_rejects_invalid_credentials() -> None:
    with TestClient(make_app((MaybeMeEndpoint(), OptionalKeyAuth()))) as client:
        response = client.get("/maybe-me", headers={"x-api-key": "nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "ApiKey"


def test_optional_auth_does_not_call_authenticate_without_credentials() -> None:
    calls: list[str] = []

    class CountingAuth:
        def authenticate(self, headers: ApiKey) -> User | None:
            calls.append(headers.x_api_key)
            return None

    with TestClient(make_app((MaybeMeEndpoint(), CountingAuth()))) as client:
        client.get("/maybe-me")
        client.get("/maybe-me", headers={"x-api-key": "k"})
    assert calls == ["k"]


# --- wiring checks ------------------------------------------------------------------


class NoAuthenticate:
    def login(self, headers: ApiKey) -> User:
        return User("x")


class NoCredentials:
    def authenticate(self) -> User:
        return User("x")


class UnknownCredential:
    def authenticate(self, body: ApiKey) -> User:
        return User("x")


class UnannotatedCredential:
    def authenticate(self, headers) -> User:  # type: ignore[no-untyped-def]
        return User("x")


class NonStructCredential:
    def authenticate(self, headers: dict[str, str]) -> User:
        return User("x")


class NoReturn:
    def authenticate(self, headers: ApiKey):  # type: ignore[no-untyped-def]
        return User("x")


class ReturnsNone:
    def authenticate(self, headers: ApiKey) -> None:
        return None


class ReturnsAny:
    def authenticate(self, headers: ApiKey) -> Any:
        return User("x")


class ReturnsAwaitable:
    def authenticate(self, headers: ApiKey) -> Awaitable[User]:
        async def user() -> User:
            return User("x")

        return user()


class BadScheme:
    scheme = "Bearer token"

    def authenticate(self, headers: ApiKey) -> User:
        return User("x")


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        (NoAuthenticate(), "auth=NoAuthenticate() has no `authenticate` method"),
        (KeyAuth, "auth=KeyAuth is a class; pass an instance: auth=KeyAuth()"),
        (NoCredentials(), "NoCredentials.authenticate takes no credentials"),
        (UnknownCredential(), "parameter `body` is not a credential source"),
        (UnannotatedCredential(), "parameter `headers` has no annotation"),
        (NonStructCredential(), "must be annotated with a msgspec Struct, got `dict[str, str]`"),
        (NoReturn(), "NoReturn.authenticate has no return annotation"),
        (ReturnsNone(), "ReturnsNone.authenticate returns `None`; annotate the user type"),
        (ReturnsAny(), "ReturnsAny.authenticate returns `Any`; annotate the user type"),
        (ReturnsAwaitable(), "annotate the user itself, not an awaitable of it"),
        (BadScheme(), "BadScheme.scheme = 'Bearer token' is not an HTTP authentication scheme"),
    ],
)
def test_wiring_rejects_an_authenticator_without_a_well_typed_authenticate(
    auth: object, message: str
) -> None:
    assert message in wiring_error(PingEndpoint(), auth)


def test_wiring_rejects_a_user_type_that_differs_from_the_authenticator_return_type() -> None:
    class AdminEndpoint(Endpoint, path="/admin"):
        async def get(self, user: Admin) -> Admin:
            return user

    message = wiring_error(AdminEndpoint(), KeyAuth())
    assert message.endswith(
        "AdminEndpoint.get parameter `user` is annotated `Admin`, but the mount's "
        "authenticator KeyAuth.authenticate returns `User`; annotate `user: User`"
    )


def test_wiring_rejects_an_optional_user_under_a_required_authenticator() -> None:
    message = wiring_error(MaybeMeEndpoint(), KeyAuth())
    assert "annotated `User | None`, but the mount's authenticator" in message
    assert "annotate `user: User`" in message


def test_wiring_rejects_user_declared_on_a_mount_without_auth() -> None:
    message = wiring_error(MeEndpoint(), None)
    assert message.startswith(
        "MeEndpoint.get parameter `user` is the authenticated user, but the route was "
        "included without an authenticator; pass auth=YourAuth()"
    )


def test_wiring_rejects_a_non_optional_user_under_an_optional_authenticator() -> None:
    message = wiring_error(MeEndpoint(), OptionalKeyAuth())
    assert message == (
        "MeEndpoint.get parameter `user` is annotated `User`, but "
        "OptionalKeyAuth.authenticate returns `User | None`: authentication is optional on "
        "this mount, so the user may be None; annotate `user: User | None` and handle the "
        "anonymous caller"
    )


def test_wiring_resolves_postponed_annotations_of_the_authenticator() -> None:
    # This module uses `from __future__ import annotations`: every hint is a string.
    with TestClient(make_app((MeEndpoint(), KeyAuth()))) as client:
        assert client.get("/me", headers={"x-api-key": "k-bob"}).json() == {"name": "bob"}


# --- BearerAuth ---------------------------------------------------------------------


class TokenAuth(BearerAuth[User]):
    async def resolve_token(self, token: str) -> User:
        if token != "t0k.en-_~+/=":
            raise AuthenticationRequiredError()
        return User("ann")


class OptionalTokenAuth(BearerAuth[User | None]):
    realm = "widgets"

    async def resolve_token(self, token: str) -> User | None:
        return User(token)


def test_bearer_auth_hands_the_token_to_resolve_token() -> None:
    with TestClient(make_app((MeEndpoint(), TokenAuth()))) as client:
        response = client.get("/me", headers={"authorization": "Bearer t0k.en-_~+/="})
        lower = client.get("/me", headers={"authorization": "bearer   t0k.en-_~+/="})
    assert response.json() == {"name": "ann"}
    assert lower.json() == {"name": "ann"}


def test_bearer_auth_missing_header_is_401_with_bearer_challenge() -> None:
    with TestClient(make_app((MeEndpoint(), TokenAuth()))) as client:
        response = client.get("/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {**AUTH_REQUIRED, "status": 401}


def test_bearer_auth_rejected_token_is_401_with_bearer_challenge() -> None:
    with TestClient(make_app((MeEndpoint(), TokenAuth()))) as client:
        response = client.get("/me", headers={"authorization": "Bearer other"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        ("Basic dXNlcjpwYXNz", "the Authorization header does not use Bearer"),
        ("Bearer", "the token is not an RFC 6750 b64token"),
        ("Bearer a b", "the token is not an RFC 6750 b64token"),
        ("Bearer a=b", "the token is not an RFC 6750 b64token"),
        ("Bearer-x y", "the Authorization header does not use Bearer"),
    ],
)
def test_bearer_auth_unusable_authorization_header_is_401(authorization: str, reason: str) -> None:
    with TestClient(make_app((MeEndpoint(), TokenAuth()))) as client:
        response = client.get("/me", headers={"authorization": authorization})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {
        **AUTH_REQUIRED,
        "status": 401,
        "detail": f"Unusable Bearer credentials: {reason}",
        "params": {"scheme": "Bearer", "reason": reason},
    }


def test_bearer_auth_with_optional_user_binds_none_without_authorization() -> None:
    with TestClient(make_app((MaybeMeEndpoint(), OptionalTokenAuth()))) as client:
        anonymous = client.get("/maybe-me")
        known = client.get("/maybe-me", headers={"authorization": "Bearer zed"})
        unusable = client.get("/maybe-me", headers={"authorization": "Basic zed"})
    assert anonymous.json() == {"name": "anonymous"}
    assert known.json() == {"name": "zed"}
    assert unusable.status_code == 401
    assert unusable.headers["www-authenticate"] == 'Bearer realm="widgets"'


def test_bearer_auth_without_a_type_argument_is_a_wiring_error() -> None:
    class UntypedAuth(BearerAuth):  # type: ignore[type-arg]
        async def resolve_token(self, token: str) -> User:
            return User(token)

    message = wiring_error(MeEndpoint(), UntypedAuth())
    assert "a type variable its class leaves open" in message
    assert "class MyAuth(BearerAuth[User])" in message


def test_bearer_auth_without_resolve_token_is_a_wiring_error() -> None:
    class LazyAuth(BearerAuth[User]):
        pass

    message = wiring_error(MeEndpoint(), LazyAuth())
    assert message.endswith(
        "LazyAuth subclasses BearerAuth but does not define resolve_token; add "
        "`async def resolve_token(self, token: str) -> User`"
    )


def test_bearer_auth_with_sync_resolve_token_is_a_wiring_error() -> None:
    class SyncAuth(BearerAuth[User]):
        def resolve_token(self, token: str) -> User:  # type: ignore[override]
            return User(token)

    message = wiring_error(MeEndpoint(), SyncAuth())
    assert "<locals>.SyncAuth.resolve_token must be `async def`: `async def" in message


def test_bearer_auth_subclass_may_override_authenticate_itself() -> None:
    class HeaderAuth(BearerAuth[User]):
        async def authenticate(self, headers: AuthorizationHeader) -> User:
            return User(headers.authorization)

    with TestClient(make_app((MeEndpoint(), HeaderAuth()))) as client:
        assert client.get("/me", headers={"authorization": "x"}).json() == {"name": "x"}


# --- BasicAuth ----------------------------------------------------------------------


class PasswordAuth(BasicAuth[User]):
    async def resolve_credentials(self, username: str, password: str) -> User:
        if password != "s3:cr€t":
            raise AuthenticationRequiredError()
        return User(username)


def test_basic_auth_hands_username_and_password_to_resolve_credentials() -> None:
    with TestClient(make_app((MeEndpoint(), PasswordAuth()))) as client:
        response = client.get("/me", headers=basic("zoë:s3:cr€t".encode()))
    assert response.json() == {"name": "zoë"}


def test_basic_auth_missing_header_is_401_with_realm_challenge() -> None:
    with TestClient(make_app((MeEndpoint(), PasswordAuth()))) as client:
        response = client.get("/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="api"'


def test_basic_auth_wrong_password_is_401_with_realm_challenge() -> None:
    with TestClient(make_app((MeEndpoint(), PasswordAuth()))) as client:
        response = client.get("/me", headers=basic(b"ann:wrong"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="api"'


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        ("Bearer abc", "the Authorization header does not use Basic"),
        ("Basic !!!", "the credentials are not base64-encoded UTF-8"),
        (
            "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
            "the credentials are not base64-encoded UTF-8",
        ),
        (
            "Basic " + base64.b64encode(b"no-colon").decode(),
            "the decoded credentials lack the ':' separator",
        ),
    ],
)
def test_basic_auth_unusable_authorization_header_is_401(authorization: str, reason: str) -> None:
    with TestClient(make_app((MeEndpoint(), PasswordAuth()))) as client:
        response = client.get("/me", headers={"authorization": authorization})
    assert response.status_code == 401
    assert response.json()["detail"] == f"Unusable Basic credentials: {reason}"


def test_basic_auth_without_resolve_credentials_is_a_wiring_error() -> None:
    class LazyAuth(BasicAuth[User]):
        pass

    assert "does not define resolve_credentials" in wiring_error(MeEndpoint(), LazyAuth())


def test_authorization_header_is_a_frozen_struct() -> None:
    assert msgspec.structs.fields(AuthorizationHeader)[0].name == "authorization"
