"""URL reversal: `URLFor[P]` builds the URL of one wired route from its `path` Struct.

Created during `_wire` and resolved when wiring completes (so it may name a route that
is included later): a route the app does not serve, or a path type that is not the
handler's `path` annotation, fails the startup with a `WiringError`. At request time a
call fills the slots, percent-encoded, into the prebuilt template.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, overload
from urllib.parse import quote

import msgspec

from .._errors import WiringError
from .._plan import HandlerPlan

type Handler = Callable[..., Awaitable[object]]

_UNROUTABLE = frozenset({"", ".", ".."})


class URLFor[P]:
    """`url_for(path)` → the route's URL, e.g. `/widgets/a%20b`; `root_path=` prefixes
    the mount point of the app (as ASGI `root_path` names it). Routes without slots take
    no argument: `url_for()`."""

    __slots__ = ("_handler", "_parts", "_path_type", "_slots", "_where")

    def __init__(self, handler: Handler, path_type: type[P] | None, where: str) -> None:
        self._handler = handler
        self._path_type: type[P] | None = path_type
        self._where = where
        self._parts: tuple[str | None, ...] | None = None
        self._slots: tuple[str, ...] = ()

    @property
    def path_type(self) -> type[P] | None:
        """The `path` Struct the route is reached with (None for a route without slots)."""
        return self._path_type

    @property
    def template(self) -> str:
        """The route's path template, e.g. `/widgets/{widget_id}`."""
        parts = self._resolved()
        names = iter(self._slots)
        return "/" + "/".join(f"{{{next(names)}}}" if p is None else p for p in parts)

    @overload
    def __call__(self: URLFor[None], path: None = None, *, root_path: str = "") -> str: ...
    @overload
    def __call__(self, path: P, *, root_path: str = "") -> str: ...
    def __call__(self, path: Any = None, *, root_path: str = "") -> str:
        parts = self._resolved()
        if not self._slots:
            return root_path + "/" + "/".join(p or "" for p in parts)
        if type(path) is not self._path_type:
            expected = getattr(self._path_type, "__name__", self._path_type)
            raise TypeError(f"{self._where} takes a {expected}, got {type(path).__name__}")
        values = iter(self._slots)
        out: list[str] = []
        for part in parts:
            out.append(part if part is not None else self._encode(next(values), path))
        return root_path + "/" + "/".join(out)

    def _encode(self, slot: str, path: Any) -> str:
        return slot_segment(getattr(path, slot), slot, self._where)

    def _resolved(self) -> tuple[str | None, ...]:
        if self._parts is None:
            raise RuntimeError(f"{self._where} builds URLs once wiring has completed")
        return self._parts

    def resolve(self, plans: Sequence[HandlerPlan]) -> None:
        """Find the wired route and check the path type (runs when wiring completes)."""
        plan = self._find(plans)
        declared = plan.parameters.get("path")
        if declared is not self._path_type:
            route = f"{plan.owner.__qualname__}.{plan.operation.name}"
            if declared is None:
                fix = "leave the path type out: the route has no slots"
            else:
                fix = f"pass {getattr(declared, '__name__', declared)}, its `path` type"
            given = getattr(self._path_type, "__name__", self._path_type)
            raise WiringError(f"{self._where}: {route} is not reached with {given}; {fix}")
        self._parts = plan.template.segments
        self._slots = plan.template.slots

    def _find(self, plans: Sequence[HandlerPlan]) -> HandlerPlan:
        handler: Any = self._handler
        function = getattr(handler, "__func__", handler)
        owner = getattr(handler, "__self__", None)
        matches = [
            p
            for p in plans
            if inspect.unwrap(getattr(p.owner, p.operation.name)) is function
            and (owner is None or p.mount is owner)
        ]
        if not matches:
            raise WiringError(
                f"{self._where}: {getattr(function, '__qualname__', function)!r} is not a "
                f"route this app serves; include its Resource/Endpoint in _wire"
            )
        if len(matches) > 1:
            raise WiringError(
                f"{self._where}: {function.__qualname__} is served by several included "
                f"routes; pass the bound method of the one you mean (e.g. widgets.read_one)"
            )
        return matches[0]


def slot_segment(value: Any, slot: str, where: str) -> str:
    """A path Struct field's value as the URL segment that routes back to its slot.

    The server matches the decoded path, so a value is one percent-encoded segment that is
    not empty, `.` or `..`, and holds no `/` (encoded or not, it would split in two).
    """
    plain = msgspec.to_builtins(value)
    text = ("true" if plain else "false") if isinstance(plain, bool) else str(plain)
    if text in _UNROUTABLE or "/" in text:
        raise ValueError(
            f"{where}: slot {{{slot}}} = {text!r} would not route back to the handler (a "
            f"slot is one non-empty segment other than '.' or '..', with no '/')"
        )
    return quote(text, safe="")
