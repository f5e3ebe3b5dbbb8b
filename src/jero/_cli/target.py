"""`module:attribute` and `module:factory()`: finding the app a command acts on.

Every mistake in the target (bad syntax, a module or attribute that does not exist, a
factory that is not callable, an object that is not an app) is a `CommandError`: one
line on stderr and exit status 2.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import sys
import typing

from .errors import CommandError
from .framework import AnyApp, BaseApp

_SPEC = re.compile(r"(?P<module>[\w.]+)(?::(?P<attribute>[\w.]+)(?P<call>\(\))?)?")


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    """A parsed app target: `module:attribute`, called when `factory` (`...()`)."""

    module: str
    attribute: str
    factory: bool

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}{'()' if self.factory else ''}"


def parse_target(text: str) -> Target:
    """`pkg.mod:app`, `pkg.mod:create_app()`, or `pkg.mod` (meaning `pkg.mod:app`)."""
    match = _SPEC.fullmatch(text)
    if match is None:
        raise CommandError(
            f"invalid app target {text!r}: expected module:attribute or module:factory()"
        )
    return Target(match["module"], match["attribute"] or "app", match["call"] is not None)


def import_target(target: Target) -> object:
    """The object the target names (the factory itself when it is `...()`)."""
    _import_from_working_directory()
    try:
        module = importlib.import_module(target.module)
    except ModuleNotFoundError as error:
        if error.name is None or not _is_prefix(error.name, target.module):
            raise  # the module exists; something it imports does not: a real traceback
        message = f"cannot import {target.module!r}: no module named {error.name!r}"
        raise CommandError(message) from None
    found: object = module
    for part in target.attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise CommandError(
                f"module {target.module!r} has no attribute {target.attribute!r}"
            ) from None
    if target.factory and not callable(found):
        raise CommandError(f"{target} cannot be called: it is of type {type(found).__name__}")
    return found


def load_app(target: Target) -> object:
    """The app itself: the attribute, or what the factory returns."""
    found = import_target(target)
    app = found() if target.factory and callable(found) else found
    if not callable(app):
        raise CommandError(f"{target} is not an ASGI app: it is of type {type(app).__name__}")
    return app


def _is_prefix(name: str, module: str) -> bool:
    """Whether the missing module is the target or one of its parent packages."""
    return module == name or module.startswith(f"{name}.")


def _import_from_working_directory() -> None:
    """Like `python -m`, a console script resolves modules from the working directory."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)


def load_jero_app(target: Target) -> AnyApp:
    """The app, which must be a jero `BaseApp` (the tooling commands read its wiring)."""
    app = load_app(target)
    if not isinstance(app, BaseApp):
        raise CommandError(f"{target} is not a jero BaseApp: it is of type {type(app).__name__}")
    return typing.cast(AnyApp, app)
