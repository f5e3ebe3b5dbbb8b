"""`SOURCES`: the parameter names jero binds, one record each.

A record says how to build the parameter's binder at wiring, whether it consumes the
request body, and which framework errors its binder can raise: the OpenAPI document
lists exactly those for every operation that takes the parameter. Adding a source is
one entry here; `handlers.py` looks every handler parameter up by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .._binding.base import BindContext, Binder, BinderBuilder
from .._binding.body import build_content
from .._binding.cookies import build_cookies
from .._binding.form_reader import OverCountError
from .._binding.forms import build_form
from .._binding.json_body import build_json
from .._binding.text import build_headers, build_params, build_path, build_raw_headers
from .._conditional.errors import PreconditionFailedError
from .._conditional.preconditions import build_conditions
from .._errors import (
    BodyTimeoutError,
    HTTPError,
    InvalidBodyError,
    InvalidInputError,
    NotFoundError,
    OverLimitError,
    WiringError,
    WrongMediaTypeError,
)
from .._protection.session_source import build_session

type ErrorClass = type[HTTPError[Any]]


@dataclasses.dataclass(frozen=True, slots=True)
class Source:
    """A parameter name jero binds: its binder, whether it reads the body, and every
    error class its binder may raise."""

    build: BinderBuilder
    reads_body: bool = False
    errors: tuple[ErrorClass, ...] = ()


def build_user(tp: Any, ctx: BindContext) -> Binder:
    if ctx.auth is None:
        raise WiringError(
            f"{ctx.where} is the authenticated user, but the route was included without "
            f"an authenticator; pass auth=YourAuth() to _include_resource/_include_endpoint, "
            f"or remove the `user` parameter"
        )
    return ctx.auth.user_binder(tp, ctx)


# Reading any body: a bad Content-Length or a body that ended early (400), one over the
# limit (413), a stalled one (408).
_BODY_ERRORS = (InvalidInputError, OverLimitError, BodyTimeoutError)

SOURCES: dict[str, Source] = {
    # A path value that does not convert is a 404, as is a missing item.
    "path": Source(build_path, errors=(NotFoundError,)),
    "params": Source(build_params, errors=(InvalidInputError,)),
    "headers": Source(build_headers, errors=(InvalidInputError,)),
    "cookies": Source(build_cookies, errors=(InvalidInputError,)),
    "raw_headers": Source(build_raw_headers),
    "json": Source(
        build_json,
        reads_body=True,
        errors=(*_BODY_ERRORS, WrongMediaTypeError, InvalidBodyError),
    ),
    "content": Source(build_content, reads_body=True, errors=_BODY_ERRORS),
    "form": Source(
        build_form,
        reads_body=True,
        errors=(*_BODY_ERRORS, WrongMediaTypeError, OverCountError, InvalidBodyError),
    ),
    # The mount's authenticator documents itself (security, 401), with or without `user`.
    "user": Source(build_user),
    "conditions": Source(build_conditions, errors=(PreconditionFailedError,)),
    # Bound from the `Sessions` layer around the route, which answers its own errors.
    "session": Source(build_session),
}
