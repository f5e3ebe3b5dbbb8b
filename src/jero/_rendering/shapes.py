"""What wiring says about a handler's responses, and the callables that produce them.

`ResponseShape` is one documented outcome (read by OpenAPI and the typed client);
`Encoder` and `Responder` are the two request-time forms a rendered response takes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from .._asgi import HeaderList, Receive, Send
from .._errors import WiringError
from .._types import is_struct_type, type_name

type Responder = Callable[[Send, Any, bool, Receive], Awaitable[None]]
"""`await responder(send, returned_value, is_head, receive)`; only streaming responders
read `receive` (to notice a client that disconnects mid-stream)."""

type HeaderEncoder = Callable[[Any], HeaderList]

type Rendered = tuple[int, HeaderList, bytes]
"""A buffered response: status, headers (content-length included) and body."""

type Encoder = Callable[[Any], Rendered]


@dataclasses.dataclass(frozen=True, slots=True)
class ResponseShape:
    """One documented outcome of a handler: what OpenAPI and the typed client read."""

    status: int
    media_type: str | None
    body_type: Any
    """For a streamed response, the type of one item."""
    headers_type: type[msgspec.Struct] | None
    streaming: bool = False


def headers_arg(args: tuple[Any, ...], where: str) -> type[msgspec.Struct] | None:
    if not args or args[0] is None or args[0] is type(None):
        return None
    if not is_struct_type(args[0]):
        raise WiringError(
            f"{where}: response headers type {type_name(args[0])} must be a msgspec Struct"
        )
    return args[0]
