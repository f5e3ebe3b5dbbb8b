"""The precondition evaluation order of RFC 9110 §13.2.2, shared by handlers and static
files: If-Match, then If-Unmodified-Since, then If-None-Match, then If-Modified-Since.
"""

from __future__ import annotations

import dataclasses

from .._asgi import HeaderList
from .etags import parse_http_date, parse_tag_list, strong_match, weak_match

PROCEED = 0
NOT_MODIFIED = 304
FAILED = 412

_NAMES = {
    b"if-match": 0,
    b"if-none-match": 1,
    b"if-modified-since": 2,
    b"if-unmodified-since": 3,
}


@dataclasses.dataclass(frozen=True, slots=True)
class Conditions:
    """The conditional headers of one request, as sent (None when absent). Repeated
    header lines of a list-valued field are joined with ", " (RFC 9110 §5.3)."""

    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    if_unmodified_since: str | None = None

    @classmethod
    def from_asgi(cls, headers: HeaderList) -> Conditions:
        found: list[str | None] = [None, None, None, None]
        for name, value in headers:
            index = _NAMES.get(name)
            if index is not None:
                text = value.decode("latin-1")
                before = found[index]
                found[index] = text if before is None or index >= 2 else f"{before}, {text}"
        return cls(*found)

    def evaluate(self, etag: str | None, modified: int | None, safe: bool) -> int:
        """`PROCEED`, `NOT_MODIFIED` (only when `safe`: a GET or HEAD) or `FAILED`.

        `etag` is the selected representation's current tag in wire form and `modified`
        its modification time in whole seconds; None for either means the resource has
        no such validator (an `etag` of None with `If-Match: *` means it does not exist).
        """
        if self.if_match is not None:
            tags = parse_tag_list(self.if_match)
            if tags is not None and (etag is None or not strong_match(tags, etag)):
                return FAILED
        elif self.if_unmodified_since is not None and modified is not None:
            since = parse_http_date(self.if_unmodified_since)
            if since is not None and modified > since:
                return FAILED
        if self.if_none_match is not None:
            tags = parse_tag_list(self.if_none_match)
            if tags is not None and etag is not None and weak_match(tags, etag):
                return NOT_MODIFIED if safe else FAILED
        elif safe and self.if_modified_since is not None and modified is not None:
            since = parse_http_date(self.if_modified_since)
            if since is not None and modified <= since:
                return NOT_MODIFIED
        return PROCEED


NO_CONDITIONS = Conditions()


def has_conditions(headers: HeaderList) -> bool:
    """Whether any conditional header was sent: the common request pays one scan."""
    return any(name in _NAMES for name, _ in headers)
