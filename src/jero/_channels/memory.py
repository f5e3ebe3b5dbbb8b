"""`InProcessBackend`: channels inside one process, the embedded default.

No broker and nothing to lose: a publish is delivered synchronously to the subscribers
of this process, and only of this process. Under several workers or machines each
process is its own island; use `RedisBackend` or `PostgresBackend` there.
"""

from __future__ import annotations

import itertools
from collections import defaultdict, deque

from .backend import Deliver, Retained, later_id

__all__ = ["InProcessBackend"]


class InProcessBackend:
    """Deliver within this process. `history=N` keeps the last N items of each topic
    with increasing event ids, for SSE clients that resume with `Last-Event-ID`."""

    def __init__(self, *, history: int = 0) -> None:
        if isinstance(history, bool) or not isinstance(history, int) or history < 0:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ValueError(f"InProcessBackend(history={history!r}): give an int >= 0")
        self._history = history
        self._deliver: Deliver | None = None
        self._ids = itertools.count(1)
        self._retained: defaultdict[str, deque[tuple[str, bytes]]] = defaultdict(
            lambda: deque(maxlen=history)
        )

    @property
    def keeps_history(self) -> bool:
        return self._history > 0

    @property
    def connected(self) -> bool:
        return True

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def stop(self) -> None:
        self._deliver = None

    async def subscribe(self, topic: str) -> None:
        return None

    async def unsubscribe(self, topic: str) -> None:
        return None

    async def publish(self, topic: str, data: bytes) -> str | None:
        event_id = None
        if self._history:
            event_id = str(next(self._ids))
            self._retained[topic].append((event_id, data))
        if self._deliver is not None:
            self._deliver(topic, event_id, data)
        return event_id

    async def replay(self, topic: str, after: str) -> Retained:
        retained = self._retained.get(topic, ())
        return [(event_id, data) for event_id, data in retained if later_id(event_id, after)]
