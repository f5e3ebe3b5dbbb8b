"""Item types as channels see them: aliases resolved, unions as their members, and
names for error messages."""

from __future__ import annotations

import typing
from typing import Any

from .._types import is_union, unaliased

__all__ = ["members", "shown", "unaliased"]


def members(tp: Any) -> tuple[Any, ...]:
    """The members of a union (of an alias of one), or the type itself."""
    tp = unaliased(tp)
    return typing.get_args(tp) if is_union(tp) else (tp,)


def shown(tp: Any) -> str:
    """`Tick`, `Added | Removed`: how an item type reads in a message."""
    if isinstance(tp, typing.TypeAliasType):
        return tp.__name__
    if is_union(tp):
        return " | ".join(shown(member) for member in typing.get_args(tp))
    return tp.__name__ if isinstance(tp, type) else repr(tp).replace("typing.", "")
