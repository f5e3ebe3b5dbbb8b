"""The contract between wiring and serving: what a compiled route is made of.

Wiring (`_compile`) reads a route class and produces these; serving (`_serve`, and the
runtime packages) only calls them. Every phase imports its plan types from here and
none redefines them, so this module imports nothing of jero but the ASGI types and the
route declarations.

A route's request-time work comes in three forms:

- `Invoker`: bind every parameter from the request and call the handler;
- `Encoder`: turn a returned value into a whole buffered response (status, headers,
  body), sent by the caller; or `Responder`: send the response itself (streams);
- `Serve`: one route's whole answer to one request, errors included. The layer stack
  (`_compile/layers.py`) builds one per route and method; the router hands it the
  request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any

import msgspec

from ._asgi import HeaderList, Receive, Scope, Send
from ._routes import Operation, Template
from ._rsgi.request import RSGIRequest

type Invoker = Callable[[Scope, Receive, Sequence[str]], Awaitable[Any]]
"""`await invoke(scope, receive, slot_values)`: bind every parameter, call the handler."""

type Responder = Callable[[Send, Any, bool, Receive], Awaitable[None]]
"""`await responder(send, returned_value, is_head, receive)`; only streaming responders
read `receive` (to notice a client that disconnects mid-stream)."""

type Rendered = tuple[int, HeaderList, bytes]
"""A buffered response: status, headers (content-length included) and body."""

type Encoder = Callable[[Any], Rendered]

type HeaderEncoder = Callable[[Any], HeaderList]

type Serve = Callable[[Scope, Receive, Send, Sequence[str]], Coroutine[Any, Any, None]]
"""`await serve(scope, receive, send, slot_values)`: a route's complete answer."""

type RSGIServe = Callable[[RSGIRequest, Sequence[str]], Awaitable[None]]
"""`await serve(request, slot_values)`: the same answer on granian's RSGI."""

type Release = Callable[[Scope], None]
"""Frees what binding held for a request (spooled uploads) once it is answered."""


@dataclasses.dataclass(frozen=True, slots=True)
class ResponseShape:
    """One documented outcome of a handler: what OpenAPI and the typed client read."""

    status: int
    media_type: str | None
    body_type: Any
    """For a streamed response, the type of one item."""
    headers_type: type[msgspec.Struct] | None
    streaming: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class RenderPlan:
    """Everything wiring derived from a return annotation."""

    responder: Responder
    shapes: tuple[ResponseShape, ...]
    encode: Encoder | None = None
    """Set when every outcome is a buffered body: the caller then encodes and sends."""

    @property
    def streams(self) -> bool:
        """Whether some outcome streams its body (and so outlives the handler call)."""
        return any(shape.streaming for shape in self.shapes)


@dataclasses.dataclass(frozen=True, slots=True)
class HandlerPlan:
    """One wired handler: how to call it and how to answer with its result.

    The layers of the route's stack (`_compile/layers.py`) return changed copies; the
    fields that describe the handler (owner, operation, template, render, parameters)
    stay as wiring read them, for OpenAPI, the typed client and `jero routes`.
    """

    owner: type
    operation: Operation
    template: Template
    invoke: Invoker
    respond: Responder
    encode: Encoder | None
    """For buffered bodies: `encode(result)` → (status, headers, body), sent without a
    responder call. None when `respond` must run (streams, held uploads)."""
    render: RenderPlan
    parameters: Mapping[str, Any]
    """Parameter name → resolved annotation, in signature order (for OpenAPI)."""
    mount: object
    """The included route object; later features (auth, OpenAPI) read their options here."""
    auth: Any = None
    """The authenticator the route was included with (an `_auth.AuthPlan`), if any."""
    msgpack: bool = False
    """The app speaks MessagePack too: bodies in, and buffered responses when asked."""
    msgpack_render: RenderPlan | None = None
    """The MessagePack twin of `render`, where its answers differ from JSON's."""
    releases: tuple[Release, ...] = ()
    """What binding may hold until the response is sent (spooled uploads)."""

    @property
    def http_method(self) -> str:
        return self.operation.http_method

    @property
    def path(self) -> str:
        return self.template.render()

    @property
    def name(self) -> str:
        """`Class.operation`, as logs and middleware name the handler."""
        return f"{self.owner.__name__}.{self.operation.name}"
