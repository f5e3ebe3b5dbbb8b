"""`ErrorFormat`: the app's one hook deciding the media type and body of every error.

RFC 9457 problem details are jero's default. An API whose contract someone else wrote
(a published spec, a legacy client) may need another shape; the hook is declared as
types so every tool follows it:

    class Errors(msgspec.Struct):
        errors: dict[str, list[str]]

    class SpecErrors(ErrorFormat[Errors], media_type="application/json"):
        def render(self, error: HTTPError[Any]) -> Errors:
            return Errors({"body": [error.detail or error.title]})

`render` receives the error itself: its class, `status`, `title`, `detail`, typed
`params`, and for input that failed to decode, `fields` (`FieldProblem`s). The body
Struct is the OpenAPI schema of every error response; `read` (optional) turns a body
back into a `Problem` so the typed client raises the right `HTTPError` subclass.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, ClassVar

import msgspec

from .._errors import HTTPError, Problem, WiringError

__all__ = ["ErrorFormat"]

_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*$")


class ErrorFormat[B: msgspec.Struct]:
    """Subclass with the body Struct as the type argument and implement `render`.

    Class option `media_type=` (default `application/json`) is the `Content-Type` of
    every error answer. An instance goes to `BaseApp(error_format=...)` and, for typed
    clients, `Client(..., error_format=...)`.
    """

    media_type: ClassVar[str] = "application/json"
    body_type: ClassVar[type[msgspec.Struct]]

    def __init_subclass__(cls, *, media_type: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if media_type is not None:
            if not _MEDIA_TYPE.match(media_type):
                raise WiringError(
                    f"{cls.__qualname__}: media_type={media_type!r} is not a media type; "
                    f'write it as type/subtype, e.g. "application/json"'
                )
            cls.media_type = media_type.lower()
        body = _declared_body(cls)
        if body is not None:
            cls.body_type = body

    def render(self, error: HTTPError[Any]) -> B:
        """Override: the body answered for `error` (called once per class for errors
        without params, whose body is then sent pre-encoded)."""
        raise NotImplementedError

    def read(self, body: B, status: int) -> Problem | None:
        """Override for typed clients: the problem `body` stands for (its `type` picks the
        `HTTPError` subclass, `params` fill it). None: the built-in error of `status`."""
        return None


def _declared_body(cls: type) -> type[msgspec.Struct] | None:
    for base in types.get_original_bases(cls):
        origin = typing.get_origin(base)
        if isinstance(origin, type) and issubclass(origin, ErrorFormat):
            (arg,) = typing.get_args(base)
            if isinstance(arg, type) and issubclass(arg, msgspec.Struct):
                return arg
            if not isinstance(arg, typing.TypeVar):
                raise WiringError(
                    f"{cls.__qualname__}: the body of an ErrorFormat must be a msgspec "
                    f"Struct, got {arg!r}"
                )
    return None


def _defined_below(cls: type) -> set[str]:
    """The names the classes between `cls` and `ErrorFormat` define."""
    names: set[str] = set()
    for klass in cls.__mro__[: cls.__mro__.index(ErrorFormat)]:
        names.update(vars(klass))
    return names


def check_format(error_format: object, owner: str) -> ErrorFormat[Any]:
    """`error_format=` must be an instance of a subclass that names its body and renders."""
    if isinstance(error_format, type):
        raise WiringError(
            f"{owner}: error_format={error_format.__qualname__} is a class; pass an "
            f"instance: error_format={error_format.__qualname__}()"
        )
    if not isinstance(error_format, ErrorFormat):
        raise WiringError(
            f"{owner}: error_format= takes an ErrorFormat, got {type(error_format).__qualname__}"
        )
    fmt = typing.cast(ErrorFormat[Any], error_format)
    cls = type(fmt)
    if getattr(cls, "body_type", None) is None:
        raise WiringError(
            f"{owner}: {cls.__qualname__} names no body Struct; declare it as the type "
            f"argument: class {cls.__name__}(ErrorFormat[MyErrorBody])"
        )
    if "render" not in _defined_below(cls):
        raise WiringError(
            f"{owner}: {cls.__qualname__} does not define render; add "
            f"`def render(self, error: HTTPError[Any]) -> {cls.body_type.__name__}`"
        )
    return fmt
