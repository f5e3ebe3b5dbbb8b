"""`Router`: the compiled table a request path is looked up in."""

from __future__ import annotations

from .._errors import WiringError
from .._wiring import HandlerPlan
from .trie import RouteTrie


class MethodTable:
    """The handlers of one path shape by HTTP method, with the prebuilt `Allow` value."""

    __slots__ = ("allow", "methods")

    def __init__(self) -> None:
        self.methods: dict[str, HandlerPlan] = {}
        self.allow: bytes = b""

    def seal(self) -> None:
        """Synthesize HEAD from GET and compute `Allow` (always with OPTIONS)."""
        if "GET" in self.methods:
            self.methods.setdefault("HEAD", self.methods["GET"])
        self.allow = ", ".join(sorted({*self.methods, "OPTIONS"})).encode("latin-1")


class Router:
    """Collects handler plans during wiring; answers `lookup` once sealed."""

    __slots__ = ("_tables", "_trie", "lookup")

    def __init__(self) -> None:
        self._trie: RouteTrie[MethodTable] = RouteTrie()
        self._tables: list[MethodTable] = []
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

    def seal(self) -> Router:
        for table in self._tables:
            table.seal()
        return self

    def plans(self) -> list[HandlerPlan]:
        """Every wired handler once (HEAD aliases excluded), in wiring order."""
        seen: list[HandlerPlan] = []
        for table in self._tables:
            seen.extend(
                p for m, p in table.methods.items() if not (m == "HEAD" and p.http_method == "GET")
            )
        return seen
