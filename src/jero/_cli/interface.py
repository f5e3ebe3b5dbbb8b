"""Which of granian's interfaces `jero run` / `jero dev` serve the app on.

RSGI, granian's native interface, is the faster one, and a jero app speaks it (every
`BaseApp` has `__rsgi__`). Anything else — a jero app wrapped in a plain ASGI middleware
(`app = SomeMiddleware(App())`), or another framework's app — only speaks ASGI. So
`auto` chooses RSGI exactly when the target is a jero app: the object itself, or, for
a `module:factory()` target (not called in the command's own process), the class its
return annotation names. `--interface asgi|rsgi` forces the choice.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from typing import Any

from .errors import CommandError
from .framework import BaseApp, openapi_paths
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
    jero_app = _is_jero_app(found, target.factory)
    if requested == "asgi":
        return Choice("asgi", "asked for with --interface asgi")
    if requested == "rsgi":
        if jero_app is False:
            raise CommandError(
                f"{target} is not a jero app, so it has no RSGI interface; "
                "serve it with --interface asgi"
            )
        return Choice("rsgi", "asked for with --interface rsgi")
    if jero_app:
        return Choice("rsgi", "a jero app; --interface asgi to change")
    if jero_app is None:
        return Choice(
            "asgi",
            "the factory's return annotation does not name a jero app; "
            "annotate it, or --interface rsgi",
        )
    return Choice("asgi", "not a jero app itself (a plain ASGI middleware needs ASGI)")


def _is_jero_app(found: object, factory: bool) -> bool | None:
    """True / False; None when a factory's annotation does not tell."""
    if not factory:
        return hasattr(found, "__rsgi__")
    if not callable(found):
        return None
    try:
        returned: object = inspect.signature(found, eval_str=True).return_annotation
    except (TypeError, ValueError, NameError):
        return None
    if isinstance(returned, type) and returned is not inspect.Signature.empty:
        return issubclass(returned, BaseApp) or hasattr(returned, "__rsgi__")  # pyright: ignore[reportUnknownArgumentType]
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
