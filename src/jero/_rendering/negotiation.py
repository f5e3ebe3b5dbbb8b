"""MessagePack on the wire for apps that opt in (`BaseApp(msgpack=True)`).

JSON stays the default. A request whose `Accept` prefers `application/msgpack` gets its
Struct bodies as MessagePack, and its problem documents as `application/problem+msgpack`.
Both encoders are built at wiring; per request the route reads one header and picks.
Routes of an app that does not opt in keep their JSON-only path and pay nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec

from .._asgi import HeaderList, Receive, Scope, Send
from .._errors import HTTPError
from .._headers import quality_values
from .._media import MSGPACK_MEDIA_TYPES
from .._plan import Encoder, Invoker, Rendered, RenderPlan
from .encoders import problem_headers, responder_for, send_body, send_problem

PROBLEM_MSGPACK = b"application/problem+msgpack"

_ACCEPT = b"accept"
_encode_msgpack = msgspec.msgpack.Encoder().encode


class MsgpackReply:
    """A handler's result on its way to the MessagePack encoder."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def prefers_msgpack(headers: HeaderList) -> bool:
    """Whether `Accept` ranks MessagePack above JSON (RFC 9110 §12.5.1 quality values).

    No `Accept`, `*/*`, or a tie keeps JSON, the default.
    """
    accept = None
    for name, value in headers:
        if name == _ACCEPT:
            accept = value if accept is None else accept + b"," + value
    if accept is None or b"msgpack" not in accept:
        return False
    weights = quality_values(accept.decode("latin-1"))
    msgpack_q = max((q for media, q in weights.items() if media in MSGPACK_MEDIA_TYPES), default=0)
    json_q = max(weights.get(media, 0.0) for media in _JSON_RANGES)
    return msgpack_q > json_q


_JSON_RANGES = ("application/json", "application/*", "*/*")


def negotiated(json_plan: RenderPlan, msgpack_plan: RenderPlan) -> RenderPlan:
    """One plan answering in either codec: a `MsgpackReply` picks the MessagePack one."""
    json_encode, msgpack_encode = json_plan.encode, msgpack_plan.encode
    assert json_encode is not None and msgpack_encode is not None  # buffered plans only

    def encode(value: Any) -> Rendered:
        if type(value) is MsgpackReply:
            return msgpack_encode(value.value)
        return json_encode(value)

    chosen: Encoder = encode
    return RenderPlan(responder_for(chosen), json_plan.shapes, chosen)


def negotiating(invoke: Invoker) -> Invoker:
    """`invoke`, its result marked for MessagePack when the request prefers it."""

    async def invoke_negotiating(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
        result = await invoke(scope, receive, values)
        return MsgpackReply(result) if prefers_msgpack(scope["headers"]) else result

    return invoke_negotiating


type ProblemSender = Callable[[Send, HTTPError[Any], bool, Scope], Awaitable[None]]
"""`await send(send, error, is_head, scope)`: how an app answers with a problem document."""


async def send_json_problem(send: Send, error: HTTPError[Any], head: bool, scope: Scope) -> None:
    """The error's problem document as JSON, whatever the request accepts."""
    await send_problem(send, error, head)


async def send_negotiated_problem(
    send: Send, error: HTTPError[Any], head: bool, scope: Scope
) -> None:
    """The error's problem document, as MessagePack when the request prefers it."""
    if not prefers_msgpack(scope["headers"]):
        await send_problem(send, error, head)
        return
    body = _encode_msgpack(error.problem())
    headers = problem_headers(error, body, PROBLEM_MSGPACK)
    await send_body(send, type(error).status, headers, body, head)
