"""examples/chat.py: a room fan-out, and the AsyncAPI document describing it."""

from __future__ import annotations

import pytest
from msgspec import Struct

from examples.chat import App, Event, Joined, Left, Post, Posted
from jero import BaseApp, BearerAuth, WebSocket, WebSocketEndpoint
from jero.testing import TestClient


def test_posts_fan_out_to_every_member_of_the_room_and_only_that_room() -> None:
    with (
        TestClient(App()) as client,
        client.websocket_connect("/rooms/lobby/ws?nick=ana") as ana,
        client.websocket_connect("/rooms/lobby/ws?nick=bob") as bob,
        client.websocket_connect("/rooms/other/ws?nick=eve") as eve,
    ):
        assert ana.receive(Event) == Joined("ana", 1)
        assert ana.receive(Event) == Joined("bob", 2)
        assert bob.receive(Event) == Joined("bob", 2)
        assert eve.receive(Event) == Joined("eve", 1)
        bob.send(Post("hi all"))
        assert ana.receive(Event) == Posted("bob", "hi all")
        assert bob.receive(Event) == Posted("bob", "hi all")
        bob.close()
        assert ana.receive(Event) == Left("bob")
        eve.send(Post("anyone?"))
        assert eve.receive(Event) == Posted("eve", "anyone?")
        ana.send(Post("still here"))
        assert ana.receive(Event) == Posted("ana", "still here")


def test_the_asyncapi_document_describes_the_channel_and_both_directions() -> None:
    with TestClient(App()) as client:
        response = client.get("/asyncapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["asyncapi"] == "3.0.0"
    assert document["info"] == {"title": "Chat", "version": "1.0.0"}
    channel = document["channels"]["ChatSocket"]
    assert channel["address"] == "/rooms/{room_id}/ws"
    assert channel["parameters"] == {"room_id": {}}
    assert channel["bindings"]["ws"]["query"] == {"$ref": "#/components/schemas/Member"}
    assert set(channel["messages"]) == {"Post", "Posted", "Joined", "Left"}
    receive, send = (
        document["operations"]["ChatSocket.receive"],
        document["operations"]["ChatSocket.send"],
    )
    assert receive["action"] == "receive" and send["action"] == "send"
    assert receive["messages"] == [{"$ref": "#/channels/ChatSocket/messages/Post"}]
    assert [m["$ref"].rsplit("/", 1)[1] for m in send["messages"]] == ["Posted", "Joined", "Left"]
    schemas = document["components"]["schemas"]
    assert schemas["Posted"]["properties"]["type"] == {"enum": ["posted"]}
    assert schemas["Member"]["required"] == ["nick"]
    # Every $ref resolves inside the document.
    for ref in _refs(document):
        node = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_an_http_request_to_the_socket_path_is_a_404() -> None:
    with TestClient(App()) as client:
        assert client.get("/rooms/lobby/ws").status_code == 404


class Caller(Struct):
    x_client_id: str


class Whoami(Struct):
    name: str


class Token(BearerAuth[Whoami]):
    async def resolve_token(self, token: str) -> Whoami:
        return Whoami(token)


class Raw(WebSocketEndpoint, path="/raw"):
    async def receive(self, message: bytes, headers: Caller, socket: WebSocket[bytes]) -> None:
        await socket.send(message)


def test_headers_raw_frames_and_auth_are_described_too() -> None:
    class Described(BaseApp):
        async def _wire(self) -> None:
            self._include_websocket(Raw(), auth=Token())
            self._include_asyncapi(title="Raw", version="2", path="/ws.json")

    with TestClient(Described()) as client:
        document = client.get("/ws.json").json()
    channel = document["channels"]["Raw"]
    assert channel["bindings"]["ws"]["headers"] == {
        "type": "object",
        "properties": {"x-client-id": {"type": "string"}},
        "required": ["x-client-id"],
    }
    assert channel["messages"]["bytes"] == {
        "name": "bytes",
        "contentType": "application/octet-stream",
        "payload": {"type": "string", "format": "binary"},
    }
    assert document["components"]["securitySchemes"] == {
        "Token": {"type": "http", "scheme": "bearer"}
    }
    security = [{"$ref": "#/components/securitySchemes/Token"}]
    assert document["operations"]["Raw.receive"]["security"] == security


def test_the_document_is_built_at_startup_so_a_failure_refuses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jero._websockets import asyncapi

    def cannot_describe(*args: object) -> dict[str, object]:
        raise ValueError("no schema for this message type")

    monkeypatch.setattr(asyncapi, "build_asyncapi", cannot_describe)
    with pytest.raises(ValueError, match="no schema for this message type"), TestClient(App()):
        pass
