"""examples/chat.py served by real granian processes sharing one Redis: a message posted
by a client of one worker, or of one server, reaches the clients of the others; a
server killed with SIGKILL leaves the others' rooms working."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import anyio
import msgspec
import pytest

from examples.chat import Event, Joined, Post, Posted
from tests.granian_server import WAIT_SECONDS, GranianProcess, granian
from tests.processes import stop
from tests.redis_server import RedisServer

pytestmark = pytest.mark.server


websockets = pytest.importorskip("websockets")
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402

_decode = msgspec.json.Decoder(Event).decode


def _text(post: Post) -> str:
    """A JSON text frame (a binary frame would be read as MessagePack)."""
    return msgspec.json.encode(post).decode()


def ws_url(server: GranianProcess, room: str, nick: str) -> str:
    return f"{server.url.replace('http://', 'ws://')}/rooms/{room}/ws?nick={nick}"


async def joined(ws: ClientConnection, nick: str) -> Joined:
    """Read until the socket's own `Joined` arrived (it is subscribed from then on)."""
    while True:
        event = _decode(await ws.recv())
        if isinstance(event, Joined) and event.nick == nick:
            return event


async def posts(ws: ClientConnection, count: int) -> list[tuple[str, str]]:
    """The next `count` Posted events as (nick, text), Joined / Left ones skipped."""
    found: list[tuple[str, str]] = []
    while len(found) < count:
        event = _decode(await ws.recv())
        if isinstance(event, Posted):
            found.append((event.nick, event.text))
    return found


@pytest.fixture
def two_servers(redis: RedisServer) -> Iterator[tuple[GranianProcess, GranianProcess]]:
    """Two granian instances of the chat ("two machines") sharing one Redis."""
    yield from _two_servers(redis.url)


def _two_servers(url: str) -> Iterator[tuple[GranianProcess, GranianProcess]]:
    with ExitStack() as stack:
        env = {"CHANNELS_URL": url}
        yield (
            stack.enter_context(granian("examples.chat:app", env)),
            stack.enter_context(granian("examples.chat:app", env)),
        )


@pytest.fixture(params=["redis", "postgres"])
def broker_url(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        return request.getfixturevalue("redis").url
    return request.getfixturevalue("postgres").url()


def test_a_post_on_one_server_reaches_the_members_on_the_other(broker_url: str) -> None:
    with contextlib.ExitStack() as stack:
        one, two = stack.enter_context(contextlib.contextmanager(_two_servers)(broker_url))
        _post_across(one, two)


def _post_across(one: GranianProcess, two: GranianProcess) -> None:

    async def main() -> dict[str, list[tuple[str, str]]]:
        with anyio.fail_after(WAIT_SECONDS):
            async with (
                connect(ws_url(one, "lobby", "ana")) as ana,
                connect(ws_url(two, "lobby", "bob")) as bob,
                connect(ws_url(one, "lobby", "cat")) as cat,
                connect(ws_url(two, "other", "eve")) as eve,
            ):
                for ws, nick in ((ana, "ana"), (bob, "bob"), (cat, "cat"), (eve, "eve")):
                    await joined(ws, nick)
                await bob.send(_text(Post("from two")))
                await ana.send(_text(Post("from one")))
                await eve.send(_text(Post("elsewhere")))
                return {
                    "ana": await posts(ana, 2),
                    "bob": await posts(bob, 2),
                    "cat": await posts(cat, 2),
                    "eve": await posts(eve, 1),
                }

    received = anyio.run(main)
    lobby = {("bob", "from two"), ("ana", "from one")}
    for nick in ("ana", "bob", "cat"):
        assert set(received[nick]) == lobby, nick
    assert received["eve"] == [("eve", "elsewhere")]


def test_on_two_workers_every_member_gets_every_post(redis: RedisServer) -> None:
    """Members join until both workers hold some (read from /proc); then a post from the
    first and one from the last reach every member, whichever worker serves it."""

    async def main() -> tuple[list[int], list[list[tuple[str, str]]]]:
        with granian("examples.chat:app", {"CHANNELS_URL": redis.url}, workers=2) as server:
            # The second worker may still be starting, and a busy first one takes the
            # accepts meanwhile: members keep joining (at most 64) until both hold some.
            with anyio.fail_after(WAIT_SECONDS * 4):
                sockets: list[ClientConnection] = []
                owners: list[int] = []
                try:
                    while (len(set(owners)) < 2 or len(sockets) < 4) and len(sockets) < 64:
                        ws = await connect(ws_url(server, "lobby", f"m{len(sockets)}"))
                        sockets.append(ws)
                        await joined(ws, f"m{len(sockets) - 1}")
                        owners = _worker_of_each(server, sockets)
                    await sockets[0].send(_text(Post("to all")))
                    await sockets[-1].send(_text(Post("back")))
                    return owners, [await posts(ws, 2) for ws in sockets]
                finally:
                    for ws in sockets:
                        await ws.close()

    owners, received = anyio.run(main)
    last = len(received) - 1
    assert len(set(owners)) == 2
    for got in received:
        assert sorted(got) == sorted([("m0", "to all"), (f"m{last}", "back")])
    print(f"{len(owners)} members, {owners.count(owners[0])} on the first one's worker")


def test_a_server_killed_with_sigkill_leaves_the_other_one_working(
    two_servers: tuple[GranianProcess, GranianProcess],
) -> None:
    one, two = two_servers

    async def main() -> list[tuple[str, str]]:
        with anyio.fail_after(WAIT_SECONDS):
            async with (
                connect(ws_url(one, "lobby", "ana")) as ana,
                connect(ws_url(two, "lobby", "bob")) as bob,
                connect(ws_url(two, "lobby", "cat")) as cat,
            ):
                for ws, nick in ((ana, "ana"), (bob, "bob"), (cat, "cat")):
                    await joined(ws, nick)
                stop(one.process, signal.SIGKILL)
                await bob.send(_text(Post("still here")))
                return [*await posts(bob, 1), *await posts(cat, 1)]

    assert anyio.run(main) == [("bob", "still here")] * 2


def _worker_of_each(server: GranianProcess, sockets: list[ClientConnection]) -> list[int]:
    """The granian worker pid serving each client socket, from /proc: the server-side
    TCP entry whose peer is the client's port, and the worker holding its inode."""
    port = int(server.url.rsplit(":", 1)[1])
    inodes: dict[int, str] = {}  # client port → inode of the server's end
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == port and inode != "0":
            inodes[int(remote.split(":")[1], 16)] = inode
    owners: dict[str, int] = {}
    for child in Path(f"/proc/{server.process.pid}/task").glob("*/children"):
        for pid in map(int, child.read_text().split()):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        owners[target[8:-1]] = pid
    return [owners[inodes[ws.local_address[1]]] for ws in sockets]


def test_a_worker_killed_with_sigkill_leaves_the_other_workers_members_talking(
    redis: RedisServer,
) -> None:
    env = {
        "CHANNELS_URL": redis.url,
        "GRANIAN_RESPAWN_FAILED_WORKERS": "true",  # as a deployment runs granian
        "GRANIAN_RESPAWN_INTERVAL": "0.2",
    }

    async def main() -> tuple[int, int, list[list[tuple[str, str]]], list[tuple[str, str]]]:
        with granian("examples.chat:app", env, workers=2) as server:
            with anyio.fail_after(WAIT_SECONDS * 2):
                sockets: list[ClientConnection] = []
                owners: list[int] = []
                # Until both workers hold a member (the kernel picks the worker).
                while len(set(owners)) < 2 and len(sockets) < 40:
                    ws = await connect(ws_url(server, "lobby", f"m{len(sockets)}"))
                    await joined(ws, f"m{len(sockets)}")
                    sockets.append(ws)
                    owners = _worker_of_each(server, sockets)
                assert len(set(owners)) == 2, owners
                victim = owners[0]
                os.kill(victim, signal.SIGKILL)
                doomed = [ws for ws, pid in zip(sockets, owners, strict=True) if pid == victim]
                alive = [ws for ws, pid in zip(sockets, owners, strict=True) if pid != victim]
                for ws in doomed:
                    with pytest.raises(ConnectionClosed):
                        while True:
                            await ws.recv()
                await alive[0].send(_text(Post("after the kill")))
                heard = [await posts(ws, 1) for ws in alive]
                # A newcomer (served by the survivor or the respawned worker) is heard.
                async with connect(ws_url(server, "lobby", "new")) as newcomer:
                    await joined(newcomer, "new")
                    await newcomer.send(_text(Post("hello again")))
                    late = await posts(alive[0], 1)
                for ws in alive:
                    await ws.close()
                return len(doomed), len(alive), heard, late

    doomed, alive, heard, late = anyio.run(main)
    print(f"killed a worker holding {doomed} members; {alive} on the other one")
    # Every member of the surviving worker heard the post (one of them made it).
    assert len(heard) == alive and all(got == heard[0] for got in heard)
    assert heard[0][0][1] == "after the kill"
    assert late == [("new", "hello again")]


def test_redis_restarted_under_two_servers_the_rooms_recover_by_themselves(
    two_servers: tuple[GranianProcess, GranianProcess], redis: RedisServer
) -> None:
    """During the outage a post closes the poster with 4503 (channel-unavailable);
    members who stayed connected hear the room again once Redis is back, untouched."""
    one, two = two_servers

    async def main() -> tuple[tuple[int, str], list[tuple[str, str]], int]:
        with anyio.fail_after(WAIT_SECONDS * 2):
            async with (
                connect(ws_url(one, "lobby", "ana")) as ana,
                connect(ws_url(two, "lobby", "bob")) as bob,
            ):
                await joined(ana, "ana")
                await joined(bob, "bob")
                await anyio.to_thread.run_sync(lambda: redis.stop(kill=True))
                await ana.send(_text(Post("into the void")))
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await ana.recv()
                frame = closed.value.rcvd
                refused = (frame.code, frame.reason) if frame else (0, "")
                await anyio.to_thread.run_sync(redis.start)
                # Server one's publisher and server two's listener reconnect on their
                # own; cat posts until bob, connected all along, hears it.
                attempts = 0
                async with await _rejoin(one, "cat") as cat:
                    while True:
                        attempts += 1
                        await cat.send(_text(Post(f"back {attempts}")))
                        with anyio.move_on_after(0.5):
                            heard = await posts(bob, 1)
                            break
                    await cat.send(_text(Post("and again")))
                    heard += await posts(bob, 1)
                return refused, heard, attempts

    refused, heard, attempts = anyio.run(main)
    print(f"bob heard the room again after {attempts} post(s)")
    assert refused == (4503, "channel-unavailable")
    assert heard[-1] == ("cat", "and again")
    assert heard[0][0] == "cat" and heard[0][1].startswith("back ")


async def _rejoin(server: GranianProcess, nick: str) -> ClientConnection:
    """Connect until the server hears its own member join (its broker is back)."""
    while True:
        try:
            ws = await connect(ws_url(server, "lobby", nick))
        except InvalidStatus:  # 503 while the server cannot publish yet
            await anyio.sleep(0.2)
            continue
        with anyio.move_on_after(1.0):
            await joined(ws, nick)
            return ws
        await ws.close()


def test_a_member_that_never_reads_does_not_hold_back_the_room() -> None:
    """A client that stops reading fills its TCP buffers and then its channel buffer;
    the room goes on: another member gets all 200 posts of 20 kB, in order."""
    text = "x" * 20_000

    async def main() -> tuple[list[tuple[str, str]], int]:
        with granian("examples.chat:app") as server:
            with anyio.fail_after(WAIT_SECONDS * 2):
                async with (
                    connect(
                        ws_url(server, "lobby", "sloth"), max_queue=1, close_timeout=0.5
                    ) as sloth,
                    connect(ws_url(server, "lobby", "fast")) as fast,
                    # The poster reads none of its own posts: an unbounded client queue
                    # lets it still see the close frame at the end.
                    connect(ws_url(server, "lobby", "poster"), max_queue=None) as poster,
                ):
                    await joined(sloth, "sloth")  # and never reads again
                    await joined(fast, "fast")
                    for n in range(200):
                        await poster.send(_text(Post(f"{n} {text}")))
                    got = await posts(fast, 200)
                    return [(nick, body.split()[0]) for nick, body in got], len(got)

    got, count = anyio.run(main)
    assert count == 200
    assert got == [("poster", str(n)) for n in range(200)]
