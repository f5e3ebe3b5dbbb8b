"""One reader of handler signatures, for HTTP handlers and WebSocket hooks alike.

The rules every bound method shares live here, with one wording: it is `async def`;
its annotations resolve (forward references and `from __future__ import annotations`
included; the one that does not is named); every parameter after `self` is annotated
and named (no `*args`, `**kwargs` or positional-only `/`); keyword-only parameters are
fine. PEP 695 aliases (`type Payload = A | B`) are unwrapped to their value. What each
parameter *may* be (which sources, which hook extras) is the caller's rule.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

from .._errors import WiringError
from .._types import unaliased

__all__ = ["Signature", "read_signature"]


@dataclasses.dataclass(frozen=True, slots=True)
class Signature:
    parameters: tuple[inspect.Parameter, ...]
    """The parameters after `self`, in order."""
    annotations: Mapping[str, Any]
    """Parameter name → resolved annotation (aliases unwrapped), in signature order."""
    hints: Mapping[str, Any]
    """Every resolved annotation, `return` included when there is one."""

    @property
    def keyword_only(self) -> bool:
        return any(p.kind is p.KEYWORD_ONLY for p in self.parameters)


def read_signature(function: Callable[..., Any], where: str) -> Signature:
    """Read and check `function` (a method, unbound); `where` names it in errors."""
    if not inspect.iscoroutinefunction(function):
        raise WiringError(
            f"{where} must be `async def`; run blocking work inside it with "
            f"`await anyio.to_thread.run_sync(fn, *args)`"
        )
    hints = _resolve_hints(function, where)
    parameters = tuple(inspect.signature(function).parameters.values())[1:]  # drop self
    annotations: dict[str, Any] = {}
    for parameter in parameters:
        name = parameter.name
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise WiringError(f"{where}: *{name} / **{name} cannot be bound; name each source")
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise WiringError(f"{where}: parameter `{name}` is positional-only; remove the '/'")
        if name not in hints:
            raise WiringError(f"{where}: parameter `{name}` has no annotation; annotate it")
        annotations[name] = unaliased(hints[name])
    return Signature(parameters, annotations, hints)


def _resolve_hints(function: Callable[..., Any], where: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function, include_extras=True)
    except (NameError, TypeError, AttributeError) as error:
        culprit = _unresolvable_annotation(function)
        what = (
            "its annotations"
            if culprit is None
            else "its return annotation"
            if culprit == "return"
            else f"the annotation of parameter `{culprit}`"
        )
        raise WiringError(
            f"{where}: cannot resolve {what} ({error}); define the types at module "
            f"level or import them where the class is defined"
        ) from error


def _unresolvable_annotation(function: Callable[..., Any]) -> str | None:
    """Which annotation fails to resolve on its own, so the error can name it."""
    namespace: dict[str, Any] = getattr(function, "__globals__", {})
    for name, annotation in inspect.get_annotations(function).items():

        def probe() -> None: ...

        probe.__annotations__ = {name: annotation}
        try:
            typing.get_type_hints(probe, globalns=namespace, include_extras=True)
        except (NameError, TypeError, AttributeError):
            return name
    return None
