"""Request path → file, never outside the mounted directory.

The request path is already percent-decoded by the server (`%2e%2e` arrives as `..`)
and is never decoded again here. A path is refused before the file system is asked when
any segment is empty, `.`/`..` or hidden (starts with `.`), or holds a backslash or NUL;
what is left is resolved with symlinks followed and must still lie inside the directory
and be a regular file.
"""

from __future__ import annotations

import os
import stat
from typing import NamedTuple

REFUSED = None


class Found(NamedTuple):
    """A regular file inside the mount and its `os.stat` facts."""

    path: str
    size: int
    mtime_ns: int


def relative_parts(rest: str) -> list[str] | None:
    """The segments a request path names below the mount prefix (`rest` starts with
    '/', or is empty for the prefix itself), or None when it is refused. A final empty
    segment (a trailing slash) names a directory and is dropped."""
    if not rest:
        return []
    if rest[0] != "/":
        return REFUSED
    parts = rest[1:].split("/")
    if parts[-1] == "":
        parts.pop()
    for part in parts:
        if not part or part[0] == "." or "\\" in part or "\x00" in part:
            return REFUSED
    return parts


def inside(root: str, path: str) -> bool:
    return path.startswith(root) and (len(path) == len(root) or path[len(root)] == os.sep)


def find_file(root: str, relative: str) -> Found | None:
    """The regular file at `root/relative` with symlinks resolved, if it stays inside
    `root` (itself resolved); None otherwise."""
    try:
        full = os.path.realpath(os.path.join(root, relative))
        if not inside(root, full):
            return None
        facts = os.stat(full)
    except (OSError, ValueError):  # missing, not a directory, unencodable name...
        return None
    if not stat.S_ISREG(facts.st_mode):
        return None
    return Found(full, facts.st_size, facts.st_mtime_ns)
