"""Which of granian's interfaces `jero run` / `jero dev` serve the app on.

`auto` (the default) is ASGI. A jero app also speaks granian's native RSGI interface
(every `BaseApp` has `__rsgi__`, and routes no middleware wraps answer it natively),
served with `--interface rsgi`. It is not the default: measured over loopback, jero on
RSGI serves no more requests per second than on ASGI (granian's worker runs fewer
instructions per GET on RSGI and more per JSON POST), and RSGI carries no WebSocket
close codes and drops request header values that are not ASCII. Anything that is not a
jero app itself (a jero app wrapped in a plain ASGI middleware,
`app = SomeMiddleware(App())`, or another framework's app) only speaks ASGI, and asking
for RSGI there is an error: for a `module:factory()` target (not called in the
command's own process) the class its return annotation names decides.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
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
    return Choice("asgi", "the default; --interface rsgi serves granian's native interface")


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
