"""`WebSocketRoutes`: an app's WebSocket routes and the sockets open on them.

WebSocket routes live in their own `RouteTrie`, apart from the HTTP router: a
`websocket` scope is looked up here only, so a socket may share its path with an HTTP
route and neither costs the other anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from .._asgi import Receive, Scope, Send
from .._errors import NotFoundError, ServiceUnavailableError, WiringError
from .._rendering.negotiation import ProblemSender, send_json_problem
from .._routing.trie import RouteTrie
from .session import Session, deny
from .wiring import SocketPlan

__all__ = ["ActiveSockets", "SocketLayer", "WebSocketRoutes"]

type SocketSession = Callable[[Receive, Send], Awaitable[None]]
type SocketLayer = Callable[[Scope, Receive, Send, SocketSession], Awaitable[None]]
"""`await layer(scope, receive, send, session)`: runs `session(receive, send)` (the whole
session) inside whatever it adds around it, such as a trace span."""

_NOT_FOUND = NotFoundError()
_NOT_READY = ServiceUnavailableError()


class ActiveSockets:
    """The sessions open right now, so shutdown can close them (1001) and wait for
    their `disconnect` hooks before the app's services close."""

    __slots__ = ("_closing", "_drained", "_open")

    def __init__(self) -> None:
        self._open: dict[Session, anyio.CancelScope] = {}
        self._closing = False
        self._drained: anyio.Event | None = None

    def __len__(self) -> int:
        return len(self._open)

    async def run(self, session: Session) -> None:
        with anyio.CancelScope() as scope:
            if self._closing:
                session.going_away()
                scope.cancel()
            self._open[session] = scope
            try:
                await session.run()
            finally:
                del self._open[session]
                if self._drained is not None and not self._open:
                    self._drained.set()

    async def close(self) -> None:
        """Close every open socket with 1001 and wait until each has torn down."""
        self._closing = True
        if not self._open:
            return
        self._drained = anyio.Event()
        for session, scope in list(self._open.items()):
            session.going_away()
            scope.cancel()
        await self._drained.wait()


class WebSocketRoutes:
    """Collects socket plans while the app wires; serves `websocket` scopes."""

    __slots__ = ("_layers", "_plans", "_problem", "_trie", "sockets")

    def __init__(self, problem: ProblemSender = send_json_problem) -> None:
        """`problem` is how the app answers errors (a refused handshake's response)."""
        self._problem = problem
        self._trie: RouteTrie[SocketPlan] = RouteTrie()
        self._plans: list[SocketPlan] = []
        self._layers: dict[int, SocketLayer] = {}
        self.sockets = ActiveSockets()

    def add(self, plan: SocketPlan, layer: SocketLayer | None = None) -> None:
        """Wire `plan`; `layer` (telemetry) runs around each of its sessions."""
        node = self._trie.node_for(plan.template.segments)
        clash = node.value
        if clash is not None:
            raise WiringError(
                f"{plan.owner.__qualname__}: the WebSocket path {plan.path} clashes with "
                f"{clash.owner.__qualname__} ({clash.path}): same path shape; give one of "
                f"them a different path"
            )
        self._trie.insert(plan.template.segments, plan)
        self._plans.append(plan)
        if layer is not None:
            self._layers[id(plan)] = layer

    def plans(self) -> list[SocketPlan]:
        """Every wired socket, in wiring order."""
        return list(self._plans)

    async def serve(self, scope: Scope, receive: Receive, send: Send, ready: bool) -> None:
        """One `websocket` scope, from `websocket.connect` to its teardown."""
        sockets = self.sockets  # the generation this connection belongs to
        if (await receive())["type"] != "websocket.connect":
            return
        found = self._trie.lookup(_routed_path(scope)) if ready else None
        if found is None:
            await deny(scope, send, _NOT_FOUND if ready else _NOT_READY, self._problem)
            return
        plan, values = found
        layer = self._layers.get(id(plan)) if self._layers else None
        if layer is None:
            await sockets.run(Session(plan, scope, receive, send, values, problem=self._problem))
            return

        async def session(receive: Receive, send: Send) -> None:
            await sockets.run(Session(plan, scope, receive, send, values, problem=self._problem))

        await layer(scope, receive, send, session)

    async def close(self) -> None:
        """At shutdown: close the open sockets, then forget the routes (the next startup
        wires them again)."""
        sockets = self.sockets
        self._trie = RouteTrie()
        self._plans = []
        self._layers = {}
        self.sockets = ActiveSockets()
        await sockets.close()


def _routed_path(scope: Scope) -> str:
    """The path seen from the app's mount point, as for HTTP routes."""
    path: str = scope["path"]
    root: Any = scope.get("root_path")
    if root and path.startswith(root):
        rest = path[len(root) :]
        if not rest or rest[0] == "/":
            return rest or "/"
    return path
