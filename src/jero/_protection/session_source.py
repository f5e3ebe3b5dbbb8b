"""`Session[S]`: the `session` parameter, the request's server-side session as a typed
handle. `S` is the app's own Struct (every field with a default, so a new session is
`S()`); the handle says whether it is new and can `rotate()` or `end()` it.

The `Sessions` layer loads the session before the route runs and puts the handle on the
scope; binding it is a dictionary read. Whether a route that takes `session` is wired
under a `Sessions` of the same Struct is checked when `_wire` returns.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

import msgspec

from .._asgi import Scope
from .._binding.base import BindContext, Binder
from .._errors import WiringError
from .._types import is_struct_type

__all__ = ["SESSION", "Session", "build_session", "session_data_type"]

SESSION = "jero.session"
"""Scope key of the request's `Session` handle."""


class Session[S: msgspec.Struct]:
    """The request's session. `data` is the typed content: change it in place or assign
    a new `S`; it is saved (and the cookie refreshed) when the response starts.

    Call `rotate()` when the user's privilege changes (at login): the data moves to a
    new id and the old id stops working, so an id planted in the browser beforehand
    (session fixation) is worth nothing. `end()` deletes the session (logout).
    """

    __slots__ = ("_ended", "_rotated", "data", "id", "loaded")

    def __init__(self, data: S, session_id: str | None, loaded: bytes | None) -> None:
        self.data: S = data
        self.id = session_id
        """The store id (not the cookie: that also carries a signature); None if new."""
        self.loaded = loaded
        """The stored bytes it was read from: what it is compared with to know if it changed."""
        self._rotated = False
        self._ended = False

    @property
    def is_new(self) -> bool:
        """No session was stored for this request's cookie (first visit, or expired)."""
        return self.loaded is None

    @property
    def rotated(self) -> bool:
        return self._rotated

    @property
    def ended(self) -> bool:
        return self._ended

    def rotate(self) -> None:
        """Give the session a new id at the end of this request (call it at login)."""
        self._rotated = True
        self._ended = False

    def end(self) -> None:
        """Delete the session and its cookie at the end of this request (logout)."""
        self._ended = True


def session_data_type(annotation: Any) -> type[msgspec.Struct] | None:
    """`S` of a `Session[S]` annotation, or None when it is not one."""
    if typing.get_origin(annotation) is not Session:
        return None
    (data,) = typing.get_args(annotation)
    return data if is_struct_type(data) else None


def build_session(tp: Any, ctx: BindContext) -> Binder:
    if session_data_type(tp) is None:
        name = getattr(tp, "__name__", repr(tp))
        raise WiringError(
            f"{ctx.where} must be annotated `Session[YourStruct]` (the session's data "
            f"Struct as the type argument), got {name!r}"
        )

    def bind_session(scope: Scope, values: Sequence[str]) -> Any:
        return scope[SESSION]

    return Binder(bind_session)
