"""Message codecs, built at wiring from a hook's `message: In` and `socket: WebSocket[Out]`.

A message type is a msgspec `Struct`, a tagged union of Structs, `bytes` or `str`:

| type                 | received from                                   | sent as                 |
| -------------------- | ----------------------------------------------- | ----------------------- |
| Struct / union       | text frame (JSON) or binary frame (MessagePack) | the endpoint's encoding |
| `bytes`              | binary frame, as is                             | binary frame            |
| `str`                | text frame, as is                               | text frame              |

A frame that does not decode raises `MessageRejected` with the close code the session
closes with: 1007 (invalid payload data) for JSON/MessagePack that fails the type, 1003
(unsupported data) for a text frame where the type says `bytes` or the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from .._asgi import Message
from .._errors import WiringError, describe_decode_error
from .._types import is_struct_type, is_union, union_members
from .endpoint import Encoding
from .socket import Frame

__all__ = ["Decode", "MessageRejected", "build_decoder", "build_frame", "check_message_type"]

type Decode = Callable[[Message], Any]
"""A `websocket.receive` event → the `In` value, or raises `MessageRejected`."""

INVALID_PAYLOAD = 1007
UNSUPPORTED_DATA = 1003


class MessageRejected(Exception):
    """A received frame that is not a message of the socket's `In` type."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def check_message_type(tp: Any, where: str) -> None:
    """A Struct, a tagged union of Structs, `bytes` or `str`; anything else fails wiring."""
    if tp is bytes or tp is str:
        return
    members = union_members(tp)
    if not all(is_struct_type(m) for m in members):
        shown = getattr(tp, "__name__", None) or repr(tp)
        raise WiringError(
            f"{where} is `{shown}`; a WebSocket message is a msgspec Struct, a tagged union "
            f"of Structs (class Say(Struct, tag=True)), bytes or str"
        )
    if is_union(tp):
        try:
            msgspec.json.Decoder(tp)
        except TypeError as error:
            raise WiringError(
                f"{where}: {error}; give each Struct of the union a tag: "
                f"class Say(msgspec.Struct, tag=True)"
            ) from None


def build_decoder(tp: Any) -> Decode:
    if tp is bytes:
        return _raw("bytes", "binary")
    if tp is str:
        return _raw("text", "text")
    json_decode = msgspec.json.Decoder(tp).decode
    msgpack_decode = msgspec.msgpack.Decoder(tp).decode

    def decode(message: Message) -> Any:
        try:
            text = message.get("text")
            if text is not None:
                return json_decode(text)
            return msgpack_decode(message.get("bytes") or b"")
        except msgspec.DecodeError as error:
            raise MessageRejected(INVALID_PAYLOAD, describe_decode_error(error)) from None

    return decode


def _raw(key: str, kind: str) -> Decode:
    def decode(message: Message) -> Any:
        value = message.get(key)
        if value is None:
            raise MessageRejected(UNSUPPORTED_DATA, f"this socket takes {kind} frames")
        return value

    return decode


def build_frame(tp: Any, encoding: Encoding) -> Frame:
    """How a message of type `tp` becomes a `websocket.send` event."""
    if tp is bytes:
        return _bytes_frame
    if tp is str:
        return _text_frame
    if encoding == "msgpack":
        msgpack_encode = msgspec.msgpack.Encoder().encode
        return lambda message: {"type": "websocket.send", "bytes": msgpack_encode(message)}
    json_encode = msgspec.json.Encoder().encode
    return lambda message: {"type": "websocket.send", "text": json_encode(message).decode()}


def _bytes_frame(message: Any) -> Message:
    return {"type": "websocket.send", "bytes": message}


def _text_frame(message: Any) -> Message:
    return {"type": "websocket.send", "text": message}


def no_frame(message: Any) -> Message:
    """For a socket no hook declares: nothing can call `send` on it."""
    raise TypeError("this WebSocket declares no `socket: WebSocket[Out]`, so it sends nothing")


def no_messages(message: Message) -> Any:
    """The decoder of a socket without a `receive` hook."""
    raise MessageRejected(UNSUPPORTED_DATA, "this socket accepts no messages")
