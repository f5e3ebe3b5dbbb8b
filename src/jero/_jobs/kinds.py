"""One job kind per registered item type: its name in the engine, codec and handler.

The engine stores an item as msgspec JSON under the name of its Struct type
(`module.QualName`), so a web process and a worker process that import the same app
agree on every name without a registry of their own.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec

__all__ = ["Handler", "JobKind", "UndecodablePayload", "job_kind", "kind_name"]

type Handler = Callable[[Any], Awaitable[object]]


class UndecodablePayload(Exception):
    """A stored item no longer decodes as its type (a deploy changed the Struct): trying
    again cannot help, so the job fails at once instead of retrying."""


def kind_name(item_type: type[Any]) -> str:
    return f"{item_type.__module__}.{item_type.__qualname__}"


@dataclass(frozen=True, slots=True)
class JobKind:
    name: str
    item_type: type[msgspec.Struct]
    handler: Handler
    result_type: Any
    """The handler's declared return type (`None` when it returns nothing)."""

    def encode_item(self, item: msgspec.Struct) -> bytes:
        return msgspec.json.encode(item)

    def decode_item(self, payload: bytes | None) -> msgspec.Struct:
        try:
            return msgspec.json.decode(payload or b"", type=self.item_type)
        except msgspec.DecodeError as error:  # ValidationError included
            raise UndecodablePayload(
                f"the stored payload does not decode as {self.item_type.__qualname__}: {error}"
            ) from None

    def encode_result(self, result: object) -> bytes | None:
        return None if result is None else msgspec.json.encode(result)

    def decode_result(self, data: bytes | None) -> object:
        if data is None or self.result_type is None:
            return None
        return msgspec.json.decode(data, type=self.result_type)


def job_kind(item_type: type[msgspec.Struct], handler: Handler) -> JobKind:
    return JobKind(kind_name(item_type), item_type, handler, _result_type(handler))


def _result_type(handler: Callable[..., Any]) -> Any:
    target: Any = handler
    if not hasattr(target, "__code__") and not hasattr(target, "__func__"):
        target = getattr(handler, "__call__", handler)  # noqa: B004 - an async callable object
    try:
        hints = typing.get_type_hints(target)
    except (NameError, TypeError, AttributeError):
        return None
    result = hints.get("return")
    return None if result is type(None) else result
