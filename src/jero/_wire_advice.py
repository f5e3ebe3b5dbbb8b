"""Advice for an app whose wiring hook is misspelled.

`_wire` is the one hook jero calls at startup. An app that defines `wire`, `startup` or
`setup` instead (spellings other frameworks, and earlier jero releases, use) would start
with no routes and answer 404 to everything; that is refused at startup instead.
"""

from __future__ import annotations

from ._errors import WiringError

__all__ = ["check_wire_spelling"]

_MISSPELLINGS = ("wire", "startup", "setup", "on_startup", "configure")


def check_wire_spelling(app: type, base: type) -> None:
    """A `WiringError` when `app` never overrides `_wire` but defines a look-alike."""
    below_base = app.__mro__[: app.__mro__.index(base)]
    if any("_wire" in vars(klass) for klass in below_base):
        return
    for klass in below_base:
        for name in _MISSPELLINGS:
            if callable(vars(klass).get(name)):
                raise WiringError(
                    f"{app.__qualname__} defines `{name}` but not `_wire`, so no route would "
                    f"be wired; did you mean `_wire`? Rename it: "
                    f"`async def _wire(self) -> None`"
                )
