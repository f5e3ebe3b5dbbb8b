"""Chat rooms over WebSockets: every message a member posts fans out to the room, on
every worker and every machine that serves the app.

Serve it with `uv run granian --interface asgi examples.chat:app`, then connect to
`ws://127.0.0.1:8000/rooms/lobby/ws?nick=ana` and send `{"type": "post", "text": "hi"}`.
The AsyncAPI document is at /asyncapi.json.

Rooms are a channel: each socket subscribes to its room's key, and every event is
published to it. With `CHANNELS_URL=redis://127.0.0.1:6379/0` (or a PostgreSQL URL)
the channel spans every process sharing that broker (`--workers 2`, or several
machines behind a load balancer); without it the rooms live in memory, per process.
While the broker is unreachable a post closes the poster's socket with 4503 (the
`channel-unavailable` problem) and a new member is refused with 503; members already
in a room stay connected and hear the room again once the broker is back.
"""

import contextlib
import os

from msgspec import Struct

from jero import (
    BaseApp,
    Channel,
    ChannelUnavailableError,
    Subscription,
    WebSocket,
    WebSocketEndpoint,
    backend_from_url,
)


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
    """Members of the room connected to the server the joiner connected to."""


class Left(Struct, tag="left"):
    nick: str


type Event = Posted | Joined | Left


class ChatSocket(WebSocketEndpoint, path="/rooms/{room_id}/ws", summary="A chat room"):
    def __init__(self, rooms: Channel[Event]) -> None:
        self.rooms = rooms
        # What this socket subscribes to; checked against WebSocket[Event] at wiring.
        self.room_feed = rooms.feed()
        # This server's sockets: who they are and their subscription to the room.
        self.members: dict[WebSocket[Event], tuple[str, Subscription[Event]]] = {}
        self.here: dict[str, int] = {}

    async def connect(self, path: RoomPath, params: Member, socket: WebSocket[Event]) -> None:
        # Subscribed before the first publish, so the joiner sees its own `Joined`.
        subscription = await self.room_feed.attach(socket, path.room_id)
        self.members[socket] = (params.nick, subscription)
        here = self.here[path.room_id] = self.here.get(path.room_id, 0) + 1
        await self.rooms.publish(Joined(params.nick, here), key=path.room_id)

    async def receive(self, message: Post, path: RoomPath, socket: WebSocket[Event]) -> None:
        nick, _ = self.members[socket]
        await self.rooms.publish(Posted(nick, message.text), key=path.room_id)

    async def disconnect(self, path: RoomPath, socket: WebSocket[Event], code: int) -> None:
        nick, subscription = self.members.pop(socket)
        await subscription.aclose()
        if here := self.here[path.room_id] - 1:
            self.here[path.room_id] = here
        else:
            del self.here[path.room_id]
        # While the broker is away the others cannot hear of it anyway: nothing to do.
        with contextlib.suppress(ChannelUnavailableError):
            await self.rooms.publish(Left(nick), key=path.room_id)


class App(BaseApp):
    async def _wire(self) -> None:
        channels = await self._create_channels(
            backend=backend_from_url(os.environ.get("CHANNELS_URL"))
        )
        rooms: Channel[Event] = channels.channel("rooms", Event)
        self._include_websocket(ChatSocket(rooms))
        self._include_asyncapi(title="Chat", version="1.0.0")


app = App()
