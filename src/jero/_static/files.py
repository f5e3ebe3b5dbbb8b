"""`StaticFiles`: the request-time server of one static mount.

Per request: refuse unsafe paths, find the file (or its precompressed sibling), then
answer the conditional headers (304/412), `Range` (206/416) and HEAD, and send the body
in chunks or through `http.response.pathsend`. Everything that does not depend on the
request (media types, the fixed header block, the fallback) was settled at wiring.
"""

from __future__ import annotations

import functools
import mimetypes
from collections.abc import Mapping

from .._asgi import HeaderList, Receive, Scope, Send
from .._conditional.errors import PreconditionFailedError
from .._conditional.etags import http_date, parse_http_date, parse_tag_list, strong_match
from .._conditional.evaluate import FAILED, NOT_MODIFIED, Conditions, has_conditions
from .._errors import HTTPError, MethodNotAllowedError, NotFoundError
from .._headers import find_header
from .._rendering.encoders import content_length
from .._rendering.negotiation import ProblemSender
from .paths import Found, find_file, relative_parts
from .ranges import UNSATISFIABLE, parse_range, preferred_codings
from .send import PATHSEND, send_chunks

ALLOW = "GET, HEAD, OPTIONS"
_NOT_FOUND = NotFoundError()
_FAILED = PreconditionFailedError()
_NOT_ALLOWED = MethodNotAllowedError(headers={"allow": ALLOW})
_SIBLINGS = {"br": ".br", "gzip": ".gz"}
_TEXTUAL = ("text/", "application/javascript", "application/json", "image/svg+xml")
# Media types of our own, whatever the host's mime.types says: the same on every machine.
_MEDIA_TYPES = mimetypes.MimeTypes()
_ARCHIVES = {
    "gzip": "application/gzip",
    "br": "application/x-brotli",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
}


class RangeNotSatisfiableError(
    HTTPError, type="range-not-satisfiable", title="Range not satisfiable", status=416
):
    """416: a `Range` that starts past the end of the file."""


def media_type(name: str, overrides: Mapping[str, str]) -> bytes:
    """The Content-Type of a file name, text types with `charset=utf-8`."""
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    chosen = overrides.get(suffix)
    if chosen is not None:
        return chosen.encode("latin-1")
    # The guess depends on the last two suffixes only (`.tar.gz`): decided once per pair.
    tail = name.rsplit("/", 1)[-1].lower().split(".")
    return _guessed_media_type(".".join(["f", *tail[1:][-2:]]) if len(tail) > 1 else "f")


@functools.lru_cache(maxsize=512)
def _guessed_media_type(name: str) -> bytes:
    guessed, coding = _MEDIA_TYPES.guess_type(name, strict=False)
    if coding is not None:  # app.tar.gz is a gzip file, not a tar with a coding
        guessed = _ARCHIVES.get(coding, "application/octet-stream")
    chosen = guessed or "application/octet-stream"
    if chosen.startswith(_TEXTUAL) and "charset" not in chosen:
        chosen += "; charset=utf-8"
    return chosen.encode("latin-1")


def etag_of(found: Found, coding: str | None) -> str:
    """A strong tag from size and modification time; each coding is its own variant."""
    tag = f"{found.mtime_ns:x}-{found.size:x}"
    return f'"{tag}-{coding}"' if coding else f'"{tag}"'


class StaticFiles:
    """Serves the files below `root` (resolved) at the mount's prefix."""

    __slots__ = ("_codings", "_fallback", "_fixed", "_media_types", "_problem", "_root")

    def __init__(
        self,
        root: str,
        *,
        cache_control: str | None,
        precompressed: bool,
        fallback: str | None,
        media_types: Mapping[str, str],
        problem: ProblemSender,
    ) -> None:
        self._root = root
        self._problem = problem
        self._codings = tuple(_SIBLINGS) if precompressed else ()
        self._fallback = fallback
        self._media_types = {k.lower(): v for k, v in media_types.items()}
        fixed: HeaderList = [(b"accept-ranges", b"bytes")]
        if cache_control is not None:
            fixed.append((b"cache-control", cache_control.encode("latin-1")))
        if precompressed:
            fixed.append((b"vary", b"accept-encoding"))
        self._fixed = fixed

    async def __call__(self, scope: Scope, receive: Receive, send: Send, rest: str) -> None:
        """Answer one request whose path is `rest` below the mount prefix."""
        method: str = scope["method"]
        head = method == "HEAD"
        if method != "GET" and not head:
            if method == "OPTIONS":
                start = {"type": "http.response.start", "status": 204}
                await send({**start, "headers": [(b"allow", ALLOW.encode())]})
                await send({"type": "http.response.body", "body": b""})
            else:
                await self._problem(send, _NOT_ALLOWED, False, scope)
            return
        target = self._target(rest)
        if target is None:
            await self._problem(send, _NOT_FOUND, head, scope)
            return
        name, found = target
        await self._send_file(scope, send, head, name, found)

    def _target(self, rest: str) -> tuple[str, Found] | None:
        """The file a path names (its name for the media type, and the file), the
        fallback when it names nothing and looks like a page, or None."""
        parts = relative_parts(rest)
        if parts is None:
            return None
        relative = "/".join(parts)
        found = find_file(self._root, relative) if parts else None
        if found is not None:
            return relative, found
        fallback = self._fallback
        if fallback is None or (parts and "." in parts[-1]):
            return None
        found = find_file(self._root, fallback)
        return None if found is None else (fallback, found)

    def _variant(self, scope: Scope, relative: str, found: Found) -> tuple[str | None, Found]:
        """The precompressed sibling the client accepts best, or the file itself."""
        headers: HeaderList = scope["headers"]
        asked = find_header(headers, b"accept-encoding")
        for coding in preferred_codings(
            None if asked is None else asked.decode("latin-1"), self._codings
        ):
            sibling = find_file(self._root, relative + _SIBLINGS[coding])
            if sibling is not None:
                return coding, sibling
        return None, found

    async def _send_file(
        self, scope: Scope, send: Send, head: bool, relative: str, found: Found
    ) -> None:
        coding, found = self._variant(scope, relative, found) if self._codings else (None, found)
        etag = etag_of(found, coding)
        modified = found.mtime_ns // 1_000_000_000
        last_modified = http_date(modified)
        validators: HeaderList = [
            (b"etag", etag.encode("latin-1")),
            (b"last-modified", last_modified.encode("latin-1")),
            *self._fixed,
        ]
        request_headers: HeaderList = scope["headers"]
        if has_conditions(request_headers):
            outcome = Conditions.from_asgi(request_headers).evaluate(etag, modified, True)
            if outcome == NOT_MODIFIED:
                await _send_head(send, 304, validators)
                await send({"type": "http.response.body", "body": b""})
                return
            if outcome == FAILED:
                await self._problem(send, _FAILED, head, scope)
                return
        headers = [(b"content-type", media_type(relative, self._media_types)), *validators]
        if coding is not None:
            headers.append((b"content-encoding", coding.encode("latin-1")))
        size = found.size
        chosen = _requested_range(request_headers, size, etag, modified)
        if chosen == UNSATISFIABLE:
            error = RangeNotSatisfiableError(headers={"content-range": f"bytes */{size}"})
            await self._problem(send, error, head, scope)
            return
        if chosen is None:
            first, length, status = 0, size, 200
        else:
            first, length, status = chosen[0], chosen[1] - chosen[0] + 1, 206
            span = f"bytes {first}-{chosen[1]}/{size}".encode("latin-1")
            headers.append((b"content-range", span))
        headers.append((b"content-length", content_length(length)))
        await _send_head(send, status, headers)
        if head:
            await send({"type": "http.response.body", "body": b""})
        elif status == 200 and PATHSEND in (scope.get("extensions") or ()):
            await send({"type": PATHSEND, "path": found.path})
        else:
            await send_chunks(send, found.path, first, length)


async def _send_head(send: Send, status: int, headers: HeaderList) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})


def _requested_range(
    headers: HeaderList, size: int, etag: str, modified: int
) -> tuple[int, int] | None:
    """The range to send, `UNSATISFIABLE`, or None for the whole file (no `Range`, a
    malformed or multiple one, or an `If-Range` the file no longer matches)."""
    asked = find_header(headers, b"range")
    if asked is None:
        return None
    condition = find_header(headers, b"if-range")
    if condition is not None and not _if_range_holds(condition.decode("latin-1"), etag, modified):
        return None
    return parse_range(asked.decode("latin-1"), size)


def _if_range_holds(condition: str, etag: str, modified: int) -> bool:
    """RFC 9110 §13.1.5: a tag matches strongly; a date must equal Last-Modified."""
    text = condition.strip()
    if text.startswith(('"', "W/")):
        tags = parse_tag_list(text)
        return tags is not None and tags != ["*"] and strong_match(tags, etag)
    return parse_http_date(text) == modified
