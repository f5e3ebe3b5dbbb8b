"""`Preconditions`: the `conditions` handler parameter, which evaluates the request's
`If-*` headers against the resource's current validators (RFC 9110 §13.2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .._asgi import Scope
from .._binding.base import BindContext, Binder
from .._errors import WiringError
from .errors import NotModified, PreconditionFailedError
from .etags import http_date, whole_seconds
from .evaluate import FAILED, NOT_MODIFIED, Conditions

__all__ = ["Preconditions"]

_SAFE = frozenset({"GET", "HEAD"})


class Preconditions:
    """The conditional headers a request sent. Declare `conditions: Preconditions` and
    call `conditions.evaluate(current_etag, last_modified)` before doing the work:

    - on a write (PUT, PATCH, DELETE, POST), a failed `If-Match`, `If-Unmodified-Since`
      or a matching `If-None-Match` raises `PreconditionFailedError` (412), so a lost
      update never happens;
    - on a GET, a matching `If-None-Match` (or an unexpired `If-Modified-Since`) ends the
      handler: the route answers 304 with the validators, and no body is built.

    `current_etag=None` means the resource does not exist yet (`If-None-Match: *` on a
    PUT then passes and `If-Match: *` fails).
    """

    __slots__ = ("_conditions", "_safe")

    def __init__(self, conditions: Conditions, *, safe: bool) -> None:
        self._conditions = conditions
        self._safe = safe

    @property
    def if_match(self) -> str | None:
        return self._conditions.if_match

    @property
    def if_none_match(self) -> str | None:
        return self._conditions.if_none_match

    @property
    def if_modified_since(self) -> str | None:
        return self._conditions.if_modified_since

    @property
    def if_unmodified_since(self) -> str | None:
        return self._conditions.if_unmodified_since

    @property
    def any(self) -> bool:
        """Whether the request sent any conditional header."""
        c = self._conditions
        return not (
            c.if_match is None
            and c.if_none_match is None
            and c.if_modified_since is None
            and c.if_unmodified_since is None
        )

    def evaluate(self, etag: str | None, last_modified: datetime | None = None) -> None:
        """Return when the request may proceed; raise otherwise (see the class doc).

        `etag` is the wire form (`make_etag(...)`); `last_modified` an aware datetime.
        """
        modified = None if last_modified is None else whole_seconds(last_modified)
        outcome = self._conditions.evaluate(etag, modified, self._safe)
        if outcome == NOT_MODIFIED:
            date = None if last_modified is None else http_date(last_modified)
            raise NotModified(etag, date)
        if outcome == FAILED:
            raise PreconditionFailedError()


def build_conditions(tp: Any, ctx: BindContext) -> Binder:
    """The binder of `conditions: Preconditions`."""
    if tp is not Preconditions:
        name = getattr(tp, "__name__", tp)
        raise WiringError(
            f"{ctx.where} must be annotated `Preconditions` (from jero), got {name!r}"
        )
    safe = ctx.http_method in _SAFE

    def bind(scope: Scope, values: Sequence[str]) -> Preconditions:
        return Preconditions(Conditions.from_asgi(scope["headers"]), safe=safe)

    return Binder(bind)
