"""Which of granian's interfaces `jero run` / `jero dev` serve the app on.

`auto` (the default) is granian's native RSGI interface for a jero app (every `BaseApp`
has `__rsgi__`, answered natively: it costs the server less per request than ASGI), and
ASGI for anything that needs it:
- what is not a jero app itself (a jero app wrapped in a plain ASGI middleware,
  `app = SomeMiddleware(App())`, or another framework's app) only speaks ASGI, and
  asking for RSGI there is an error;
- an app whose `_wire` includes WebSockets, since granian's RSGI carries no WebSocket
  close codes (a `_wire` that includes them less directly is caught at worker start,
  which then logs a warning);
- a `module:factory()` target whose return annotation names no jero app (the factory is
  not called in the command's own process, so nothing else tells).
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import types
from typing import Any

from .errors import CommandError
from .framework import openapi_paths
from .target import Target

logger = logging.getLogger("jero")

INTERFACES = ("auto", "asgi", "rsgi")


@dataclasses.dataclass(frozen=True, slots=True)
class Choice:
    interface: str
    """"asgi" or "rsgi"."""
    why: str

    def line(self, target: Target) -> str:
        """The startup line: what is served, on which interface, and why."""
        name = "RSGI (granian's native interface)" if self.interface == "rsgi" else "ASGI"
        return f"Serving {target} on {name}: {self.why}"


def choose(target: Target, found: object, requested: str) -> Choice:
    """The interface for `found`, the object the target names (the factory itself when
    the target is `module:factory()`)."""
    app_class = _app_class(found, target.factory)
    jero_app = None if app_class is None else hasattr(app_class, "__rsgi__")
    if requested == "asgi":
        return Choice("asgi", "asked for with --interface asgi")
    if requested == "rsgi":
        if jero_app is False:
            raise CommandError(
                f"{target} is not a jero app, so it has no RSGI interface; "
                "serve it with --interface asgi"
            )
        return Choice("rsgi", "asked for with --interface rsgi")
    if jero_app is False:
        return Choice("asgi", "not a jero app itself (a plain ASGI middleware needs ASGI)")
    if app_class is None:
        return Choice(
            "asgi", "the factory's return annotation names no jero app; --interface rsgi "
            "serves granian's native interface"
        )  # fmt: skip
    if _includes_websockets(app_class):
        return Choice(
            "asgi", "its _wire includes WebSockets, whose close codes granian's RSGI "
            "does not carry; --interface rsgi serves it there anyway"
        )  # fmt: skip
    return Choice("rsgi", "the default for a jero app; --interface asgi serves ASGI")


def _app_class(found: object, factory: bool) -> type[Any] | None:
    """The class of the app the target serves; None when a factory's annotation does
    not tell."""
    if not factory:
        return type(found)
    if not callable(found):
        return None
    try:
        returned: object = inspect.signature(found, eval_str=True).return_annotation
    except (TypeError, ValueError, NameError):
        return None
    if isinstance(returned, type) and returned is not inspect.Signature.empty:
        return returned
    return None


def _includes_websockets(app_class: type[Any]) -> bool:
    """Whether a `_wire` of the app's classes calls `_include_websocket` (in its own code
    or in functions defined inside it)."""
    for cls in app_class.__mro__:
        code = getattr(cls.__dict__.get("_wire"), "__code__", None)
        if isinstance(code, types.CodeType) and _names(code, "_include_websocket"):
            return True
    return False


def _names(code: types.CodeType, name: str) -> bool:
    return name in code.co_names or any(
        _names(const, name) for const in code.co_consts if isinstance(const, types.CodeType)
    )


class AnnouncingRSGI:
    """`jero dev` on RSGI: the app, logging where its docs page is once started."""

    def __init__(self, app: Any, base_url: str) -> None:
        self.app = app
        self.base_url = base_url
        self.__rsgi__ = app.__rsgi__
        self.__rsgi_del__ = app.__rsgi_del__

    def __rsgi_init__(self, loop: Any) -> None:
        self.app.__rsgi_init__(loop)
        paths = openapi_paths(self.app)
        if paths is not None:
            if paths.docs_page is not None:
                logger.info("Docs page: %s%s", self.base_url, paths.docs_page)
            logger.info("OpenAPI document: %s%s", self.base_url, paths.document)
