"""`Router`: the sealed table a request path is looked up in. Built once, when an app's
`_wire` run seals (see `_compile/table.py`), and never changed after."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .._plan import HandlerPlan, RSGIServe, Serve
from .trie import RouteTrie


class MethodTable:
    """One path shape's answers: a `Serve` per HTTP method (HEAD included wherever GET
    is) and its RSGI twin, the `Allow` value, and the answer to any other method
    (OPTIONS, 405)."""

    __slots__ = ("allow", "rsgi", "serves", "unhandled")

    def __init__(
        self,
        serves: Mapping[str, Serve],
        rsgi: Mapping[str, RSGIServe],
        allow: bytes,
        unhandled: Serve,
    ) -> None:
        self.serves = serves
        self.rsgi = rsgi
        self.allow = allow
        self.unhandled = unhandled


class Router:
    """Path → method table, through the trie; static mounts as catch-alls below their
    prefix, consulted only when no route matches (routes win)."""

    __slots__ = ("_mounts", "_plans", "lookup")

    def __init__(
        self,
        trie: RouteTrie[MethodTable],
        mounts: Mapping[str, Serve],
        plans: Sequence[HandlerPlan],
    ) -> None:
        self._mounts = dict(mounts)
        self._plans = tuple(plans)
        self.lookup = trie.lookup
        """`lookup(path)` → (method table, slot values) or None; the trie's own method."""

    def mount_for(self, path: str) -> tuple[Serve, str] | None:
        """The `Serve` of the longest mounted prefix of `path`, and the rest of the path
        below it; O(number of segments), and only asked when no route matched."""
        mounts = self._mounts
        if not mounts:
            return None
        probe = path
        while True:
            found = mounts.get(probe)
            if found is not None:
                return found, path[len(probe) :]
            cut = probe.rfind("/")
            if cut < 0:
                return None
            probe = probe[:cut]

    def plans(self) -> list[HandlerPlan]:
        """Every wired handler once (HEAD aliases excluded), in wiring order, as wiring
        read it (for tooling: OpenAPI, `jero routes`, the typed client)."""
        return list(self._plans)
