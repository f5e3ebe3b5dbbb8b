"""Conduit's errors: the spec's body `{"errors": {"body": ["..."]}}`, for every error.

`ConduitErrors` is the app's `ErrorFormat`: jero's own errors (a blank field, a missing
token, an unknown path) and the app's (`ArticleNotFoundError`...) all answer in it. Input
that fails to decode carries field problems, which become the spec's messages
("username can't be blank"); the app declares `InputStatuses.all_422()` so that every
invalid input is the spec's 422.
"""

from __future__ import annotations

from typing import Any

import msgspec

from jero import (
    AuthenticationRequiredError,
    ConflictError,
    ErrorFormat,
    FieldProblem,
    ForbiddenError,
    HTTPError,
    NotFoundError,
    Problem,
)


class ErrorMessages(msgspec.Struct):
    body: list[str]


class GenericErrorModel(msgspec.Struct):
    """The spec's error body."""

    errors: ErrorMessages


class ConduitErrors(ErrorFormat[GenericErrorModel]):
    def render(self, error: HTTPError[Any]) -> GenericErrorModel:
        if error.fields:
            return GenericErrorModel(ErrorMessages([_message(f) for f in error.fields]))
        return GenericErrorModel(ErrorMessages([error.detail or error.title]))

    def read(self, body: GenericErrorModel, status: int) -> Problem | None:
        """Typed clients: a body whose message is one of the app's errors' titles is that
        error; anything else is jero's built-in of the status."""
        for cls in APP_ERRORS:
            if cls.status == status and body.errors.body == [cls.title]:
                return Problem(cls.type, cls.title, status)
        return None


def _message(problem: FieldProblem) -> str:
    name = problem.path.rsplit(".", 1)[-1] if problem.path != "$" else problem.source
    message = problem.message
    if message.startswith("Object missing required field") or "length >= 1" in message:
        return f"{name} can't be blank"
    return f"{name} is invalid ({message})"


class ArticleNotFoundError(NotFoundError, type="article-not-found", title="article not found"):
    pass


class ProfileNotFoundError(NotFoundError, type="profile-not-found", title="profile not found"):
    pass


class CommentNotFoundError(NotFoundError, type="comment-not-found", title="comment not found"):
    pass


class NotAuthorError(
    ForbiddenError, type="not-author", title="only the author may change or delete this"
):
    pass


class InvalidLoginError(
    AuthenticationRequiredError, type="invalid-login", title="email or password is invalid"
):
    pass


class TokenInvalidError(
    AuthenticationRequiredError, type="token-invalid", title="token is invalid or expired"
):
    pass


class Taken(msgspec.Struct):
    field: str


class TakenError(ConflictError[Taken], type="taken", detail="{field} has already been taken"):
    """409: the request is valid, the name is not free. (Valid input is never a 422 here,
    so a client, or a fuzzer, can tell a bad request from a clash with existing data.)"""


APP_ERRORS: tuple[type[HTTPError[Any]], ...] = (
    ArticleNotFoundError,
    ProfileNotFoundError,
    CommentNotFoundError,
    NotAuthorError,
    InvalidLoginError,
    TokenInvalidError,
)
