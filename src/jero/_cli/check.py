"""`jero check`: wire the app in-process and report what is wrong with it, for CI.

A `WiringError` raised by one `_include_resource` / `_include_endpoint` call does not
stop the check: the call is recorded and `_wire` goes on, so one run reports every
route that fails to wire (plus whatever stops the startup after them).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import traceback
from collections.abc import Callable, Generator
from typing import Any

from .framework import AnyApp, WiringError, route_rows
from .lifespan import LifespanFailed, started

_INCLUDES = ("_include_resource", "_include_endpoint", "_include_openapi")


@dataclasses.dataclass(slots=True)
class CheckResult:
    wiring_errors: list[WiringError] = dataclasses.field(default_factory=list[WiringError])
    startup_failure: str | None = None
    """A startup failure that is not a `WiringError`, with its traceback."""
    routes: int = 0

    @property
    def ok(self) -> bool:
        return not self.wiring_errors and self.startup_failure is None


async def check_app(app: AnyApp) -> CheckResult:
    """Start and stop `app`, collecting every wiring error on the way."""
    result = CheckResult()
    with _collecting_includes(app, result.wiring_errors):
        try:
            async with started(app):
                result.routes = len(route_rows(app))
        except LifespanFailed as failure:
            error = app.jero.startup_error
            if isinstance(error, WiringError):
                result.wiring_errors.append(error)
            elif error is not None:
                result.startup_failure = "".join(traceback.format_exception(error)).rstrip()
            else:
                result.startup_failure = f"{failure.phase} failed: {failure.message}"
    return result


def report_lines(result: CheckResult) -> list[str]:
    """What `jero check` prints on stderr: one line per wiring error, then a summary."""
    lines = [f"WiringError: {error}" for error in result.wiring_errors]
    if result.startup_failure is not None:
        lines.append(result.startup_failure)
    count = len(result.wiring_errors)
    if count:
        lines.append(f"{count} wiring error{'' if count == 1 else 's'}")
    return lines


@contextlib.contextmanager
def _collecting_includes(app: AnyApp, errors: list[WiringError]) -> Generator[None]:
    """Shadow the include methods on this one instance with recording wrappers."""
    for name in _INCLUDES:
        setattr(app, name, _recording(getattr(app, name), errors))
    try:
        yield
    finally:
        for name in _INCLUDES:
            delattr(app, name)


def _recording(include: Callable[..., None], errors: list[WiringError]) -> Callable[..., None]:
    @functools.wraps(include)
    def record(*args: Any, **kwargs: Any) -> None:
        try:
            include(*args, **kwargs)
        except WiringError as error:
            errors.append(error)

    return record
