"""Chat rooms over WebSockets: every message a member posts fans out to the room.

Serve it with `uv run granian --interface asgi examples.chat:app`, then connect to
`ws://127.0.0.1:8000/rooms/lobby/ws?nick=ana` and send `{"type": "post", "text": "hi"}`.
The AsyncAPI document is at /asyncapi.json.

Rooms live in memory, per process: members connected to different workers of
`--workers 2` do not see each other. Serve it with one worker, or fan posts out through a
shared broker (Redis pub/sub, PostgreSQL LISTEN/NOTIFY).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Annotated

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream, TaskGroup
from msgspec import Meta, Struct

from jero import BaseApp, WebSocket, WebSocketEndpoint, WebSocketLimits

OUTBOX = 256
"""Events waiting for one member; a member this far behind is a slow consumer."""
SLOW_CONSUMER = 1008


class RoomPath(Struct):
    room_id: str


class Member(Struct):
    nick: Annotated[str, Meta(min_length=1, max_length=40)]


class Post(Struct, tag="post"):
    text: Annotated[str, Meta(max_length=2000)]


class Posted(Struct, tag="posted"):
    nick: str
    text: str


class Joined(Struct, tag="joined"):
    nick: str
    members: int


class Left(Struct, tag="left"):
    nick: str


type Event = Posted | Joined | Left


@dataclass
class Seat:
    nick: str
    outbox: ObjectSendStream[Event]


class Rooms:
    """Who is in which room; one instance shared by every socket of the app.

    Each member has an outbox (a bounded queue) and a task that writes it to their
    socket, so a broadcast only drops the event into every outbox: a slow reader delays
    only itself. A member whose outbox is full is a slow consumer and is closed with
    1008 (jero's `send_timeout` closes one whose socket stops taking messages), so what
    the room holds for anyone stays bounded: OUTBOX events of at most 2,000 characters.
    """

    def __init__(self, writers: TaskGroup) -> None:
        self.members: defaultdict[str, dict[WebSocket[Event], Seat]] = defaultdict(dict)
        self._writers = writers

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls) -> AsyncGenerator[Rooms]:
        async with anyio.create_task_group() as writers:
            yield cls(writers)
            writers.cancel_scope.cancel()

    def join(self, room: str, socket: WebSocket[Event], nick: str) -> int:
        outbox, pending = anyio.create_memory_object_stream[Event](OUTBOX)
        self.members[room][socket] = Seat(nick, outbox)
        self._writers.start_soon(self._write, socket, pending)
        return len(self.members[room])

    def leave(self, room: str, socket: WebSocket[Event]) -> str:
        seat = self.members[room].pop(socket)
        seat.outbox.close()
        if not self.members[room]:
            del self.members[room]
        return seat.nick

    def broadcast(self, room: str, event: Event) -> None:
        for socket, seat in list(self.members.get(room, {}).items()):
            try:
                seat.outbox.send_nowait(event)
            except anyio.WouldBlock:
                self._writers.start_soon(socket.close, SLOW_CONSUMER, "too slow to follow the room")
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                pass  # leaving: the socket closed, its writer is gone

    @staticmethod
    async def _write(socket: WebSocket[Event], pending: ObjectReceiveStream[Event]) -> None:
        async with pending:
            async for event in pending:
                if not await socket.send(event):
                    return  # closed, or too slow to take it within the send timeout


class ChatSocket(WebSocketEndpoint, path="/rooms/{room_id}/ws", summary="A chat room"):
    def __init__(self, rooms: Rooms) -> None:
        self.rooms = rooms

    async def connect(self, path: RoomPath, params: Member, socket: WebSocket[Event]) -> None:
        members = self.rooms.join(path.room_id, socket, params.nick)
        self.rooms.broadcast(path.room_id, Joined(params.nick, members))

    async def receive(self, message: Post, path: RoomPath, socket: WebSocket[Event]) -> None:
        nick = self.rooms.members[path.room_id][socket].nick
        self.rooms.broadcast(path.room_id, Posted(nick, message.text))

    async def disconnect(self, path: RoomPath, socket: WebSocket[Event], code: int) -> None:
        nick = self.rooms.leave(path.room_id, socket)
        self.rooms.broadcast(path.room_id, Left(nick))


class App(BaseApp):
    async def _wire(self) -> None:
        rooms = await self._aenter(Rooms.open())
        # Posts are small: a client cannot make the server hold big messages for it.
        limits = WebSocketLimits(max_message_size=16 * 1024, max_queued_bytes=256 * 1024)
        self._include_websocket(ChatSocket(rooms), limits=limits)
        self._include_asyncapi(title="Chat", version="1.0.0")


app = App()
