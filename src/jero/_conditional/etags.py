"""Entity tags and HTTP dates as RFC 9110 §8.8 and §5.6.7 define them, and the two ways
of comparing tags (§8.8.3.2): strong (both strong, same opaque value) and weak (same
opaque value).

Tags travel in their wire form (`"v3"`, `W/"v3"`) as plain `str`, so a typed response
header field `etag: str` carries one without any encoding hook.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime

__all__ = ["make_etag"]

# etagc = "!" / %x23-7E / obs-text; the opaque value sits between double quotes.
_ETAGC = re.compile(r"^[\x21\x23-\x7e\x80-\xff]*$")
_TAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')

ANY = "*"


def make_etag(opaque: str, *, weak: bool = False) -> str:
    """The wire form of an entity tag: `make_etag("v3")` is `"v3"`, with `weak=True` it
    is `W/"v3"`. `opaque` may hold any visible ASCII character except `"`."""
    if not _ETAGC.match(opaque):
        raise ValueError(f"an entity tag holds visible characters other than '\"': {opaque!r}")
    return f'W/"{opaque}"' if weak else f'"{opaque}"'


def is_weak(tag: str) -> bool:
    return tag.startswith("W/")


def opaque_part(tag: str) -> str:
    """`"v3"` for both `"v3"` and `W/"v3"`."""
    return tag[2:] if tag.startswith("W/") else tag


def parse_tag_list(value: str) -> list[str] | None:
    """The tags of an `If-Match` / `If-None-Match` value, `["*"]` for `*`; None when the
    value is malformed (RFC 9110 §13.1: then the condition is not evaluated, as if absent)."""
    text = value.strip()
    if text == ANY:
        return [ANY]
    tags: list[str] = []
    position = 0
    while position < len(text):
        match = _TAG.match(text, position)
        if match is None:
            return None
        tags.append((match.group(1) or "") + match.group(2))
        position = match.end()
    return tags or None


def strong_match(tags: list[str], current: str) -> bool:
    """Whether `current` matches one of `tags` by strong comparison (for `If-Match`)."""
    if is_weak(current):
        return tags == [ANY]
    return any(tag in (ANY, current) for tag in tags)


def weak_match(tags: list[str], current: str) -> bool:
    """Whether `current` matches one of `tags` by weak comparison (for `If-None-Match`)."""
    mine = opaque_part(current)
    return any(tag == ANY or opaque_part(tag) == mine for tag in tags)


def http_date(moment: datetime | float) -> str:
    """IMF-fixdate, as `Last-Modified` carries it."""
    stamp = moment.timestamp() if isinstance(moment, datetime) else moment
    return email.utils.formatdate(stamp, usegmt=True)


def parse_http_date(value: str) -> int | None:
    """Seconds since the epoch of an HTTP date (any of the three RFC 9110 forms), or None
    when it is not one (then the condition is ignored, §13.1.3/§13.1.4)."""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def whole_seconds(moment: datetime | float) -> int:
    """A modification time as HTTP dates carry it: whole seconds."""
    return int(moment.timestamp() if isinstance(moment, datetime) else moment)
