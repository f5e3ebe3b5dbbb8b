"""Wiring a static mount: every argument checked once, at startup, into a `StaticFiles`.

Also the overlap check the router runs when it seals: a route below a mount's prefix
that matches a file present in the directory would always win over it (routes take
precedence), so the file could never be served; that is a `WiringError`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from .._errors import WiringError
from .._rendering.negotiation import ProblemSender
from .._routes import parse_template
from .files import StaticFiles
from .paths import find_file


class StaticMount:
    """A static mount as the router keeps it: its prefix, its server and its checks."""

    __slots__ = ("directory", "prefix", "root", "serve", "where")

    def __init__(self, prefix: str, root: str, serve: StaticFiles, where: str) -> None:
        self.prefix = prefix
        """The mount prefix without a trailing slash ("" for the root mount)."""
        self.root = root
        self.serve = serve
        self.where = where

    def shadowed(self, segments: Sequence[str | None]) -> str | None:
        """A file inside the directory that a route template below the prefix (given as
        the segments after the prefix, `None` for a slot) would match, if any."""
        return _first_match(self.root, list(segments)) if segments else None


def plan_static(
    app: str,
    prefix: str,
    *,
    directory: Path | str,
    cache_control: str | None,
    precompressed: bool,
    fallback: str | None,
    media_types: Mapping[str, str] | None,
    problem: ProblemSender,
) -> StaticMount:
    where = f"{app}._include_static({prefix!r})"
    template = parse_template(prefix, where)
    if template.slots:
        raise WiringError(
            f"{where}: a static prefix is a fixed path; remove the slot {{{template.slots[0]}}}"
        )
    root = os.path.realpath(directory)
    if not os.path.isdir(root):
        raise WiringError(f"{where}: directory={str(directory)!r} is not an existing directory")
    if cache_control is not None and not _header_safe(cache_control):
        raise WiringError(f"{where}: cache_control={cache_control!r} is not a valid header value")
    if fallback is not None:
        _check_fallback(where, root, fallback)
    overrides = dict(media_types or {})
    for suffix, value in overrides.items():
        if not suffix.startswith(".") or not _header_safe(value):
            raise WiringError(
                f"{where}: media_types maps file suffixes such as '.webmanifest' to "
                f"Content-Type values; {suffix!r}: {value!r} is not one"
            )
    serve = StaticFiles(
        root,
        cache_control=cache_control,
        precompressed=precompressed,
        fallback=fallback,
        media_types=overrides,
        problem=problem,
    )
    return StaticMount("" if prefix == "/" else prefix, root, serve, where)


def _check_fallback(where: str, root: str, fallback: str) -> None:
    parts = fallback.split("/")
    if fallback.startswith("/") or any(not p or p.startswith(".") for p in parts):
        raise WiringError(
            f"{where}: fallback={fallback!r} must be a file path relative to the directory, "
            f"e.g. 'index.html'"
        )
    if find_file(root, fallback) is None:
        raise WiringError(f"{where}: fallback={fallback!r} is not a file inside {root}")


def _header_safe(value: str) -> bool:
    return value.isascii() and value.isprintable() and value == value.strip()


def _first_match(root: str, segments: list[str | None], below: str = "") -> str | None:
    """Depth-first: the first file the mount would serve whose path below `root` has
    the shape of `segments` (a static segment by name, `None` by any visible entry)."""
    head, tail = segments[0], segments[1:]
    if head is None:
        try:
            names = sorted(n for n in os.listdir(os.path.join(root, below)) if n[0] != ".")
        except OSError:
            return None
    else:
        names = [head]
    for name in names:
        relative = f"{below}/{name}" if below else name
        if tail:
            found = _first_match(root, tail, relative)
            if found is not None:
                return found
        elif find_file(root, relative) is not None:
            return relative
    return None
