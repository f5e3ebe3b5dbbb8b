"""The package's import graph: no cycle between jero's subpackages, and request-time code
never reaches back into wiring-time code or the app.

Read from the source with `ast` (every import, lazy ones inside functions included), so
a cycle cannot hide behind an import placed in a function body.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "jero"

# Wiring-time code and the app: runtime packages must not import them.
COMPILE_TIME = frozenset({"_compile", "_assembly", "_app"})
RUNTIME = frozenset(
    {"_routing", "_binding", "_rendering", "_streaming", "_conditional", "_static", "_serve"}
)


def unit_of(module: str) -> str:
    """`jero._binding.body` → `_binding`; `jero._plan` → `_plan`; `jero` → `jero`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def module_name(path: Path) -> str:
    relative = path.relative_to(SRC.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[str]:
    """The jero modules `path` imports, resolved to absolute names."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("jero"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("jero"):
                yield target


def unit_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        source = unit_of(module_name(path))
        for target in imports_of(path):
            unit = unit_of(target)
            if unit not in (source, "jero"):
                graph.setdefault(source, set()).add(unit)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        trail.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*trail[trail.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        trail.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_no_cycle_between_packages() -> None:
    cycle = find_cycle(unit_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_runtime_packages_never_import_the_compiler_or_the_app() -> None:
    graph = unit_graph()
    wrong = {
        f"{unit} imports {target}"
        for unit in RUNTIME
        for target in graph.get(unit, ())
        if target in COMPILE_TIME
    }
    assert not wrong, sorted(wrong)


def test_the_checker_sees_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
