"""Response wrappers a handler returns when a plain value is not enough.

Each is generic in its body type `T` and its typed-headers Struct `H`, so the annotation
`-> Created[Widget, RateHeaders]` carries everything wiring needs to build the encoder,
the header block and the OpenAPI entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .._headers import RawHeaders

if TYPE_CHECKING:
    from .cookies import SetCookie

__all__ = ["Accepted", "BytesResponse", "Created", "JSONResponse", "NoContent"]

type ExtraHeaders = RawHeaders | Mapping[str, str]


class HeadFields[H = None]:
    """What every response wrapper may add to its head: typed headers, raw headers and
    cookies (the streaming wrappers share it too)."""

    __slots__ = ("cookies", "headers", "raw_headers")

    def __init__(
        self,
        headers: H | None,
        raw_headers: ExtraHeaders | None,
        cookies: Sequence[SetCookie],
    ) -> None:
        self.headers = headers
        self.raw_headers = raw_headers
        self.cookies = cookies


class JSONResponse[T, H = None](HeadFields[H]):
    """A JSON body with an explicit status and/or headers. `status_code=None` keeps the
    route's default (201 for `Resource.create`, 200 elsewhere)."""

    __slots__ = ("json", "status_code")

    default_status: int | None = None

    def __init__(
        self,
        json: T,
        *,
        headers: H | None = None,
        status_code: int | None = None,
        raw_headers: ExtraHeaders | None = None,
        cookies: Sequence[SetCookie] = (),
    ) -> None:
        # HeadFields.__init__ written out: a handler builds one of these per request.
        self.headers = headers
        self.raw_headers = raw_headers
        self.cookies = cookies
        self.json = json
        self.status_code = status_code if status_code is not None else self.default_status


class _FixedStatusJSON[T, H = None](JSONResponse[T, H]):
    """A JSON response whose status is its class's: no `status_code` argument."""

    __slots__ = ()

    def __init__(
        self,
        json: T,
        *,
        headers: H | None = None,
        raw_headers: ExtraHeaders | None = None,
        cookies: Sequence[SetCookie] = (),
    ) -> None:
        super().__init__(json, headers=headers, raw_headers=raw_headers, cookies=cookies)


class Created[T, H = None](_FixedStatusJSON[T, H]):
    """201 Created with a JSON body."""

    __slots__ = ()
    default_status = 201


class Accepted[T, H = None](_FixedStatusJSON[T, H]):
    """202 Accepted with a JSON body."""

    __slots__ = ()
    default_status = 202


class BytesResponse[H = None](HeadFields[H]):
    """A raw body with its media type."""

    __slots__ = ("content", "media_type", "status_code")

    def __init__(
        self,
        content: bytes,
        *,
        media_type: str = "application/octet-stream",
        headers: H | None = None,
        status_code: int | None = None,
        raw_headers: ExtraHeaders | None = None,
        cookies: Sequence[SetCookie] = (),
    ) -> None:
        super().__init__(headers, raw_headers, cookies)
        self.content = content
        self.media_type = media_type
        self.status_code = status_code


class NoContent[H = None](HeadFields[H]):
    """204 No Content: no body, no content-type, no content-length."""

    __slots__ = ()

    status_code = 204

    def __init__(
        self,
        *,
        headers: H | None = None,
        raw_headers: ExtraHeaders | None = None,
        cookies: Sequence[SetCookie] = (),
    ) -> None:
        super().__init__(headers, raw_headers, cookies)
