"""Security schemes and 401s come from the authenticators mounts were included with."""

from __future__ import annotations

from msgspec import Struct

from jero import (
    AuthenticationRequiredError,
    BaseApp,
    BasicAuth,
    BearerAuth,
    Endpoint,
    Resource,
)
from jero.testing import TestClient
from tests.openapi_helpers import (
    PROBLEM,
    operation,
    problem_schemas,
    served_document,
    with_components,
)


class User(Struct):
    name: str


class TokenAuth(BearerAuth[User]):
    async def resolve_token(self, token: str) -> User:
        return User(token)


class MaybeTokenAuth(BearerAuth[User | None]):
    async def resolve_token(self, token: str) -> User | None:
        return User(token)


class PasswordAuth(BasicAuth[User]):
    realm = "shop"

    async def resolve_credentials(self, username: str, password: str) -> User:
        return User(username)


class ApiKey(Struct):
    x_api_key: str


class ApiKeyAuth:
    scheme = "ApiKey"

    async def authenticate(self, headers: ApiKey) -> User:
        raise AuthenticationRequiredError()


class Session(Struct):
    session_id: str
    theme: str = "light"


class DeviceHeaders(Struct):
    x_device: str


class SessionAuth:
    def authenticate(self, headers: DeviceHeaders, cookies: Session) -> User:
        return User(cookies.session_id)


class Note(Struct):
    text: str


class NoteResource(Resource, path="/notes"):
    async def create(self, json: Note, user: User) -> Note:
        return json

    async def read_many(self) -> list[Note]:
        return []


class MeEndpoint(Endpoint, path="/me"):
    async def get(self, user: User) -> User:
        return user


class MaybeMeEndpoint(Endpoint, path="/maybe-me"):
    async def get(self, user: User | None) -> Note:
        return Note("anonymous" if user is None else user.name)


class BasicEndpoint(Endpoint, path="/basic"):
    async def get(self, user: User) -> User:
        return user


class KeyEndpoint(Endpoint, path="/key"):
    async def get(self) -> Note:
        return Note("")


class SessionEndpoint(Endpoint, path="/session"):
    async def get(self, user: User) -> User:
        return user


class OpenEndpoint(Endpoint, path="/open"):
    async def get(self) -> Note:
        return Note("")


class SecuredApp(BaseApp):
    async def _wire(self) -> None:
        self._include_resource(NoteResource(), auth=TokenAuth())
        self._include_endpoint(MeEndpoint(), auth=TokenAuth())
        self._include_endpoint(MaybeMeEndpoint(), auth=MaybeTokenAuth())
        self._include_endpoint(BasicEndpoint(), auth=PasswordAuth())
        self._include_endpoint(KeyEndpoint(), auth=ApiKeyAuth())
        self._include_endpoint(SessionEndpoint(), auth=SessionAuth())
        self._include_endpoint(OpenEndpoint())
        self._include_openapi(title="Secured", version="1")


DOCUMENT = served_document(SecuredApp())


def test_security_schemes_are_derived_from_the_authenticators() -> None:
    assert DOCUMENT["components"]["securitySchemes"] == {
        "TokenAuth": {"type": "http", "scheme": "bearer"},
        "MaybeTokenAuth": {"type": "http", "scheme": "bearer"},
        "PasswordAuth": {"type": "http", "scheme": "basic"},
        "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "x-api-key"},
        "SessionAuth.x-device": {"type": "apiKey", "in": "header", "name": "x-device"},
        "SessionAuth.session_id": {"type": "apiKey", "in": "cookie", "name": "session_id"},
    }


def test_every_operation_of_an_authenticated_mount_requires_it() -> None:
    assert operation(DOCUMENT, "post", "/notes")["security"] == [{"TokenAuth": []}]
    # No `user` parameter, but the mount authenticates it all the same.
    assert operation(DOCUMENT, "get", "/notes")["security"] == [{"TokenAuth": []}]
    assert operation(DOCUMENT, "get", "/me")["security"] == [{"TokenAuth": []}]
    assert operation(DOCUMENT, "get", "/key")["security"] == [{"ApiKeyAuth": []}]
    assert "security" not in operation(DOCUMENT, "get", "/open")
    assert "401" not in operation(DOCUMENT, "get", "/open")["responses"]


def test_credentials_needed_together_are_one_requirement() -> None:
    assert operation(DOCUMENT, "get", "/session")["security"] == [
        {"SessionAuth.x-device": [], "SessionAuth.session_id": []}
    ]


def test_optional_authentication_allows_anonymous_calls() -> None:
    assert operation(DOCUMENT, "get", "/maybe-me")["security"] == [{"MaybeTokenAuth": []}, {}]


def test_credentials_are_not_operation_parameters() -> None:
    assert "parameters" not in operation(DOCUMENT, "get", "/me")
    assert "parameters" not in operation(DOCUMENT, "get", "/session")


def _problem_types(method: str, path: str, status: str) -> list[str]:
    response = operation(DOCUMENT, method, path)["responses"][status]
    return [schema["title"] for schema in problem_schemas(DOCUMENT, response)]


def test_401_with_the_challenge_header() -> None:
    unauthorized = operation(DOCUMENT, "get", "/basic")["responses"]["401"]
    assert unauthorized["headers"]["www-authenticate"]["schema"] == {
        "type": "string",
        "examples": ['Basic realm="shop"'],
    }
    assert _problem_types("get", "/basic", "401") == [
        "AuthenticationRequiredError",
        "InvalidCredentialsError",
    ]
    # A hand-written authenticator: only the 401 jero itself answers is known.
    assert _problem_types("get", "/key", "401") == ["AuthenticationRequiredError"]
    assert "headers" not in operation(DOCUMENT, "get", "/session")["responses"]["401"]


def test_the_documented_401_is_what_is_answered() -> None:
    import jsonschema

    with TestClient(SecuredApp()) as client:
        answered = client.get("/basic")
    assert answered.status_code == 401
    assert answered.headers["www-authenticate"] == 'Basic realm="shop"'
    schema = operation(DOCUMENT, "get", "/basic")["responses"]["401"]["content"][PROBLEM]
    jsonschema.validate(answered.json(), with_components(DOCUMENT, schema["schema"]))


def test_authenticators_with_one_name_and_different_schemes_are_told_apart() -> None:
    def make(kind: str) -> type:
        if kind == "bearer":

            class SameName(BearerAuth[User]):
                async def resolve_token(self, token: str) -> User:
                    return User(token)

        else:

            class SameName(ApiKeyAuth):  # type: ignore[no-redef]
                pass

        return SameName

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(MeEndpoint(), auth=make("bearer")())
            self._include_endpoint(KeyEndpoint(), auth=make("key")())
            self._include_openapi(title="t", version="1")

    with TestClient(App()) as client:
        document = client.get("/openapi.json").json()
    names = list(document["components"]["securitySchemes"])
    assert names[0] == "SameName"
    assert names[1].endswith("SameName") and names[1] != "SameName"
    assert operation(document, "get", "/key")["security"] == [{names[1]: []}]
