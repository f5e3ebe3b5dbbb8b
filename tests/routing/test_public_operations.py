"""Per-operation auth: `auth=` plus `public=(...)` on one mount."""

from typing import Any

import pytest
from msgspec import Struct

from jero import AuthenticationRequiredError, BaseApp, Resource, WiringError
from jero.testing import TestClient


class User(Struct):
    name: str


class ApiKey(Struct):
    x_api_key: str


class KeyAuth:
    scheme = "ApiKey"

    async def authenticate(self, headers: ApiKey) -> User:
        if headers.x_api_key != "k-ann":
            raise AuthenticationRequiredError()
        return User("ann")


class Book(Struct):
    title: str


class BookPath(Struct):
    book_id: int


class Books(Resource, path="/books"):
    async def read_many(self) -> list[Book]:
        return [Book("public")]

    async def read_one(self, path: BookPath, user: User | None) -> Book:
        return Book(f"{path.book_id} for {user.name if user else 'anyone'}")

    async def create(self, json: Book, user: User) -> Book:
        return Book(f"{json.title} by {user.name}")

    async def delete(self, path: BookPath) -> Book:
        return Book("gone")


def app(**include: Any) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_resource(Books(), **include)
            self._include_openapi(title="t", version="1", docs_path=None)

    return App()


KEY = {"X-Api-Key": "k-ann"}
BAD = {"X-Api-Key": "wrong"}


@pytest.fixture
def client() -> Any:
    with TestClient(app(auth=KeyAuth(), public=("read_many", "read_one"))) as client:
        yield client


def test_public_operations_answer_without_credentials(client: TestClient) -> None:
    assert client.get("/books").json() == [{"title": "public"}]
    assert client.get("/books/1").json() == {"title": "1 for anyone"}


def test_a_public_operation_taking_user_binds_the_caller_when_credentials_come(
    client: TestClient,
) -> None:
    assert client.get("/books/1", headers=KEY).json() == {"title": "1 for ann"}
    assert client.get("/books/1", headers=BAD).status_code == 401  # invalid is still a 401


def test_the_other_operations_still_authenticate(client: TestClient) -> None:
    assert client.post("/books", json={"title": "x"}).status_code == 401
    assert client.delete("/books/1").status_code == 401
    assert client.delete("/books/1", headers=KEY).json() == {"title": "gone"}
    created = client.post("/books", json={"title": "x"}, headers=KEY)
    assert (created.status_code, created.json()) == (201, {"title": "x by ann"})


def test_openapi_security_is_per_operation(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "security" not in paths["/books"]["get"]
    assert "401" not in paths["/books"]["get"]["responses"]
    assert paths["/books/{book_id}"]["get"]["security"] == [{"KeyAuth": []}, {}]
    assert paths["/books"]["post"]["security"] == [{"KeyAuth": []}]
    assert paths["/books/{book_id}"]["delete"]["security"] == [{"KeyAuth": []}]


def boot_error(**include: Any) -> str:
    with pytest.raises(WiringError) as caught, TestClient(app(**include)):
        pass
    return str(caught.value)


def test_public_without_auth_is_refused() -> None:
    assert "public=('read_many',) without auth=" in boot_error(public=("read_many",))


def test_an_unknown_operation_name_is_refused() -> None:
    message = boot_error(auth=KeyAuth(), public=("read_all",))
    assert "public= names 'read_all', which is not an operation it defines" in message
    assert "read_many" in message


def test_a_bare_string_is_refused() -> None:
    assert "public=('read_many',)" in boot_error(auth=KeyAuth(), public="read_many")


def test_a_public_operation_taking_a_required_user_is_refused() -> None:
    message = boot_error(auth=KeyAuth(), public=("read_one", "create"))
    assert "Books.create parameter `user` is annotated `User`" in message
    assert "annotate `user: User | None`" in message


def test_a_non_public_operation_declaring_an_optional_user_is_refused() -> None:
    message = boot_error(auth=KeyAuth(), public=("read_many",))
    assert "Books.read_one parameter `user` is annotated `User | None`" in message
    assert "or name the operation in public=" in message
