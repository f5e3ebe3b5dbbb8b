"""Reading a response back into the value the handler returned, or the error it raised.

For each documented outcome (`ResponseShape`, one per member of the return annotation)
wiring builds a reader: the body decoder for its type, the typed headers converter, and
the wrapper to rebuild (`Created[T, H]`, `NoContent[H]`...). A response picks its reader
by status, then by media type. A problem document becomes the `HTTPError` subclass its
`type` names, with its `params` decoded to that class's params Struct.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import msgspec

from .._binding.base import struct_converter
from .._binding.text import header_collector
from .._errors import BUILTIN_ERRORS, HTTPError, Problem
from .._errors_format.format import ErrorFormat
from .._media import MSGPACK, MSGPACK_MEDIA_TYPES
from .._plan import ResponseShape
from .._rendering.responses import BytesResponse, JSONResponse, NoContent
from .._streaming.responses import (
    NDJSONStreamingResponse,
    SSEResponse,
    StreamingResponse,
)
from .._types import is_subclass


class ResponseError(Exception):
    """A response the operation's declared types do not describe (an undocumented
    status, media type or body), or one that is not a problem document for an error."""

    def __init__(self, message: str, response: httpx.Response) -> None:
        super().__init__(message)
        self.response = response


class UnknownProblemError(ResponseError):
    """A problem document whose `type` no `HTTPError` class in this process declares;
    `problem` is the document as received."""

    def __init__(self, problem: Problem, response: httpx.Response) -> None:
        super().__init__(
            f"{problem.status} {problem.type}: {problem.detail or problem.title}", response
        )
        self.problem = problem


type HeaderReader = Callable[[httpx.Response], Any]

_PROBLEM_TYPES = {
    "application/problem+json": msgspec.json.Decoder(Problem).decode,
    "application/problem+msgpack": msgspec.msgpack.Decoder(Problem).decode,
}


def media_type_of(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").partition(";")[0].strip().lower()


def body_decoder(tp: Any) -> Callable[[httpx.Response], Any]:
    """The response body as `tp`, from JSON or (when the server sent it) MessagePack."""
    from_json = msgspec.json.Decoder(tp).decode
    from_msgpack = msgspec.msgpack.Decoder(tp).decode

    def decode(response: httpx.Response) -> Any:
        if media_type_of(response) in MSGPACK_MEDIA_TYPES:
            return from_msgpack(response.content)
        return from_json(response.content)

    return decode


def headers_reader(headers_type: type[msgspec.Struct] | None) -> HeaderReader:
    """The typed response headers, converted as the server's `headers:` binder would."""
    if headers_type is None:
        return lambda response: None
    collect = header_collector(headers_type)
    convert = struct_converter(headers_type, "response headers")

    def read(response: httpx.Response) -> Any:
        raw = [(name.lower(), value) for name, value in response.headers.raw]
        return convert(collect(raw))

    return read


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """How to rebuild one declared outcome from a response."""

    shape: ResponseShape
    build: Callable[[httpx.Response], Any]
    """Buffered outcomes: the returned value, from the whole response."""
    wrapper: type[Any] | None
    """The stream wrapper class for streamed outcomes (None for buffered ones)."""
    read_headers: HeaderReader

    def matches(self, response: httpx.Response) -> bool:
        declared = self.shape.media_type
        if declared is None:
            return True
        media = media_type_of(response)
        return media == declared or (declared == "application/json" and media == MSGPACK)


def outcome_for(member: Any, shape: ResponseShape) -> Outcome:
    """The reader of one union member of a return annotation and its shape."""
    origin: Any = typing.get_origin(member) or member
    read_headers = headers_reader(shape.headers_type)
    if shape.streaming:
        return Outcome(shape, _not_buffered, origin, read_headers)
    if is_subclass(origin, JSONResponse):
        decode = body_decoder(shape.body_type)

        def build_json_wrapper(response: httpx.Response) -> Any:
            value = origin(decode(response), headers=read_headers(response))
            if origin is JSONResponse:
                value.status_code = response.status_code
            return value

        return Outcome(shape, build_json_wrapper, None, read_headers)
    if is_subclass(origin, BytesResponse):

        def build_bytes(response: httpx.Response) -> Any:
            media = response.headers.get("content-type", "application/octet-stream")
            return origin(
                response.content,
                media_type=media,
                headers=read_headers(response),
                status_code=response.status_code,
            )

        return Outcome(shape, build_bytes, None, read_headers)
    if is_subclass(origin, NoContent):
        return Outcome(shape, lambda r: origin(headers=read_headers(r)), None, read_headers)
    if member is str:
        return Outcome(shape, lambda r: r.text, None, read_headers)
    if member is bytes:
        return Outcome(shape, lambda r: r.content, None, read_headers)
    return Outcome(shape, body_decoder(shape.body_type), None, read_headers)


def _not_buffered(response: httpx.Response) -> Any:
    raise TypeError("a streamed outcome is read item by item")


class Outcomes:
    """Every declared outcome of one operation, chosen per response."""

    def __init__(
        self,
        outcomes: Iterable[Outcome],
        errors: Iterable[type[HTTPError[Any]]],
        error_format: ErrorFormat[Any] | None = None,
    ):
        self._all = tuple(outcomes)
        self._errors = ErrorTypes(errors, error_format)

    def choose(self, response: httpx.Response) -> Outcome:
        """The outcome a success response is, or the error a failure carries (raised)."""
        status = response.status_code
        if status >= 400:
            raise self._errors.error_of(response)
        same_status = [o for o in self._all if o.shape.status == status]
        # Wrappers may set their own status at run time; then the media type decides.
        candidates = same_status or [o for o in self._all if _status_is_settable(o)]
        for outcome in candidates:
            if outcome.matches(response):
                return outcome
        declared = ", ".join(f"{o.shape.status} {o.shape.media_type}" for o in self._all)
        media = response.headers.get("content-type", "none")
        raise ResponseError(
            f"{status} {media} is not a declared outcome (declared: {declared})", response
        )


def _status_is_settable(outcome: Outcome) -> bool:
    body = outcome.shape.body_type
    return outcome.wrapper in (StreamingResponse, NDJSONStreamingResponse, SSEResponse) or (
        body is not None and outcome.shape.status not in (201, 202, 204)
    )


class ErrorTypes:
    """`type` code → `HTTPError` class: the operation's declared errors first, then every
    other subclass defined so far (the built-ins and the application's own)."""

    def __init__(
        self,
        declared: Iterable[type[HTTPError[Any]]],
        error_format: ErrorFormat[Any] | None = None,
    ) -> None:
        self._declared = tuple(declared)
        self._format = error_format
        self._decode_format = (
            None
            if error_format is None
            else msgspec.json.Decoder(type(error_format).body_type).decode
        )

    def _candidates(self, code: str) -> list[type[HTTPError[Any]]]:
        found = [cls for cls in self._declared if cls.type == code]
        found += [cls for cls in _all_error_classes() if cls.type == code and cls not in found]
        return found

    def error_of(self, response: httpx.Response) -> Exception:
        media = media_type_of(response)
        if self._format is not None:
            return self._formatted_error(response, media)
        decode = _PROBLEM_TYPES.get(media)
        if decode is None:
            return ResponseError(
                f"{response.status_code} {media or 'none'} is not a problem document", response
            )
        try:
            problem = decode(response.content)
        except msgspec.DecodeError:
            return ResponseError(f"{response.status_code}: malformed problem document", response)
        return self._error_for(problem, response)

    def _formatted_error(self, response: httpx.Response, media: str) -> Exception:
        """The app's own error body, read back through its `ErrorFormat.read`."""
        fmt, decode = self._format, self._decode_format
        assert fmt is not None and decode is not None
        status = response.status_code
        if media != fmt.media_type:
            expected = fmt.media_type
            return ResponseError(f"{status} {media or 'none'} is not a {expected} error", response)
        try:
            body = decode(response.content)
        except msgspec.DecodeError:
            return ResponseError(f"{status}: malformed {type(fmt).__qualname__} body", response)
        problem = fmt.read(body, status)
        if problem is None:
            problem = _builtin_problem(status)
        return self._error_for(problem, response)

    def _error_for(self, problem: Problem, response: httpx.Response) -> Exception:
        for cls in self._candidates(problem.type):
            error = _rebuild(cls, problem, response)
            if error is not None:
                return error
        return UnknownProblemError(problem, response)


def _builtin_problem(status: int) -> Problem:
    """What a format that does not say its error stands for: jero's built-in of `status`."""
    for cls in BUILTIN_ERRORS:
        if cls.status == status:
            return Problem(cls.type, cls.title, status)
    return Problem("about:blank", "Error", status)


def _all_error_classes() -> list[type[HTTPError[Any]]]:
    seen: list[type[HTTPError[Any]]] = []
    pending: list[type[HTTPError[Any]]] = [HTTPError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                pending.append(sub)
    return seen


def _rebuild(
    cls: type[HTTPError[Any]], problem: Problem, response: httpx.Response
) -> HTTPError[Any] | None:
    """`cls` as raised on the server, when the document fits it (params and all)."""
    if (problem.params is None) != (cls.params_type is None) or cls.status != problem.status:
        return None
    params: Any = None
    if cls.params_type is not None:
        try:
            params = msgspec.convert(problem.params, cls.params_type)
        except msgspec.ValidationError:
            return None
    try:
        error = cls(params) if params is not None else cls()
    except TypeError:
        return None
    return error.with_headers(dict(response.headers))
