"""Which status unreadable input answers: a per-app declaration, not a framework constant.

jero's default follows HTTP's split: JSON that does not parse and query, header or cookie
values that do not convert are the client's malformed request (400), a path value that
does not convert names no resource (404), a well-formed body that fails its schema is
422. Some published API contracts answer 422 for every invalid input; `InputStatuses`
says so once, and both the answers and the OpenAPI document follow it.

The choice is applied where the answer is sent (a dictionary lookup on the error path
only), so binding stays as it is and a request that decodes pays nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Literal

from .._errors import (
    HTTPError,
    InputProblem,
    InvalidBodyError,
    InvalidInputError,
    InvalidPathValueError,
    NotFoundError,
    WiringError,
)

__all__ = ["InputStatuses"]

type ErrorClass = type[HTTPError[Any]]
type Remap = Callable[[HTTPError[Any]], HTTPError[Any]]

BODY_SOURCES = frozenset({"body", "form"})
"""`InputProblem.source` values that name the request body."""
_BODY_PARAMETERS = frozenset({"json", "form", "content"})
_TEXT_PARAMETERS = frozenset({"params", "headers", "cookies"})


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class InputStatuses:
    """The statuses of input jero cannot read, for `BaseApp(input_statuses=...)`.

    `malformed_body`: a body that does not parse (bad JSON, bad UTF-8, broken multipart),
    400 or 422. `malformed_params`: a query, header or cookie value that does not convert
    or is repeated, 400 or 422. `path`: a path value that does not convert, 404 or 422.
    A 422 answer is `validation-failed` with the same detail and field problems.
    """

    malformed_body: Literal[400, 422] = 400
    malformed_params: Literal[400, 422] = 400
    path: Literal[404, 422] = 404

    @classmethod
    def all_422(cls) -> InputStatuses:
        """Every unreadable input is 422, as many published API contracts want."""
        return cls(malformed_body=422, malformed_params=422, path=422)

    def check(self, owner: str) -> None:
        for name, allowed in (
            ("malformed_body", (400, 422)),
            ("malformed_params", (400, 422)),
            ("path", (404, 422)),
        ):
            value = getattr(self, name)
            if value not in allowed:
                raise WiringError(
                    f"{owner}: InputStatuses({name}={value!r}) must be "
                    f"{' or '.join(map(str, allowed))}"
                )

    @property
    def is_default(self) -> bool:
        return self == InputStatuses()

    def remap(self) -> Remap | None:
        """The request-time translation of jero's input errors, None when there is none."""
        if self.is_default:
            return None
        body_422 = self.malformed_body == 422
        params_422 = self.malformed_params == 422
        path_422 = self.path == 422

        def remap(error: HTTPError[Any]) -> HTTPError[Any]:
            cls = type(error)
            if cls is InvalidInputError:
                problem = error.params
                assert isinstance(problem, InputProblem)
                if body_422 if problem.source in BODY_SOURCES else params_422:
                    return InvalidBodyError(problem, headers=error.headers)
            elif cls is InvalidPathValueError and path_422:
                problem = getattr(error, "input", None)
                if isinstance(problem, InputProblem):
                    return InvalidBodyError(problem, headers=error.headers)
            return error

        return remap

    def documented(self, parameter: str, errors: tuple[ErrorClass, ...]) -> list[ErrorClass]:
        """The classes a handler parameter's source can answer under this declaration."""
        found: list[ErrorClass] = []
        for cls in errors:
            if cls is InvalidInputError and parameter in _BODY_PARAMETERS:
                if parameter != "content":
                    found.append(_input_class(self.malformed_body))
                found.append(_input_class(self.malformed_params))  # a bad Content-Length
            elif cls is InvalidInputError and parameter in _TEXT_PARAMETERS:
                found.append(_input_class(self.malformed_params))
            elif cls is NotFoundError and parameter == "path" and self.path == 422:
                found.extend((InvalidBodyError, cls))  # a handler may still find nothing
            else:
                found.append(cls)
        return found


def _input_class(status: int) -> ErrorClass:
    return InvalidBodyError if status == 422 else InvalidInputError
