"""The problems conditional requests answer with."""

from __future__ import annotations

from .._errors import HTTPError


class PreconditionFailedError[P = None](
    HTTPError[P], type="precondition-failed", title="Precondition failed", status=412
):
    """412: an `If-Match` / `If-Unmodified-Since` (or `If-None-Match` on a write) that
    the resource's current state does not satisfy."""


class NotModified(Exception):
    """Raised by `Preconditions.evaluate` on a GET/HEAD whose validators still match; the
    route answers 304 with these validators and no body."""

    def __init__(self, etag: str | None, last_modified: str | None) -> None:
        super().__init__("not modified")
        self.etag = etag
        self.last_modified = last_modified
