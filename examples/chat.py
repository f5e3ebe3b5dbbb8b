"""Chat rooms over WebSockets: every message a member posts fans out to the room.

Serve it with `uv run granian --interface asgi examples.chat:app`, then connect to
`ws://127.0.0.1:8000/rooms/lobby/ws?nick=ana` and send `{"type": "post", "text": "hi"}`.
The AsyncAPI document is at /asyncapi.json.

Rooms live in memory, per process: members connected to different workers of
`--workers 2` do not see each other. Serve it with one worker, or fan posts out through a
shared broker (Redis pub/sub, PostgreSQL LISTEN/NOTIFY).
"""

from collections import defaultdict

import anyio
from msgspec import Struct

from jero import BaseApp, WebSocket, WebSocketEndpoint


class RoomPath(Struct):
    room_id: str


class Member(Struct):
    nick: str


class Post(Struct, tag="post"):
    text: str


class Posted(Struct, tag="posted"):
    nick: str
    text: str


class Joined(Struct, tag="joined"):
    nick: str
    members: int


class Left(Struct, tag="left"):
    nick: str


type Event = Posted | Joined | Left


class Rooms:
    """Who is in which room; one instance shared by every socket of the app."""

    def __init__(self) -> None:
        self.members: defaultdict[str, dict[WebSocket[Event], str]] = defaultdict(dict)

    async def broadcast(self, room: str, event: Event) -> None:
        # Each member gets its copy concurrently: a slow reader delays only itself.
        async with anyio.create_task_group() as group:
            for socket in list(self.members[room]):
                group.start_soon(socket.send, event)


class ChatSocket(WebSocketEndpoint, path="/rooms/{room_id}/ws", summary="A chat room"):
    def __init__(self, rooms: Rooms) -> None:
        self.rooms = rooms

    async def connect(self, path: RoomPath, params: Member, socket: WebSocket[Event]) -> None:
        room = self.rooms.members[path.room_id]
        room[socket] = params.nick
        await self.rooms.broadcast(path.room_id, Joined(params.nick, len(room)))

    async def receive(self, message: Post, path: RoomPath, socket: WebSocket[Event]) -> None:
        nick = self.rooms.members[path.room_id][socket]
        await self.rooms.broadcast(path.room_id, Posted(nick, message.text))

    async def disconnect(self, path: RoomPath, socket: WebSocket[Event], code: int) -> None:
        room = self.rooms.members[path.room_id]
        nick = room.pop(socket)
        if room:
            await self.rooms.broadcast(path.room_id, Left(nick))
        else:
            del self.rooms.members[path.room_id]


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_websocket(ChatSocket(Rooms()))
        self._include_asyncapi(title="Chat", version="1.0.0")


app = App()
