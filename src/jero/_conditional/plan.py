"""Wiring: which GET handlers answer 304 themselves, compiled into their invoke/respond.

A GET route becomes conditional when it declares `conditions: Preconditions` (its
`evaluate` may end the handler with a 304) or when a buffered response's typed headers
carry an `etag` field (the route compares `If-None-Match` with the tag it returned, and
answers 304 instead of the body). Every other route is returned untouched: it pays
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._asgi import HeaderList, Receive, Scope, Send
from .._headers import find_header
from .._plan import Encoder, Invoker, RenderPlan, Responder
from .._rendering.encoders import send_body
from .._types import header_wire_name, struct_fields
from .errors import NotModified
from .etags import parse_tag_list, weak_match

# RFC 9110 §15.4.5: the fields a 304 carries (those that guide cache updates).
_KEPT_ON_304 = frozenset(
    {b"etag", b"cache-control", b"vary", b"expires", b"content-location", b"last-modified"}
)


class _Unmodified:
    __slots__ = ("headers",)

    def __init__(self, headers: HeaderList) -> None:
        self.headers = headers


class _Tagged:
    """A GET handler's result with the request's `If-None-Match` (None when absent)."""

    __slots__ = ("if_none_match", "value")

    def __init__(self, value: Any, if_none_match: bytes | None) -> None:
        self.value = value
        self.if_none_match = if_none_match


def tags_responses(render: RenderPlan) -> bool:
    """Whether some buffered outcome's typed headers carry an `etag` field."""
    for shape in render.shapes:
        if shape.headers_type is None or shape.streaming:
            continue
        names = (header_wire_name(f.encode_name) for f in struct_fields(shape.headers_type))
        if "etag" in names:
            return True
    return False


def conditional_plan(
    http_method: str,
    parameters: Mapping[str, Any],
    render: RenderPlan,
    *,
    invoke: Invoker,
    respond: Responder,
    encode: Encoder | None,
) -> tuple[Invoker, Responder, Encoder | None]:
    """The route's (invoke, respond, encode), made conditional where it opts in."""
    if http_method != "GET":
        return invoke, respond, encode  # writes: `evaluate` raises a 412 problem itself
    evaluates = "conditions" in parameters
    compare = encode if encode is not None and tags_responses(render) else None
    if not evaluates and compare is None:
        return invoke, respond, encode

    async def invoke_conditional(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
        try:
            value = await invoke(scope, receive, values)
        except NotModified as unmodified:
            return _Unmodified(_validator_headers(unmodified))
        if compare is None:
            return value
        return _Tagged(value, find_header(scope["headers"], b"if-none-match"))

    async def respond_conditional(send: Send, result: Any, head: bool, receive: Receive) -> None:
        if type(result) is _Unmodified:
            await send_body(send, 304, result.headers, b"", True)
        elif compare is not None:
            await _respond_tagged(send, compare, result, head)
        else:
            await respond(send, result, head, receive)

    return invoke_conditional, respond_conditional, None


async def _respond_tagged(send: Send, encode: Encoder, tagged: _Tagged, head: bool) -> None:
    status, headers, body = encode(tagged.value)
    asked = tagged.if_none_match
    if asked is not None and 200 <= status < 300:
        etag = find_header(headers, b"etag")
        tags = parse_tag_list(asked.decode("latin-1"))
        if etag is not None and tags is not None and weak_match(tags, etag.decode("latin-1")):
            kept = [(k, v) for k, v in headers if k in _KEPT_ON_304]
            await send_body(send, 304, kept, b"", True)
            return
    await send_body(send, status, headers, body, head)


def _validator_headers(unmodified: NotModified) -> HeaderList:
    headers: HeaderList = []
    if unmodified.etag is not None:
        headers.append((b"etag", unmodified.etag.encode("latin-1")))
    if unmodified.last_modified is not None:
        headers.append((b"last-modified", unmodified.last_modified.encode("latin-1")))
    return headers
