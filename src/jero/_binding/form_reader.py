"""Reading a form body into parts: multipart streamed through `multipart`, urlencoded whole.

The multipart reader pushes each ASGI `http.request` chunk into defnull's sans-IO
`PushMultipartParser` (benchmarks/multipart_parsers.md says why this parser) and routes
each part by name: parts the form does not declare are dropped as they stream, declared
non-file parts are buffered up to the part-size limit, file parts go to a `Spool`. Every
limit is checked while reading, so an oversized body is refused before it is all read.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterator
from typing import Any, Protocol, cast
from urllib.parse import parse_qsl

import msgspec

from .._asgi import Receive, Scope
from .._errors import (
    ClientDisconnectError,
    InputProblem,
    InvalidInputError,
    LimitProblem,
    OverLimitError,
    PayloadTooLargeError,
)
from .._headers import RawHeaders, find_header
from .base import Limits
from .body import check_content_length
from .deadlines import BodyPace, body_pace, receive_within
from .uploads import FilePart, MemoryBudget, Spool

PART_HEADER_MAX_SIZE = 8 * 1024
"""Longest header line a part may carry (bytes)."""
PART_HEADER_MAX_COUNT = 16
"""Most headers one part may carry."""


# --- the parser, typed ----------------------------------------------------------------
# `multipart` ships without type information, and python-multipart installs a `multipart`
# package that forwards to defnull's `multipart.py` at run time but confuses static
# checkers. So jero imports it by name and describes the few members it uses.


class Segment(Protocol):
    """The headers of one part, as `multipart.MultipartSegment` reports them."""

    name: str
    filename: str | None
    content_type: str | None
    charset: str | None
    headerlist: list[tuple[str, str]]


class PushParser(Protocol):
    def parse(self, chunk: bytes) -> Iterator[Segment | bytes | None]: ...
    def close(self, check_complete: bool = True) -> None: ...


_multipart: Any = importlib.import_module("multipart")
_new_parser = cast(Callable[..., PushParser], _multipart.PushMultipartParser)
ParserError = cast(type[Exception], _multipart.ParserError)
ParserLimitReached = cast(type[Exception], _multipart.ParserLimitReached)
_parse_options_header = cast(
    Callable[[str], tuple[str, dict[str, str]]], _multipart.parse_options_header
)


def parse_content_type(scope: Scope) -> tuple[str, dict[str, str]]:
    """The request's media type (lower-case, '' when absent) and its parameters."""
    raw = find_header(scope["headers"], b"content-type")
    if raw is None:
        return "", {}
    return _parse_options_header(raw.decode("latin-1"))


# --- errors -----------------------------------------------------------------------------


class CountProblem(msgspec.Struct):
    limit: str
    maximum: int


class OverCountError(
    PayloadTooLargeError[CountProblem], detail="The number of {limit} exceeds {maximum}"
):
    """413: too many parts (or part headers) in one form."""


def malformed(reason: str) -> InvalidInputError:
    return InvalidInputError(InputProblem("form", f"malformed multipart body ({reason})"))


def _reason(error: Exception) -> str:
    """The parser's own message; never the submitted bytes it may carry as extra args."""
    first = error.args[0] if error.args else ""
    return first if isinstance(first, str) else type(error).__name__


# --- what the reader produces -----------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TextPart:
    """A declared non-file part, held whole (it is at most `max_part_size` bytes)."""

    name: str
    filename: str | None
    content_type: str | None
    charset: str | None
    headers: tuple[tuple[str, str], ...]
    data: bytes


type Part = TextPart | FilePart
type Parts = dict[str, list[Part]]


@dataclasses.dataclass(frozen=True, slots=True)
class Wanted:
    """Which part names the form declares, and which of them are files."""

    names: frozenset[str]
    files: frozenset[str]


# --- multipart/form-data ----------------------------------------------------------------


class _PartSink:
    """Where the current part's bytes go: dropped, buffered, or spooled."""

    __slots__ = ("buffer", "segment", "spool")

    def __init__(self, segment: Segment, spool: Spool | None, buffered: bool) -> None:
        self.segment = segment
        self.spool = spool
        self.buffer: bytearray | None = bytearray() if buffered else None


async def read_multipart(
    scope: Scope,
    receive: Receive,
    *,
    boundary: str,
    wanted: Wanted,
    limits: Limits,
    on_disk: Callable[[Spool], None],
) -> Parts:
    """Stream the body through the parser; every declared part, grouped by name."""
    check_content_length(scope, limits.max_form_size, "form body")
    try:
        parser = _new_parser(
            boundary,
            max_header_size=PART_HEADER_MAX_SIZE,
            max_header_count=PART_HEADER_MAX_COUNT,
        )
    except ParserError as error:
        raise malformed(_reason(error)) from None
    reader = _MultipartReader(wanted, limits, MemoryBudget(limits.spool_threshold), on_disk)
    timeout = limits.body_timeout
    received = 0
    pace: BodyPace | None = None
    try:
        with cast(Any, parser):
            while True:
                message = await receive_within(receive, timeout, pace, received)
                if message["type"] == "http.disconnect":
                    raise ClientDisconnectError
                chunk: bytes = message.get("body", b"")
                if chunk:
                    received += len(chunk)
                    if received > limits.max_form_size:
                        raise OverLimitError(LimitProblem("form body", limits.max_form_size))
                    for event in parser.parse(chunk):
                        await reader.feed(event)
                if not message.get("more_body", False):
                    break
                if pace is None:  # a body in several messages: from now on, paced
                    pace = body_pace(timeout, limits.body_min_rate)
    except ParserLimitReached as error:
        if "count" in _reason(error):
            problem = CountProblem("headers in a form part", PART_HEADER_MAX_COUNT)
            raise OverCountError(problem) from None
        raise OverLimitError(LimitProblem("form part header", PART_HEADER_MAX_SIZE)) from None
    except ParserError as error:
        raise malformed(_reason(error)) from None
    return reader.parts


class _MultipartReader:
    """Turns parser events into parts, enforcing the part count and part size."""

    __slots__ = ("_budget", "_count", "_limits", "_on_disk", "_sink", "_wanted", "parts")

    def __init__(
        self,
        wanted: Wanted,
        limits: Limits,
        budget: MemoryBudget,
        on_disk: Callable[[Spool], None],
    ) -> None:
        self._wanted = wanted
        self._limits = limits
        self._budget = budget
        self._on_disk = on_disk
        self._count = 0
        self._sink: _PartSink | None = None
        self.parts: Parts = {}

    async def feed(self, event: Segment | bytes | None) -> None:
        if isinstance(event, bytes):
            await self._data(event)
        elif event is None:
            await self._end()
        else:
            self._start(event)

    def _start(self, segment: Segment) -> None:
        self._count += 1
        if self._count > self._limits.max_form_parts:
            raise OverCountError(CountProblem("form parts", self._limits.max_form_parts))
        name = segment.name
        if name not in self._wanted.names:
            self._sink = _PartSink(segment, None, buffered=False)
        elif name in self._wanted.files:
            self._sink = _PartSink(segment, Spool(self._budget, self._on_disk), buffered=False)
        else:
            self._sink = _PartSink(segment, None, buffered=True)

    async def _data(self, chunk: bytes) -> None:
        sink = self._sink
        assert sink is not None
        if sink.spool is not None:
            await sink.spool.write(chunk)
        elif sink.buffer is not None:
            if len(sink.buffer) + len(chunk) > self._limits.max_part_size:
                limit = f"form part `{sink.segment.name}`"
                raise OverLimitError(LimitProblem(limit, self._limits.max_part_size))
            sink.buffer += chunk

    async def _end(self) -> None:
        sink, self._sink = self._sink, None
        assert sink is not None
        segment = sink.segment
        if sink.spool is not None:
            await sink.spool.finish()
            if not segment.filename and sink.spool.size == 0:
                return  # a file input with no file chosen: browsers still send a part
            part: Part = FilePart(
                segment.name,
                segment.filename,
                segment.content_type,
                RawHeaders(segment.headerlist),
                sink.spool,
            )
        elif sink.buffer is not None:
            part = TextPart(
                segment.name,
                segment.filename,
                segment.content_type,
                segment.charset,
                tuple(segment.headerlist),
                bytes(sink.buffer),
            )
        else:
            return
        self.parts.setdefault(segment.name, []).append(part)


# --- application/x-www-form-urlencoded --------------------------------------------------


def parse_urlencoded(body: bytes, wanted: Wanted, limits: Limits) -> Parts:
    """Every declared field of an urlencoded body, as parts without headers.

    The body is split by the standard library with Latin-1 on both sides, which keeps
    each percent-decoded value's bytes intact; names are then read as UTF-8.
    """
    try:
        pairs = parse_qsl(
            body.decode("latin-1"),
            keep_blank_values=True,
            encoding="latin-1",
            max_num_fields=limits.max_form_parts,
        )
    except ValueError:
        raise OverCountError(CountProblem("form parts", limits.max_form_parts)) from None
    parts: Parts = {}
    for raw_name, raw_value in pairs:
        name = raw_name.encode("latin-1").decode("utf-8", "replace")
        if name not in wanted.names:
            continue
        data = raw_value.encode("latin-1")
        if len(data) > limits.max_part_size:
            raise OverLimitError(LimitProblem(f"form part `{name}`", limits.max_part_size))
        if name in wanted.files:
            if not data:
                continue  # an empty value is no file, as in a multipart body
            part: Part = FilePart.from_bytes(data, name=name)
        else:
            part = TextPart(name, None, None, None, (), data)
        parts.setdefault(name, []).append(part)
    return parts
