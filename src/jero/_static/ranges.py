"""Request headers a file response negotiates: `Range` (RFC 9110 §14.2) and
`Accept-Encoding` (§12.5.3)."""

from __future__ import annotations

from .._headers import quality_values

UNSATISFIABLE = (-1, -1)
_MAX_DIGITS = 18
"""A position with more significant digits is past any file (10**18 bytes is an exabyte);
it is read as that bound, so a header of thousands of digits costs no big-int parse."""
_BEYOND = 10**_MAX_DIGITS


def parse_range(value: str, size: int) -> tuple[int, int] | None:
    """One byte range as (first, last) inclusive, `UNSATISFIABLE`, or None when the
    header is to be ignored (not a `bytes` range, malformed, or several ranges: those
    are answered with the whole file, which RFC 9110 §14.2 allows)."""
    unit, equals, spec = value.partition("=")
    if not equals or unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash:
        return None
    first_text, last_text = first_text.strip(), last_text.strip()
    if not _digits(first_text):  # a suffix: the last N bytes
        if first_text or not _digits(last_text):
            return None
        length = _number(last_text)
        if length == 0 or size == 0:
            return UNSATISFIABLE
        return max(0, size - length), size - 1
    first = _number(first_text)
    if last_text:
        if not _digits(last_text) or (last := _number(last_text)) < first:
            return None
        last = min(last, size - 1)
    else:
        last = size - 1
    if first >= size:
        return UNSATISFIABLE
    return first, last


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _number(digits: str) -> int:
    """The value of a run of ASCII digits, saturated at `_BEYOND`."""
    significant = digits.lstrip("0")
    return _BEYOND if len(significant) > _MAX_DIGITS else int(significant or "0")


def preferred_codings(value: str | None, offered: tuple[str, ...]) -> list[str]:
    """The `offered` codings the client accepts, best first (ties keep `offered` order)."""
    if value is None:
        return []
    codings = quality_values(value)
    wildcard = codings.get("*", 0.0)
    ranked = [(codings.get(name, wildcard), index, name) for index, name in enumerate(offered)]
    return [name for quality, _, name in sorted(ranked, key=lambda r: (-r[0], r[1])) if quality > 0]
