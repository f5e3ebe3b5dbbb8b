"""Wiring checks: a route that holds a `Feed` must be able to send the feed's items.

Run when a route is included. A WebSocket endpoint's feeds must carry items its
`WebSocket[Out]` sends (every member of the feed's type a member of `Out`); an HTTP
route's feeds must each fit the item type of one stream (`SSEResponse[T]`,
`NDJSONStreamingResponse[T]`) that its handlers return. Anything else is a
`WiringError` naming the class, the attribute and both types. Routes that hold no feed
cost one attribute scan, once.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .._errors import WiringError
from .feed import Feed
from .types import members, shown

if TYPE_CHECKING:
    from .._plan import HandlerPlan
    from .._websockets.wiring import SocketPlan

__all__ = ["check_route_feeds", "check_socket_feeds"]


def check_socket_feeds(plan: SocketPlan) -> None:
    """Every feed a WebSocket endpoint holds must fit its `WebSocket[Out]`."""
    feeds = _feeds(plan.endpoint)
    if not feeds:
        return
    owner = plan.owner.__qualname__
    for attribute, feed in feeds:
        where = f"{owner}.{attribute} ({feed!r})"
        if plan.out_type is None:
            raise WiringError(
                f"{where}: the socket subscribes to a channel but no hook declares what it "
                f"sends; declare `socket: WebSocket[{shown(feed.item_type)}]` on a hook"
            )
        if not _fits(feed.item_type, plan.out_type):
            raise WiringError(
                f"{where}: the feed carries {shown(feed.item_type)}, which the socket's "
                f"WebSocket[{shown(plan.out_type)}] cannot send; make Out include every "
                f"item type of the channel, or attach another channel"
            )


def check_route_feeds(route: object, plans: Sequence[HandlerPlan]) -> None:
    """Every feed an HTTP route holds must fit one stream its handlers return."""
    feeds = _feeds(route)
    if not feeds:
        return
    streamed = [
        shape.body_type for plan in plans for shape in plan.render.shapes if shape.streaming
    ]
    owner = type(route).__qualname__
    for attribute, feed in feeds:
        if any(_fits(feed.item_type, item) for item in streamed):
            continue
        where = f"{owner}.{attribute} ({feed!r})"
        if not streamed:
            raise WiringError(
                f"{where}: a feed is for streaming a channel, and no handler of {owner} "
                f"returns a stream; return SSEResponse[{shown(feed.item_type)}](feed.sse()),"
                f" or hold the Channel itself to publish"
            )
        streams = ", ".join(shown(item) for item in streamed)
        raise WiringError(
            f"{where}: the feed carries {shown(feed.item_type)}, but {owner} streams "
            f"{streams}; stream the channel's type (e.g. SSEResponse"
            f"[{shown(feed.item_type)}]) or hold a feed of another channel"
        )


def _feeds(route: object) -> list[tuple[str, Feed[Any]]]:
    values: dict[str, object] = dict(getattr(route, "__dict__", {}))
    for klass in type(route).__mro__:
        for name in _slot_names(klass):
            if hasattr(route, name):
                values.setdefault(name, getattr(route, name))
    return [(name, value) for name, value in values.items() if isinstance(value, Feed)]


def _slot_names(klass: type) -> Iterable[str]:
    slots: object = vars(klass).get("__slots__", ())
    return (slots,) if isinstance(slots, str) else typing.cast(Iterable[str], slots)


def _fits(item_type: Any, target: Any) -> bool:
    """Whether every member of `item_type` is a member of `target`."""
    targets = set(members(target))
    return all(member in targets for member in members(item_type))
