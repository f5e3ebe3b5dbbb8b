"""`SetCookie`: one `Set-Cookie` response header, validated when it is made.

Writing is strict: a `SetCookie` validates everything at construction and keeps its
finished header value, so a response only appends a prebuilt pair.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from email.utils import format_datetime
from typing import Literal

__all__ = ["SetCookie"]

type SameSite = Literal["lax", "strict", "none"]

_SET_COOKIE = b"set-cookie"
# RFC 6265 §4.1.1: a cookie name is an RFC 9110 token.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# What may not appear in a value or attribute: controls (they end or split the header
# line) and ';' (it would start a new attribute). Anything beyond ASCII is refused too,
# since header bytes are Latin-1 on the wire and browsers disagree on other encodings.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f;]|[^\x00-\x7f]")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class SetCookie:
    """One `Set-Cookie` response header, secure by default.

    `Secure`, `HttpOnly`, `SameSite=Lax` and `Path=/` unless told otherwise. Every value
    is checked here, so a bad cookie fails where it is built, not while responding:

        JSONResponse(session, cookies=[SetCookie("session", token, max_age=3600)])
    """

    name: str
    value: str
    _: dataclasses.KW_ONLY
    max_age: int | None = None
    """Seconds until the cookie expires; 0 or less deletes it."""
    expires: datetime.datetime | None = None
    """An aware datetime; `max_age` wins in browsers that honour both."""
    path: str | None = "/"
    domain: str | None = None
    secure: bool = True
    http_only: bool = True
    same_site: SameSite | None = "lax"
    partitioned: bool = False
    """CHIPS: keep the cookie per top-level site (needs `secure`)."""
    header_value: bytes = dataclasses.field(init=False, repr=False, compare=False)
    """The finished `Set-Cookie` value, built once here."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "header_value", self.__render())

    @classmethod
    def expire(
        cls,
        name: str,
        *,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = True,
        http_only: bool = True,
        same_site: SameSite | None = "lax",
        partitioned: bool = False,
    ) -> SetCookie:
        """Delete cookie `name`: an empty value that expired at the epoch.

        Browsers only delete a cookie whose `path` and `domain` match the ones it was
        set with, so pass the same ones.
        """
        return cls(
            name,
            "",
            max_age=0,
            expires=_EPOCH,
            path=path,
            domain=domain,
            secure=secure,
            http_only=http_only,
            same_site=same_site,
            partitioned=partitioned,
        )

    def header(self) -> tuple[bytes, bytes]:
        """The ASGI header pair this cookie is sent as."""
        return (_SET_COOKIE, self.header_value)

    def __render(self) -> bytes:
        name = self.name
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ValueError(
                f"cookie name {name!r} is not a token: use letters, digits and "
                f"!#$%&'*+-.^_`|~ only (no spaces, '=', ';' or quotes)"
            )
        _check_text("value", self.value, name)
        parts = [f"{name}={self.value}"]
        if self.max_age is not None:
            if isinstance(self.max_age, bool) or not isinstance(self.max_age, int):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise ValueError(f"cookie {name!r}: max_age must be an int number of seconds")
            parts.append(f"Max-Age={self.max_age}")
        if self.expires is not None:
            parts.append(f"Expires={_http_date(self.expires, name)}")
        if self.domain is not None:
            _check_text("domain", self.domain, name)
            parts.append(f"Domain={self.domain}")
        if self.path is not None:
            _check_text("path", self.path, name)
            parts.append(f"Path={self.path}")
        if self.secure:
            parts.append("Secure")
        if self.http_only:
            parts.append("HttpOnly")
        if self.same_site is not None:
            if self.same_site not in ("lax", "strict", "none"):
                raise ValueError(
                    f"cookie {name!r}: same_site must be 'lax', 'strict', 'none' or None, "
                    f"got {self.same_site!r}"
                )
            if self.same_site == "none" and not self.secure:
                raise ValueError(
                    f"cookie {name!r}: browsers drop SameSite=None without Secure; keep secure=True"
                )
            parts.append(f"SameSite={self.same_site.capitalize()}")
        if self.partitioned:
            if not self.secure:
                raise ValueError(f"cookie {name!r}: partitioned cookies need secure=True")
            parts.append("Partitioned")
        self.__check_prefix()
        return "; ".join(parts).encode("ascii")

    def __check_prefix(self) -> None:
        """Browsers reject `__Secure-`/`__Host-` cookies that break the prefix's rules."""
        name = self.name
        if name.startswith(("__Secure-", "__Host-")) and not self.secure:
            raise ValueError(f"cookie {name!r}: its prefix requires secure=True")
        if name.startswith("__Host-") and (self.domain is not None or self.path != "/"):
            raise ValueError(f"cookie {name!r}: a __Host- cookie needs path='/' and no domain")


def _check_text(what: str, text: object, name: str) -> None:
    if not isinstance(text, str):
        raise ValueError(f"cookie {name!r}: {what} must be a str, got {type(text).__name__}")
    bad = _UNSAFE.search(text)
    if bad is not None:
        raise ValueError(
            f"cookie {name!r}: {what} contains {bad.group()!r} at index {bad.start()}; "
            f"control characters, ';' and non-ASCII are not allowed (encode the {what} "
            f"first, e.g. with urllib.parse.quote or base64)"
        )


def _http_date(moment: datetime.datetime, name: str) -> str:
    if moment.tzinfo is None:
        raise ValueError(
            f"cookie {name!r}: expires must be an aware datetime, e.g. "
            f"datetime.now(UTC) + timedelta(days=1)"
        )
    return format_datetime(moment.astimezone(datetime.UTC), usegmt=True)
