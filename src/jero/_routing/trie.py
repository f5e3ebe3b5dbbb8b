"""`RouteTrie`: path → route node, in time proportional to the number of segments.

Static segments are dict children and a `{slot}` is the single wildcard child of its
parent, so a template's shape (not its slot names) decides where it lands. Fully static
paths are also kept in one flat dict, and templates that are a static prefix plus one
trailing slot (`/widgets/{widget_id}`) in another keyed by that prefix: between them
they answer most lookups with one or two dict probes. (Those probes give the answer the
walk would: a static prefix beats any slot at the same depths.)
Static children win over the wildcard; when a static branch dead-ends, the lookup backs
up and tries the wildcard, so `/users/me` never hides `/users/{id}/posts`.
"""

from __future__ import annotations

from collections.abc import Sequence


class TrieNode[R]:
    __slots__ = ("slot", "static", "value")

    def __init__(self) -> None:
        self.static: dict[str, TrieNode[R]] = {}
        self.slot: TrieNode[R] | None = None
        self.value: R | None = None


_NO_VALUES: tuple[str, ...] = ()


class RouteTrie[R]:
    """Maps templates such as `/shops/{shop_id}/widgets` to values of type `R`."""

    __slots__ = ("_root", "_static_paths", "_tail_slots")

    def __init__(self) -> None:
        self._root: TrieNode[R] = TrieNode()
        self._static_paths: dict[str, R] = {}
        self._tail_slots: dict[str, R] = {}

    def node_for(self, segments: Sequence[str | None]) -> TrieNode[R]:
        """The node for a template given as segments, `None` standing for a slot."""
        node = self._root
        for segment in segments:
            if segment is None:
                if node.slot is None:
                    node.slot = TrieNode()
                node = node.slot
            else:
                node = node.static.setdefault(segment, TrieNode())
        return node

    def insert(self, segments: Sequence[str | None], value: R) -> None:
        self.node_for(segments).value = value
        if None not in segments:
            self._static_paths["/" + "/".join(s for s in segments if s is not None)] = value
        elif segments[-1] is None and None not in segments[:-1]:
            prefix = "".join(f"/{s}" for s in segments[:-1] if s is not None)
            self._tail_slots[prefix] = value

    def lookup(self, path: str) -> tuple[R, Sequence[str]] | None:
        """The value for a request path and the slot values in order, or None."""
        found = self._static_paths.get(path)
        if found is not None:
            return found, _NO_VALUES
        prefix, slash, last = path.rpartition("/")
        found = self._tail_slots.get(prefix)
        if found is not None and last and slash:
            return found, (last,)
        if not path.startswith("/"):
            return None
        segments = path[1:].split("/")
        node = self._root
        values: list[str] = []
        for segment in segments:
            child = node.static.get(segment)
            if child is None:
                child = node.slot
                if child is None or not segment:
                    return self._search(self._root, segments, 0, [])
                values.append(segment)
            node = child
        if node.value is not None:
            return node.value, values
        return self._search(self._root, segments, 0, [])

    def _search(
        self, node: TrieNode[R], segments: list[str], depth: int, values: list[str]
    ) -> tuple[R, Sequence[str]] | None:
        """Backtracking walk, only reached when the greedy walk above dead-ends."""
        if depth == len(segments):
            return (node.value, values) if node.value is not None else None
        segment = segments[depth]
        child = node.static.get(segment)
        if child is not None:
            found = self._search(child, segments, depth + 1, values)
            if found is not None:
                return found
        if node.slot is not None and segment:
            found = self._search(node.slot, segments, depth + 1, [*values, segment])
            if found is not None:
                return found
        return None
