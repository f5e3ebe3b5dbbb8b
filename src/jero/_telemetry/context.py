"""What the telemetry layers share about the request being handled.

`Tracing` puts the request's `ActiveSpan` in a context variable for as long as the
request runs (a stream's pump and every task the request starts inherit it). A log-record
factory, installed once per process, reads it so that every log record made during the
request carries `trace_id` and `span_id` (32 and 16 hex digits; None outside a traced
request), and so that an exception jero logs as unhandled (an ERROR record of the `jero`
logger with `exc_info`: the 500 of a crashed handler or middleware) is recorded on the
request's span, which then reports the exception's type as `error.type`. That is how a
crash caught deep inside the route still reaches the span without any hook on the
request path.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

__all__ = ["ActiveSpan", "current_span_ids", "install_record_factory", "qualified_name"]


class ActiveSpan:
    """The server span of one request, as the other layers see it."""

    __slots__ = ("error_type", "span", "span_id", "trace_id")

    def __init__(self, span: Any, trace_id: int, span_id: int) -> None:
        self.span = span
        self.trace_id = trace_id
        self.span_id = span_id
        self.error_type: str | None = None
        """The qualified name of the exception jero logged as unhandled, if any."""

    def ids(self) -> tuple[str, str]:
        return format(self.trace_id, "032x"), format(self.span_id, "016x")


current: ContextVar[ActiveSpan | None] = ContextVar("jero_active_span", default=None)

_installed = False


def current_span_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the request being traced, or None."""
    active = current.get()
    return None if active is None or not active.trace_id else active.ids()


def install_record_factory() -> None:
    """Once per process, chaining the factory that was there."""
    global _installed  # noqa: PLW0603 (one process-wide hook)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        active = current.get()
        if active is None:
            record.trace_id = record.span_id = None
            return record
        # A span that records nothing (no SDK, or not sampled) has no ids to show.
        record.trace_id, record.span_id = active.ids() if active.trace_id else (None, None)
        if record.exc_info and record.levelno >= logging.ERROR and _is_jero(record.name):
            _record_crash(active, record.exc_info[1])
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def _is_jero(name: str) -> bool:
    return name == "jero" or name.startswith("jero.")


def _record_crash(active: ActiveSpan, error: BaseException | None) -> None:
    if error is None:
        return
    active.error_type = qualified_name(error)
    active.span.record_exception(error)


def qualified_name(error: BaseException) -> str:
    """An exception's type as `error.type` reports it: ``ValueError``, ``pkg.mod.Error``."""
    kind = type(error)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"
