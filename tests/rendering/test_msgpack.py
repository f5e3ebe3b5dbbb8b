"""MessagePack on the wire (`BaseApp(msgpack=True)`): bodies in, negotiated bodies and
problems out, JSON the default, and nothing of it for apps that do not opt in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from msgspec import Struct

from examples.notes import App as NotesApp
from examples.notes import NewNote, Note, NoteNotFoundError, NotePath, NoteResource
from jero import BaseApp, Created, Endpoint, Problem, Resource
from jero._rendering.negotiation import prefers_msgpack
from jero.client import Client
from jero.testing import TestClient
from tests.granian_server import granian

MSGPACK = "application/msgpack"


class Item(Struct):
    name: str
    qty: int


class ItemPath(Struct):
    item_id: int


class Items(Resource, path="/items"):
    async def create(self, json: Item) -> Created[Item]:
        return Created(json)

    async def read_many(self) -> list[Item]:
        return [Item("a", 1), Item("b", 2)]

    async def read_one(self, path: ItemPath) -> Item:
        return Item(f"item-{path.item_id}", path.item_id)


class Text(Endpoint, path="/text"):
    async def get(self) -> str:
        return "plain"


def items_app(msgpack: bool) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_resource(Items())
            self._include_endpoint(Text())
            self._include_openapi(title="items", version="1")

    return App(msgpack=msgpack)


def test_a_msgpack_body_binds_and_json_answers_by_default() -> None:
    body = msgspec.msgpack.encode(Item("bolt", 3))
    with TestClient(items_app(msgpack=True)) as client:
        response = client.post("/items", content=body, headers={"content-type": MSGPACK})
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"name":"bolt","qty":3}'


@pytest.mark.parametrize("spelling", [MSGPACK, "application/x-msgpack", "application/vnd.msgpack"])
def test_accept_msgpack_gets_msgpack_bodies(spelling: str) -> None:
    with TestClient(items_app(msgpack=True)) as client:
        response = client.get("/items", headers={"accept": spelling})
    assert response.status_code == 200
    assert response.headers["content-type"] == MSGPACK
    assert response.headers["content-length"] == str(len(response.content))
    assert msgspec.msgpack.decode(response.content, type=list[Item]) == [Item("a", 1), Item("b", 2)]


def test_the_wrappers_keep_their_status_in_msgpack() -> None:
    body = msgspec.msgpack.encode(Item("nut", 9))
    headers = {"content-type": MSGPACK, "accept": MSGPACK}
    with TestClient(items_app(msgpack=True)) as client:
        response = client.post("/items", content=body, headers=headers)
    assert response.status_code == 201
    assert response.headers["content-type"] == MSGPACK
    assert msgspec.msgpack.decode(response.content, type=Item) == Item("nut", 9)


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        ("application/json, application/msgpack;q=0.9", "application/json"),
        ("application/msgpack;q=0.9, application/json;q=0.1", MSGPACK),
        ("*/*", "application/json"),
        ("application/msgpack, */*;q=0.1", MSGPACK),
        ("application/msgpack;q=0", "application/json"),
        ("application/msgpack;q=bogus", "application/json"),
        ("text/html, application/msgpack", MSGPACK),
    ],
)
def test_accept_quality_values_decide(accept: str, wanted: str) -> None:
    with TestClient(items_app(msgpack=True)) as client:
        response = client.get("/items/1", headers={"accept": accept})
    assert response.headers["content-type"] == wanted


def test_text_bodies_stay_text_whatever_is_accepted() -> None:
    with TestClient(items_app(msgpack=True)) as client:
        response = client.get("/text", headers={"accept": MSGPACK})
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "plain"


def test_errors_come_as_problem_msgpack_when_asked() -> None:
    with TestClient(items_app(msgpack=True)) as client:
        missing = client.get("/nowhere", headers={"accept": MSGPACK})
        not_found = client.get("/items/x", headers={"accept": MSGPACK})
        wrong = client.post(
            "/items",
            content=msgspec.msgpack.encode({"name": "bolt", "qty": "three"}),
            headers={"content-type": MSGPACK, "accept": MSGPACK},
        )
        malformed = client.post(
            "/items", content=b"\xc1", headers={"content-type": MSGPACK, "accept": MSGPACK}
        )
        as_json = client.get("/nowhere")
    for response, status in ((missing, 404), (not_found, 404), (wrong, 422), (malformed, 400)):
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+msgpack"
        assert msgspec.msgpack.decode(response.content, type=Problem).status == status
    assert msgspec.msgpack.decode(wrong.content, type=Problem).detail == (
        "Invalid body: Expected `int`, got `str` - at `$.qty`"
    )
    assert as_json.headers["content-type"] == "application/problem+json"


def test_an_app_that_does_not_opt_in_speaks_json_only() -> None:
    body = msgspec.msgpack.encode(Item("bolt", 3))
    with TestClient(items_app(msgpack=False)) as client:
        refused = client.post("/items", content=body, headers={"content-type": MSGPACK})
        listed = client.get("/items", headers={"accept": MSGPACK})
        document = client.get("/openapi.json").json()
    assert refused.status_code == 415
    assert refused.json()["detail"] == (
        "Expected a body of type application/json, got application/msgpack"
    )
    assert listed.headers["content-type"] == "application/json"
    assert MSGPACK not in str(document)


def test_a_msgpack_app_refuses_other_media_types_naming_both() -> None:
    with TestClient(items_app(msgpack=True)) as client:
        refused = client.post("/items", content=b"x", headers={"content-type": "text/csv"})
    assert refused.status_code == 415
    assert "application/json or application/msgpack" in refused.json()["detail"]


def test_the_openapi_document_lists_both_media_types() -> None:
    with TestClient(items_app(msgpack=True)) as client:
        document = client.get("/openapi.json").json()
    create = document["paths"]["/items"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json", MSGPACK}
    assert set(create["responses"]["201"]["content"]) == {"application/json", MSGPACK}
    read_one = document["paths"]["/items/{item_id}"]["get"]
    assert set(read_one["responses"]["404"]["content"]) == {
        "application/problem+json",
        "application/problem+msgpack",
    }
    text = document["paths"]["/text"]["get"]
    assert set(text["responses"]["200"]["content"]) == {"text/plain"}


def test_prefers_msgpack_joins_repeated_accept_lines() -> None:
    headers = [(b"accept", b"application/json;q=0.2"), (b"accept", b"application/msgpack")]
    assert prefers_msgpack(headers)
    assert not prefers_msgpack([(b"accept", b"application/json")])
    assert not prefers_msgpack([])


class MsgpackNotes(NotesApp):
    def __init__(self) -> None:
        super().__init__(msgpack=True)


def test_the_typed_client_speaks_msgpack_both_ways() -> None:
    seen: list[str] = []
    with (
        TestClient(
            MsgpackNotes(),
            event_hooks={"response": [lambda r: seen.append(r.headers["content-type"])]},
        ) as http,
        Client(NoteResource, http=http, msgpack=True) as client,
    ):
        created = client.call(NoteResource.create, json=NewNote("packed"))
        assert created.json == Note(1, "packed", [])
        assert client.call(NoteResource.read_one, path=NotePath(1)) == Note(1, "packed", [])
        with pytest.raises(NoteNotFoundError):
            client.call(NoteResource.read_one, path=NotePath(2))
    assert seen == [MSGPACK, MSGPACK, "application/problem+msgpack"]


msgpack_notes = MsgpackNotes()


@pytest.mark.server
def test_msgpack_over_real_granian() -> None:
    with (
        granian("tests.rendering.test_msgpack:msgpack_notes") as server,
        Client(NoteResource, base_url=server.url, msgpack=True) as client,
    ):
        created = client.call(NoteResource.create, json=NewNote("wire"))
        assert client.call(NoteResource.read_one, path=NotePath(created.json.id)) == created.json
        raw = client.http.get(f"/notes/{created.json.id}", headers={"accept": MSGPACK})
        assert raw.headers["content-type"] == MSGPACK


@pytest.mark.bench
def test_the_msgpack_benchmark_runs_and_prints_every_row() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.msgpack_json", "--requests", "3", "--rounds", "1"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = [line.split("  ")[0] for line in done.stdout.splitlines()[1:]]
    assert rows == [
        "GET 1,000 items (json)",
        "POST 1,000 items (json)",
        "GET 1,000 items (msgpack)",
        "POST 1,000 items (msgpack)",
    ]
