"""What a channel raises: the broker is unreachable, or a subscriber fell too far behind.

`ChannelUnavailableError` is a 503 problem: a handler that publishes while the broker is
down answers `service-unavailable` without any code of its own, and background work
catches it like any exception.
"""

from __future__ import annotations

from .._errors import ServiceUnavailableError

__all__ = ["ChannelUnavailableError", "SubscriberOverflowError"]


class ChannelUnavailableError(
    ServiceUnavailableError, type="channel-unavailable", title="Channel unavailable"
):
    """503 `channel-unavailable`: a publish did not reach the broker within the
    publish timeout (the broker is down, unreachable or too slow). Nothing was sent."""


class SubscriberOverflowError(Exception):
    """A subscription declared `overflow="close"` fell more than its buffer behind: it
    ended, and iterating it raises this (a WebSocket it fed closes with 1013)."""
