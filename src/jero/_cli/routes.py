"""`jero routes`: the table of every wired route, read from the router, serving nothing."""

from __future__ import annotations

from collections.abc import Sequence

from .framework import AnyApp, RouteRow, route_rows
from .lifespan import started

COLUMNS = ("METHOD", "PATH", "HANDLER", "AUTH", "STATUS")


async def wired_routes(app: AnyApp) -> list[RouteRow]:
    """Start the app in-process, read its router, and shut it down again."""
    async with started(app):
        return route_rows(app)


def render_table(rows: Sequence[RouteRow]) -> str:
    """Left-aligned columns two spaces apart, a header line first, no trailing blanks."""
    cells = [COLUMNS, *((r.method, r.path, r.handler, r.auth, r.statuses) for r in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return "".join(f"{line.rstrip()}\n" for line in lines)
