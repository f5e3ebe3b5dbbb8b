"""Errors: `WiringError` for boot-time mistakes, `HTTPError` for RFC 9457 problems.

An `HTTPError` subclass is declared once with its class options and raised anywhere:

    class OutOfStockError(HTTPError, type="out-of-stock", title="Out of stock", status=409): ...

A parameterised error names its params Struct as the type argument and a `detail`
template whose placeholders are that Struct's fields; `detail` and `params` then always
travel together:

    class WidgetNotFoundError(
        NotFoundError[WidgetRef], type="widget-not-found", title="Widget not found",
        detail="Widget {widget_id} not found",
    ): ...
    raise WidgetNotFoundError(WidgetRef(widget_id="42"))
"""

from __future__ import annotations

import builtins
import re
import string
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import msgspec

__all__ = [
    "AuthenticationRequiredError",
    "ConflictError",
    "FieldProblem",
    "ForbiddenError",
    "GoneError",
    "HTTPError",
    "InternalServerError",
    "MalformedRequestError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "Problem",
    "RequestTimeoutError",
    "ServiceUnavailableError",
    "TooManyRequestsError",
    "UnsupportedMediaTypeError",
    "ValidationFailedError",
    "WiringError",
]

PROBLEM_CONTENT_TYPE = b"application/problem+json"


class WiringError(Exception):
    """A route, handler or app declaration that cannot work; raised while the app wires."""


class Problem(msgspec.Struct, omit_defaults=True):
    """The RFC 9457 body every error response carries. `type` is a stable code, not a URI."""

    type: str
    title: str
    status: int
    detail: str | None = None
    params: Any = None


class FieldProblem(msgspec.Struct, frozen=True):
    """One field of a request that failed to decode: where, and msgspec's reason.

    `source` is the request part (`body`, `form`, `query`, `headers`, `cookies`, `path`),
    `path` the JSON path inside it (`$.user.email`, `$` for the whole part), `message`
    msgspec's reason without the submitted value (`Object missing required field`).
    """

    source: str
    path: str
    message: str


_problem_encoder = msgspec.json.Encoder()


class HTTPError[P = None](Exception):
    """An error answered as `application/problem+json`.

    Class options: `type` (stable machine-readable code), `title`, `status`, and for a
    parameterised error a `detail` template formatted from the params Struct's fields.
    Options not given are inherited, so a subclass may only refine the ones it changes.
    A class must end up with its own `type` and `status` (declared on it or a base below
    `HTTPError`), unless it is declared `abstract=True`: a base for other errors, which
    is never raised itself.
    """

    type: ClassVar[str] = "about:blank"
    title: ClassVar[str] = "Error"
    status: ClassVar[int] = 500
    detail_template: ClassVar[str | None] = None
    params_type: ClassVar[builtins.type[msgspec.Struct] | None] = None
    static_body: ClassVar[bytes] = b""
    abstract: ClassVar[bool] = True
    """An error class that only serves as a base (`abstract=True`) cannot be raised."""

    params: P | None
    headers: Mapping[str, str]

    def __init_subclass__(
        cls,
        *,
        type: str | None = None,
        title: str | None = None,
        status: int | None = None,
        detail: str | None = None,
        abstract: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        cls.abstract = abstract
        if type is not None:
            cls.type = type
        if title is not None:
            cls.title = title
        if status is not None:
            if not 400 <= status <= 599:
                raise WiringError(f"{cls.__qualname__}: status={status} is not an error status")
            cls.status = status
        params_type = _declared_params_type(cls)
        if params_type is not None:
            cls.params_type = params_type
        if detail is not None:
            cls.detail_template = detail
        _check_template(cls)
        if not abstract:
            _check_declared(cls)
        cls.static_body = _problem_encoder.encode(Problem(cls.type, cls.title, cls.status))

    def __init__(self, params: P | None = None, *, headers: Mapping[str, str] | None = None):
        cls = type(self)
        if cls is HTTPError:
            raise TypeError(
                "HTTPError itself has no type or status: raise a subclass that declares them, "
                "or a built-in such as InternalServerError or ConflictError"
            )
        if cls.abstract:
            raise TypeError(
                f"{cls.__qualname__} is declared abstract=True: raise one of its subclasses"
            )
        if (params is None) != (cls.detail_template is None):
            need = "takes params" if cls.detail_template else "takes no params (no detail)"
            raise TypeError(f"{cls.__qualname__} {need}: detail and params come together")
        self.params = params
        self.headers = headers if headers is not None else {}
        super().__init__(self.detail or cls.title)

    @property
    def detail(self) -> str | None:
        template = type(self).detail_template
        if template is None or self.params is None:
            return None
        return template.format_map(_template_values(self.params))

    @property
    def fields(self) -> tuple[FieldProblem, ...]:
        """The request fields that failed to decode (validation failures; else empty)."""
        return ()

    def problem(self) -> Problem:
        """The problem-details body this error is answered with."""
        cls = type(self)
        params = msgspec.to_builtins(self.params) if self.params is not None else None
        return Problem(cls.type, cls.title, cls.status, self.detail, params)

    def body(self) -> bytes:
        if self.params is None:
            return type(self).static_body
        return _problem_encoder.encode(self.problem())

    def with_headers(self, headers: Mapping[str, str]) -> Self:
        self.headers = {**self.headers, **headers}
        return self


# `__init_subclass__` does not run for the base class itself; its body stays complete
# for code that reads it off the class.
HTTPError.static_body = _problem_encoder.encode(
    Problem(HTTPError.type, HTTPError.title, HTTPError.status)
)


def _declared_params_type(cls: type) -> type[msgspec.Struct] | None:
    for base in types.get_original_bases(cls):
        origin = typing.get_origin(base)
        if isinstance(origin, type) and issubclass(origin, HTTPError):
            (arg,) = typing.get_args(base)
            if isinstance(arg, type) and issubclass(arg, msgspec.Struct):
                return arg
            if arg is not None and not isinstance(arg, typing.TypeVar):
                raise WiringError(
                    f"{cls.__qualname__}: the params of an HTTPError must be a msgspec Struct, "
                    f"got {arg!r}"
                )
    return None


def _check_declared(cls: type[HTTPError[Any]]) -> None:
    """`type` and `status` must come from the class or a base below `HTTPError`: the
    root's `about:blank` / 500 are what an error that forgot them would silently get."""
    below_root = cls.__mro__[: cls.__mro__.index(HTTPError)]
    missing = [
        option
        for option in ("type", "status")
        if not any(option in vars(klass) for klass in below_root)
    ]
    if missing:
        name = cls.__name__
        raise WiringError(
            f"{cls.__qualname__} declares no {' and no '.join(missing)}; declare them, e.g. "
            f'class {name}(HTTPError, type="{_kebab(name)}", title="...", status=409), derive it '
            f"from a built-in such as ConflictError, or declare it abstract=True if it is "
            f"only a base for other errors"
        )


def _kebab(name: str) -> str:
    """`OutOfStockError` → `out-of-stock`: a suggestion for the `type` code."""
    stem = name.rsplit(".", 1)[-1].removesuffix("Error") or name
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", stem).lower()


def _check_template(cls: type[HTTPError[Any]]) -> None:
    template, params_type = cls.detail_template, cls.params_type
    if template is None:
        return
    if params_type is None:
        raise WiringError(
            f"{cls.__qualname__}: detail={template!r} needs a params Struct, "
            f"declare it as the type argument, e.g. HTTPError[MyParams]"
        )
    fields = {f.name for f in msgspec.structs.fields(params_type)}
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None and name not in fields:
            raise WiringError(
                f"{cls.__qualname__}: detail placeholder {{{name}}} is not a field of "
                f"{params_type.__qualname__} (fields: {', '.join(sorted(fields)) or 'none'})"
            )


def _template_values(params: object) -> dict[str, Any]:
    if isinstance(params, msgspec.Struct):
        return {f: getattr(params, f) for f in params.__struct_fields__}
    return {}


class NotFoundError[P = None](HTTPError[P], type="not-found", title="Not found", status=404):
    """404 `not-found`: no such resource (also what an unknown path answers)."""


class MalformedRequestError[P = None](
    HTTPError[P], type="malformed-request", title="Malformed request", status=400
):
    """400 `malformed-request`: a request jero or the handler cannot read."""


class AuthenticationRequiredError[P = None](
    HTTPError[P],
    type="authentication-required",
    title="Authentication required",
    status=401,
):
    """401 `authentication-required`: credentials missing or rejected."""


class ForbiddenError[P = None](HTTPError[P], type="forbidden", title="Forbidden", status=403):
    """403 `forbidden`: authenticated, but not allowed to do this."""


class MethodNotAllowedError[P = None](
    HTTPError[P], type="method-not-allowed", title="Method not allowed", status=405
):
    """405 `method-not-allowed`: the path exists, the method does not."""


class RequestTimeoutError[P = None](
    HTTPError[P], type="request-timeout", title="Request timeout", status=408
):
    """408: the request body stopped arriving before it was complete."""


class ConflictError[P = None](HTTPError[P], type="conflict", title="Conflict", status=409):
    """409 `conflict`: the request conflicts with the resource's current state."""


class GoneError[P = None](HTTPError[P], type="gone", title="Gone", status=410):
    """410 `gone`: the resource existed and was removed for good."""


class PayloadTooLargeError[P = None](
    HTTPError[P], type="payload-too-large", title="Payload too large", status=413
):
    """413 `payload-too-large`: a body over one of the app's `Limits`."""


class UnsupportedMediaTypeError[P = None](
    HTTPError[P], type="unsupported-media-type", title="Unsupported media type", status=415
):
    """415 `unsupported-media-type`: a body with the wrong Content-Type."""


class ValidationFailedError[P = None](
    HTTPError[P], type="validation-failed", title="Validation failed", status=422
):
    """422 `validation-failed`: a well-formed body that fails its schema."""


class TooManyRequestsError[P = None](
    HTTPError[P], type="too-many-requests", title="Too many requests", status=429
):
    """429 `too-many-requests`: the client is over a rate limit."""


class InternalServerError[P = None](
    HTTPError[P], type="internal-server-error", title="Internal server error", status=500
):
    """500 `internal-server-error`: what any uncaught exception answers."""


class ServiceUnavailableError[P = None](
    HTTPError[P], type="service-unavailable", title="Service unavailable", status=503
):
    """503 `service-unavailable`: the app cannot serve now (what requests before wiring get)."""


BUILTIN_ERRORS: tuple[type[HTTPError[Any]], ...] = (
    MalformedRequestError,
    AuthenticationRequiredError,
    ForbiddenError,
    NotFoundError,
    MethodNotAllowedError,
    RequestTimeoutError,
    ConflictError,
    GoneError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
    TooManyRequestsError,
    InternalServerError,
    ServiceUnavailableError,
)
"""One built-in per status, what a client reads an error body that names no `type` as."""


# --- the framework's own parameterised problems -------------------------------------


class InputProblem(msgspec.Struct):
    """Which request source failed to decode, and msgspec's reason (never the value)."""

    source: str
    reason: str


class InvalidInputError(MalformedRequestError[InputProblem], detail="Invalid {source}: {reason}"):
    """400: a query, header, cookie or body that cannot be read at all."""

    @property
    def fields(self) -> tuple[FieldProblem, ...]:
        return input_fields(self.params)


class InvalidBodyError(ValidationFailedError[InputProblem], detail="Invalid {source}: {reason}"):
    """422: a well-formed body that does not match its schema (and, when the app's
    `InputStatuses` say so, any unreadable input)."""

    @property
    def fields(self) -> tuple[FieldProblem, ...]:
        return input_fields(self.params)


class InvalidPathValueError(NotFoundError):
    """404: a path value that does not convert; the same `not-found` answer as an unknown
    path, remembering why (`input`) for apps whose `InputStatuses` answer it 422."""

    input: InputProblem | None = None

    def because(self, problem: InputProblem) -> Self:
        self.input = problem
        return self


# msgspec ends a located message with " - at `$.a.b`"; a missing field names itself.
_LOCATED = re.compile(r"^(?P<message>.*) - at `(?P<path>\$[^`]*)`\Z", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]*)`\Z")


def input_fields(problem: InputProblem | None) -> tuple[FieldProblem, ...]:
    """The field problem msgspec's reason describes, split into path and message."""
    if problem is None:
        return ()
    found = _LOCATED.match(problem.reason)
    message, path = (found["message"], found["path"]) if found else (problem.reason, "$")
    missing = _MISSING.match(message)
    if missing:
        path = f"{path}.{missing['name']}"
    return (FieldProblem(problem.source, path, message),)


class LimitProblem(msgspec.Struct):
    limit: str
    max_bytes: int


class OverLimitError(
    PayloadTooLargeError[LimitProblem], detail="The {limit} exceeds {max_bytes} bytes"
):
    """413 with the limit that was crossed."""


class TimeoutProblem(msgspec.Struct):
    seconds: float


class BodyTimeoutError(
    RequestTimeoutError[TimeoutProblem],
    detail="No part of the request body arrived for {seconds} seconds",
):
    """408: the client stopped sending its body (`Limits.body_timeout`)."""


class RateProblem(msgspec.Struct):
    bytes_per_second: float


class BodyTooSlowError(
    RequestTimeoutError[RateProblem],
    detail="The request body arrived slower than {bytes_per_second} bytes per second",
):
    """408: the body kept arriving, too slowly to finish (`Limits.body_min_rate`)."""


class MediaTypeProblem(msgspec.Struct):
    expected: str
    received: str


class WrongMediaTypeError(
    UnsupportedMediaTypeError[MediaTypeProblem],
    detail="Expected a body of type {expected}, got {received}",
):
    """415 naming the media type the route reads."""


# msgspec echoes the submitted value for a bad enum/Literal ("Invalid enum value 'x'") and
# a bad union tag ("Invalid value 'x'"); the value may itself contain " - at `" or a
# newline, so everything up to the trailing path (or the end) goes.
_SUBMITTED_VALUE = re.compile(r"^(Invalid (?:enum )?value) .*?(?= - at `[^`]*`\Z|\Z)", re.DOTALL)


def describe_decode_error(error: msgspec.DecodeError) -> str:
    """msgspec's message with the field path, scrubbed of any submitted value."""
    return _SUBMITTED_VALUE.sub(r"\1", str(error))


class ClientDisconnectError(Exception):
    """`http.disconnect` while the request body was being read. Servers send it both
    when the client went away and when the body's framing broke (granian does, for an
    invalid chunk size), so the app answers a 400 that reaches a client still there."""
