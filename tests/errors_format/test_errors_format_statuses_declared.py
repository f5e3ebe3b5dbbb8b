"""A declared success status (`OperationMeta(status=...)`) is what every tool sees."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from jero import BaseApp, Created, Endpoint, JSONResponse, OperationMeta, Resource, WiringError
from jero._cli.framework import route_rows
from jero.client import Client
from jero.testing import TestClient


class Comment(msgspec.Struct):
    body: str


class CommentPath(msgspec.Struct):
    slug: str


class Comments(
    Resource,
    path="/articles/{slug}/comments",
    meta_create=OperationMeta(status=200),
):
    async def create(self, path: CommentPath, json: Comment) -> Comment:
        return json


class Receipts(Resource, path="/receipts", meta_create=OperationMeta(status=202)):
    async def create(self, json: Comment) -> Created[Comment] | JSONResponse[Comment]:
        if json.body == "created":
            return Created(json)
        return JSONResponse(json)


class Runtime(Endpoint, path="/runtime"):
    async def post(self, json: Comment) -> JSONResponse[Comment]:
        return JSONResponse(json, status_code=203 if json.body == "odd" else None)


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_resource(Comments())
        self._include_resource(Receipts())
        self._include_endpoint(Runtime())
        self._include_openapi(title="t", version="1")


APP = App()


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(APP) as client:
        yield client


def test_the_answer_uses_the_declared_status(client: TestClient) -> None:
    response = client.post("/articles/a/comments", json={"body": "hi"})
    assert response.status_code == 200
    assert response.json() == {"body": "hi"}


def test_wrappers_keep_their_own_status_and_plain_members_take_the_declared(
    client: TestClient,
) -> None:
    assert client.post("/receipts", json={"body": "created"}).status_code == 201
    assert client.post("/receipts", json={"body": "queued"}).status_code == 202


def test_jero_routes_shows_it(client: TestClient) -> None:
    rows = {(r.method, r.path): r.statuses for r in route_rows(APP)}
    assert rows[("POST", "/articles/{slug}/comments")] == "200"
    assert rows[("POST", "/receipts")] == "201, 202"


def test_openapi_shows_it(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert [s for s in paths["/articles/{slug}/comments"]["post"]["responses"] if s < "400"] == [
        "200"
    ]
    assert [s for s in paths["/receipts"]["post"]["responses"] if s < "400"] == ["201", "202"]


def test_the_typed_client_reads_it(client: TestClient) -> None:
    typed = Client(Comments, Receipts, http=client)
    assert typed.call(Comments.create, path=CommentPath("a"), json=Comment("x")) == Comment("x")
    created = typed.call(Receipts.create, json=Comment("created"))
    assert isinstance(created, Created)
    queued = typed.call(Receipts.create, json=Comment("queued"))
    assert isinstance(queued, JSONResponse)
    assert queued.status_code == 202


def test_a_runtime_status_code_is_sent_as_is_and_undocumented(client: TestClient) -> None:
    assert client.post("/runtime", json={"body": "odd"}).status_code == 203
    assert client.post("/runtime", json={"body": "even"}).status_code == 200
    responses = client.get("/openapi.json").json()["paths"]["/runtime"]["post"]["responses"]
    assert "203" not in responses


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (404, "a declared success status is 200-299"),
        (True, "a declared success status is 200-299"),
        ("200", "a declared success status is 200-299"),
        (204, "a 204 has no body; return NoContent"),
    ],
)
def test_a_status_that_is_not_a_success_with_a_body_is_refused(status: Any, message: str) -> None:
    with pytest.raises(WiringError, match=message):
        OperationMeta(status=status)
