"""`Router`: the compiled table a request path is looked up in."""

from __future__ import annotations

from typing import Any

from .._asgi import ASGIApp, Receive, Scope, Send
from .._errors import WiringError
from .._static.files import StaticFiles
from .._static.mount import StaticMount
from .._wiring import HandlerPlan
from .reverse import Handler, URLFor
from .trie import RouteTrie


class MethodTable:
    """The handlers of one path shape by HTTP method, with the prebuilt `Allow` value."""

    __slots__ = ("allow", "methods", "unhandled")

    def __init__(self) -> None:
        self.methods: dict[str, HandlerPlan] = {}
        self.allow: bytes = b""
        self.unhandled: ASGIApp = _unsealed
        """The ASGI app answering a method the path has no handler for; the app sets it
        when it seals its router (wrapped in middleware where there is some)."""

    def seal(self) -> None:
        """Synthesize HEAD from GET and compute `Allow` (always with OPTIONS)."""
        if "GET" in self.methods:
            self.methods.setdefault("HEAD", self.methods["GET"])
        self.allow = ", ".join(sorted({*self.methods, "OPTIONS"})).encode("latin-1")


async def _unsealed(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("a method table answers only once its app has sealed the router")


class Router:
    """Collects handler plans during wiring; answers `lookup` once sealed.

    Static mounts are catch-alls below their prefix, consulted only when no route
    matches (routes win): `mount_for` finds the longest mounted prefix of a path.
    """

    __slots__ = ("_mounts", "_reversals", "_tables", "_trie", "lookup")

    def __init__(self) -> None:
        self._trie: RouteTrie[MethodTable] = RouteTrie()
        self._tables: list[MethodTable] = []
        self._mounts: dict[str, StaticMount] = {}
        self._reversals: list[URLFor[Any]] = []
        self.lookup = self._trie.lookup
        """`lookup(path)` → (method table, slot values) or None; the trie's own method."""

    def add(self, plan: HandlerPlan) -> None:
        node = self._trie.node_for(plan.template.segments)
        table = node.value
        if table is None:
            table = MethodTable()
            self._trie.insert(plan.template.segments, table)
            self._tables.append(table)
        clash = table.methods.get(plan.http_method)
        if clash is not None:
            raise WiringError(
                f"{plan.owner.__qualname__}.{plan.operation.name}: {plan.http_method} "
                f"{plan.path} clashes with {clash.owner.__qualname__}.{clash.operation.name} "
                f"({clash.http_method} {clash.path}): same method and path shape; give one "
                f"of them a different path"
            )
        table.methods[plan.http_method] = plan

    def mount(self, mount: StaticMount) -> None:
        clash = self._mounts.get(mount.prefix)
        if clash is not None:
            raise WiringError(
                f"{mount.where}: the prefix {mount.prefix or '/'} is already mounted by "
                f"{clash.where}, so one of them could never be reached; mount a different prefix"
            )
        self._mounts[mount.prefix] = mount

    def mount_for(self, path: str) -> tuple[StaticFiles, str] | None:
        """The static server of the longest mounted prefix of `path`, and the rest of
        the path below it; O(number of segments), and only asked when no route matched."""
        mounts = self._mounts
        if not mounts:
            return None
        probe = path
        while True:
            found = mounts.get(probe)
            if found is not None:
                return found.serve, path[len(probe) :]
            cut = probe.rfind("/")
            if cut < 0:
                return None
            probe = probe[:cut]

    def reverse(self, handler: Handler, path_type: type[Any] | None, where: str) -> URLFor[Any]:
        """A URL builder for `handler`'s route, resolved when the router seals."""
        url_for: URLFor[Any] = URLFor(handler, path_type, where)
        self._reversals.append(url_for)
        return url_for

    def seal(self) -> Router:
        for table in self._tables:
            table.seal()
        self._check_shadowed_files()
        plans = self.plans()
        for url_for in self._reversals:
            url_for.resolve(plans)
        return self

    def tables(self) -> list[MethodTable]:
        """Every path shape's method table, in wiring order."""
        return list(self._tables)

    def _check_shadowed_files(self) -> None:
        """A route that matches a file below a mount always wins, so the file would be
        unreachable: refuse the wiring instead of hiding it."""
        for mount in self._mounts.values():
            prefix = tuple(mount.prefix.split("/")[1:]) if mount.prefix else ()
            for plan in self.plans():
                segments = plan.template.segments
                if segments == ("",) or segments[: len(prefix)] != prefix:
                    continue
                shadowed = mount.shadowed(segments[len(prefix) :])
                if shadowed is not None:
                    raise WiringError(
                        f"{plan.owner.__qualname__}.{plan.operation.name}: "
                        f"{plan.http_method} {plan.path} matches the file {shadowed!r} of "
                        f"{mount.where}; routes win over static files, so that file could "
                        f"never be served; move the route or the file"
                    )

    def plans(self) -> list[HandlerPlan]:
        """Every wired handler once (HEAD aliases excluded), in wiring order."""
        seen: list[HandlerPlan] = []
        for table in self._tables:
            seen.extend(
                p for m, p in table.methods.items() if not (m == "HEAD" and p.http_method == "GET")
            )
        return seen
