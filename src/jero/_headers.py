"""`RawHeaders`: every header pair as sent, read case-insensitively."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import cast

type HeaderPairs = Iterable[tuple[str, str]]


class RawHeaders(Mapping[str, str]):
    """An immutable, case-insensitive `Mapping[str, str]` over header pairs in sent order.

    `headers["X-Tag"]` is the first value sent under that name; `getlist("x-tag")` is
    every value; `pairs` is the verbatim list, names in their original case.
    """

    __slots__ = ("_index", "_pairs")

    _pairs: tuple[tuple[str, str], ...]
    _index: dict[str, list[str]]

    def __init__(self, headers: Mapping[str, str] | HeaderPairs = ()) -> None:
        items = cast(HeaderPairs, headers.items() if isinstance(headers, Mapping) else headers)
        pairs = tuple((name, value) for name, value in items)
        index: dict[str, list[str]] = {}
        for name, value in pairs:
            index.setdefault(name.lower(), []).append(value)
        self._pairs = pairs
        self._index = index

    @classmethod
    def from_asgi(cls, raw: Iterable[tuple[bytes, bytes]]) -> RawHeaders:
        return cls([(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw])

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        return self._pairs

    def getlist(self, name: str) -> list[str]:
        return list(self._index.get(name.lower(), ()))

    def __getitem__(self, name: str) -> str:
        return self._index[name.lower()][0]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RawHeaders):
            return self._pairs == other._pairs
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._pairs)

    def __repr__(self) -> str:
        return f"RawHeaders({list(self._pairs)!r})"

    def to_asgi(self) -> list[tuple[bytes, bytes]]:
        return [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in self._pairs]


def find_header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of `name` (lower-case) in ASGI header pairs, or None."""
    for key, value in headers:
        if key == name:
            return value
    return None


def quality_values(value: str) -> dict[str, float]:
    """Token → q-value of an `Accept-*` header value (RFC 9110 §12.4.2), tokens lower-cased,
    other parameters dropped; a q that is not a number counts as 0, the last listing of a
    token wins."""
    weights: dict[str, float] = {}
    for item in value.split(","):
        token, _, parameters = item.partition(";")
        token = token.strip().lower()
        if not token:
            continue
        quality = 1.0
        for parameter in parameters.split(";"):
            key, _, number = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(number.strip())
                except ValueError:
                    quality = 0.0
        weights[token] = quality
    return weights
