"""`Compression`: gzip (stdlib), and zstd or brotli when installed, negotiated per request.

A buffered body is compressed whole when it reaches `minimum_size`; a streamed body is
compressed chunk by chunk, each chunk flushed (a sync flush for gzip, a block flush for
zstd, a flush for brotli) so that every NDJSON line is decodable as soon as it arrives.
Media types that are compressed already, and `text/event-stream`, are never touched.
Responses that could be compressed say `Vary: Accept-Encoding`; a compressed one has
its own `Content-Length` (none while streaming) and a weakened `ETag` (its bytes are
not those the strong validator named).
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from .._asgi import ASGIApp, HeaderList, Message, Receive, Scope, Send
from .._errors import WiringError
from .._headers import quality_values
from .._rendering.encoders import content_length
from .chain import RouteInfo, self_guarded

__all__ = ["Compression"]

_NEVER_TYPES = frozenset(
    {
        "text/event-stream",
        "application/gzip",
        "application/x-gzip",
        "application/zip",
        "application/zstd",
        "application/x-bzip2",
        "application/x-xz",
        "application/x-7z-compressed",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/pdf",
        "font/woff",
        "font/woff2",
    }
)
_NEVER_FAMILIES = ("image/", "audio/", "video/")
_COMPRESSIBLE_IMAGES = frozenset({"image/svg+xml", "image/bmp", "image/x-icon"})
_VARY = (b"vary", b"Accept-Encoding")
_SKIPPED_HEADERS = frozenset({b"content-length", b"etag"})
_ACCEPT_CACHE_SIZE = 256


def compressible(media_type: str | None) -> bool:
    """Whether a body of this media type gains from compression."""
    if not media_type:
        return False
    essence = media_type.split(";", 1)[0].strip().lower()
    if essence in _NEVER_TYPES:
        return False
    return essence in _COMPRESSIBLE_IMAGES or not essence.startswith(_NEVER_FAMILIES)


# --- codecs -------------------------------------------------------------------------


class _Stream:
    """One response's incremental compressor."""

    __slots__ = ("end", "flush")

    def __init__(self, flush: Callable[[bytes], bytes], end: Callable[[bytes], bytes]) -> None:
        self.flush = flush
        """Compress a chunk and flush, so all of it so far is decodable."""
        self.end = end
        """Compress the last chunk and finish the stream."""


class _Codec:
    """An encoding: its token, a one-shot compressor and a stream factory."""

    __slots__ = ("name", "stream", "whole")

    def __init__(
        self, name: str, whole: Callable[[bytes], bytes], stream: Callable[[], _Stream]
    ) -> None:
        self.name = name.encode()
        self.whole = whole
        self.stream = stream


def _gzip(level: int) -> _Codec:
    def stream() -> _Stream:
        compressor = zlib.compressobj(level, zlib.DEFLATED, 31)

        def flush(data: bytes) -> bytes:
            return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)

        def end(data: bytes) -> bytes:
            return compressor.compress(data) + compressor.flush(zlib.Z_FINISH)

        return _Stream(flush, end)

    return _Codec("gzip", lambda data: zlib.compress(data, level, 31), stream)


def _zstd(level: int) -> _Codec:
    zstandard: Any = _optional("zstandard", "zstd", "zstd")
    shared = zstandard.ZstdCompressor(level=level)
    flush_block = zstandard.COMPRESSOBJ_FLUSH_BLOCK

    def stream() -> _Stream:
        # A compressor per stream: interleaved streams must not share one context.
        compressor = zstandard.ZstdCompressor(level=level).compressobj()

        def flush(data: bytes) -> bytes:
            return compressor.compress(data) + compressor.flush(flush_block)

        def end(data: bytes) -> bytes:
            return compressor.compress(data) + compressor.flush()

        return _Stream(flush, end)

    return _Codec("zstd", shared.compress, stream)


def _brotli(quality: int) -> _Codec:
    brotli: Any = _optional("brotli", "brotli", "br")

    def stream() -> _Stream:
        compressor = brotli.Compressor(quality=quality)

        def flush(data: bytes) -> bytes:
            return compressor.process(data) + compressor.flush()

        def end(data: bytes) -> bytes:
            return compressor.process(data) + compressor.finish()

        return _Stream(flush, end)

    return _Codec("br", lambda data: brotli.compress(data, quality=quality), stream)


def _optional(module: str, extra: str, encoding: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise WiringError(
            f"Compression: encoding {encoding!r} needs the {module} package; install it "
            f"with `uv add 'jero[{extra}]'`, or leave {encoding!r} out of encodings="
        ) from None


def _available(name: str) -> bool:
    module = {"zstd": "zstandard", "br": "brotli"}.get(name)
    if module is None:
        return True
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


# --- the middleware -----------------------------------------------------------------


@self_guarded
class Compression:
    """Compress response bodies the client accepts compressed.

    - `encodings`: the server's preference among ``"zstd"``, ``"br"`` and ``"gzip"``; by
      default every one installed (zstd needs ``jero[zstd]``, brotli ``jero[brotli]``).
      The client's q-values decide first, this order breaks ties.
    - `minimum_size`: buffered bodies smaller than this many bytes are sent as they are.
    - `gzip_level`, `zstd_level`, `brotli_quality`: the codecs' effort settings.
    """

    def __init__(
        self,
        *,
        encodings: Sequence[str] | None = None,
        minimum_size: int = 500,
        gzip_level: int = 6,
        zstd_level: int = 3,
        brotli_quality: int = 4,
    ) -> None:
        if encodings is None:
            encodings = [name for name in ("zstd", "br", "gzip") if _available(name)]
        makers: dict[str, Callable[[], _Codec]] = {
            "gzip": lambda: _gzip(gzip_level),
            "zstd": lambda: _zstd(zstd_level),
            "br": lambda: _brotli(brotli_quality),
        }
        codecs: list[_Codec] = []
        for name in encodings:
            if name not in makers:
                raise WiringError(
                    f"Compression: unknown encoding {name!r}; choose from zstd, br, gzip"
                )
            codecs.append(makers[name]())
        if not codecs:
            raise WiringError("Compression: encodings= is empty; name at least 'gzip'")
        if minimum_size < 0:
            raise WiringError(f"Compression: minimum_size={minimum_size} must be >= 0")
        self.codecs = tuple(codecs)
        self.minimum_size = minimum_size
        self._choices: dict[bytes, _Codec | None] = {}

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        if route.media_types and not any(
            media_type is None or compressible(media_type) for media_type in route.media_types
        ):
            return app  # nothing this route answers is ever compressed (e.g. only SSE)
        minimum = self.minimum_size

        def run(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
            codec = self.choose(_accept_encoding(scope))
            if codec is None:
                return app(scope, receive, _varying(send))
            head = scope["method"] == "HEAD"
            return app(scope, receive, _Compressing(send, codec, minimum, head).send)

        return run

    def choose(self, accept: bytes | None) -> _Codec | None:
        """The codec for an `Accept-Encoding` value (cached: clients repeat theirs)."""
        if not accept:
            return None
        choices = self._choices
        if accept in choices:
            return choices[accept]
        weights = quality_values(accept.decode("latin-1"))
        best: _Codec | None = None
        best_q = 0.0
        for codec in self.codecs:
            q = weights.get(codec.name.decode(), weights.get("*", 0.0))
            if q > best_q:
                best, best_q = codec, q
        if len(choices) < _ACCEPT_CACHE_SIZE:
            choices[accept] = best
        return best


def _accept_encoding(scope: Scope) -> bytes | None:
    for key, value in scope["headers"]:
        if key == b"accept-encoding":
            return value
    return None


def _varying(send: Send) -> Send:
    """The `send` of a response the client takes uncompressed: its head gains `Vary:
    Accept-Encoding` when another client could get it compressed; the rest passes."""
    passing = False

    def send_varying(message: Message) -> Awaitable[None]:
        nonlocal passing
        if passing or message["type"] != "http.response.start":
            return send(message)
        passing = True
        headers: HeaderList = message["headers"]
        status: int = message["status"]
        if status == 304:
            if _could_compress(headers):
                return send({**message, "headers": _not_modified(headers, None)})
            return send(message)
        if _eligible(status, headers):
            return send({**message, "headers": [*headers, _VARY]})
        return send(message)

    return send_varying


class _Compressing:
    """The `send` of one response: decides at its head, then compresses or passes."""

    __slots__ = ("codec", "head", "minimum", "passing", "start", "stream", "target")

    def __init__(self, send: Send, codec: _Codec | None, minimum: int, head: bool) -> None:
        self.target = send
        self.codec = codec
        self.minimum = minimum
        self.head = head
        self.start: Message | None = None
        self.stream: _Stream | None = None
        self.passing = False

    def send(self, message: Message) -> Awaitable[None]:
        if self.passing:
            return self.target(message)
        kind = message["type"]
        if kind == "http.response.start":
            return self._on_start(message)
        if kind == "http.response.body":
            return self._on_body(message)
        return self.target(message)

    async def _on_start(self, message: Message) -> None:
        headers: HeaderList = message["headers"]
        status: int = message["status"]
        if status == 304 and _could_compress(headers):
            # RFC 9110 §15.4.5: the validators and Vary its 200 would have carried.
            self.passing = True
            await self.target({**message, "headers": _not_modified(headers, self.codec)})
            return
        if not _eligible(status, headers):
            self.passing = True
            await self.target(message)
            return
        codec = self.codec
        if codec is not None and self.head:
            # The GET's head, without a body to measure: compressed unless it declares a
            # length under the threshold (the compressed length is unknown, so none).
            declared = _declared_length(headers)
            if declared is None or declared >= self.minimum:
                headers = _compressed(headers, codec, None)
                self.passing = True
                await self.target({**message, "headers": headers})
                return
        if codec is None or self.head:
            self.passing = True
            await self.target({**message, "headers": [*headers, _VARY]})
            return
        self.start = message  # held until the first body chunk tells its size

    async def _on_body(self, message: Message) -> None:
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        stream, codec = self.stream, self.codec
        if stream is not None:
            if more and not body:
                return
            await self.target(
                {**message, "body": stream.end(body) if not more else stream.flush(body)}
            )
            return
        start = self.start
        assert start is not None and codec is not None
        headers: HeaderList = start["headers"]
        if not more:
            if len(body) < self.minimum:
                await self._pass(start, headers, message)
                return
            packed = codec.whole(body)
            length = (b"content-length", content_length(len(packed)))
            await self.target({**start, "headers": _compressed(headers, codec, length)})
            await self.target({**message, "body": packed})
            return
        declared = _declared_length(headers)
        if declared is not None and declared < self.minimum:
            await self._pass(start, headers, message)
            return
        self.stream = stream = codec.stream()
        await self.target({**start, "headers": _compressed(headers, codec, None)})
        if body:
            await self.target({**message, "body": stream.flush(body)})

    async def _pass(self, start: Message, headers: HeaderList, message: Message) -> None:
        self.passing = True
        await self.target({**start, "headers": [*headers, _VARY]})
        await self.target(message)


_by_content_type: dict[bytes, bool] = {}


def _eligible(status: int, headers: HeaderList) -> bool:
    if status < 200 or status in (204, 206, 304):
        return False
    content_type: bytes | None = None
    for key, value in headers:
        if key in (b"content-encoding", b"content-range"):
            return False
        if key == b"content-type":
            content_type = value
    if content_type is None:
        return False
    known = _by_content_type.get(content_type)
    if known is None:
        known = compressible(content_type.decode("latin-1"))
        if len(_by_content_type) < _ACCEPT_CACHE_SIZE:
            _by_content_type[content_type] = known
    return known


def _could_compress(headers: HeaderList) -> bool:
    """Whether a 304's 200 could have been compressed: not when the 304 names an encoding
    already or a media type never compressed."""
    for key, value in headers:
        if key == b"content-encoding":
            return False
        if key == b"content-type" and not compressible(value.decode("latin-1")):
            return False
    return True


def _not_modified(headers: HeaderList, codec: _Codec | None) -> HeaderList:
    """A 304's head: `Vary: Accept-Encoding`, and the ETag weakened as a compressed 200's
    is, so a cache holding the compressed body sees the validator it stored."""
    weaken = codec is not None
    out: HeaderList = [
        (key, b"W/" + value if weaken and key == b"etag" and not value.startswith(b"W/") else value)
        for key, value in headers
    ]
    if not any(key == b"vary" and b"accept-encoding" in value.lower() for key, value in out):
        out.append(_VARY)
    return out


def _declared_length(headers: HeaderList) -> int | None:
    for key, value in headers:
        if key == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _compressed(
    headers: HeaderList, codec: _Codec, length: tuple[bytes, bytes] | None
) -> HeaderList:
    """The head of a compressed body: new length, the encoding, Vary, a weak ETag."""
    out: HeaderList = [(k, v) for k, v in headers if k not in _SKIPPED_HEADERS]
    for key, value in headers:
        if key == b"etag":
            out.append((key, value if value.startswith(b"W/") else b"W/" + value))
    out.append((b"content-encoding", codec.name))
    out.append(_VARY)
    if length is not None:
        out.append(length)
    return out
