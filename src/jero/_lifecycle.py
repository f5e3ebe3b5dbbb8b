"""Lifecycle: one exit stack per running app, and the factories that fill it.

Sync and async context managers share a single `AsyncExitStack`, so everything entered
closes in exact reverse order of entry, whichever kind it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, AsyncExitStack
from typing import Any, Self


class LifecycleOwner:
    """`_enter` / `_aenter` over the exit stack jero attaches while the owner is open."""

    __stack: AsyncExitStack | None = None

    def _enter[T](self, cm: AbstractContextManager[T]) -> T:
        """Enter a sync context manager now; it exits at shutdown, in reverse order."""
        return self.__open_stack().enter_context(cm)

    async def _aenter[T](self, cm: AbstractAsyncContextManager[T]) -> T:
        """Enter an async context manager now; it exits at shutdown, in reverse order."""
        return await self.__open_stack().enter_async_context(cm)

    def __open_stack(self) -> AsyncExitStack:
        if self.__stack is None:
            raise RuntimeError(
                f"{type(self).__name__}: _enter/_aenter only work while it is open "
                f"(inside _wire, or inside `async with Factory.open()`)"
            )
        return self.__stack

    @staticmethod
    def attach(owner: LifecycleOwner, stack: AsyncExitStack | None) -> None:
        """jero's own: point an owner at the stack that will close what it enters."""
        owner.__stack = stack

    @staticmethod
    def is_attached(owner: LifecycleOwner) -> bool:
        return owner.__stack is not None


class BaseFactory(LifecycleOwner):
    """Groups the construction of I/O services (clients, pools, caches).

    Methods of a subclass build services and enter them with `_enter` / `_aenter`.
    Under `BaseApp[Factory]` the app builds one at startup on its own exit stack (or
    uses the one passed as `App(factory=...)`), and it is `self._factory` in `_wire`.
    Scripts get the same lifecycle without an app from `async with Factory.open()`.
    """

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, *args: Any, **kwargs: Any) -> AsyncGenerator[Self]:
        """Build a factory whose services close, in reverse order, when the block ends."""
        factory = cls(*args, **kwargs)
        async with AsyncExitStack() as stack:
            LifecycleOwner.attach(factory, stack)
            try:
                yield factory
            finally:
                LifecycleOwner.attach(factory, None)


def check_factory(app: str, expected: type[BaseFactory], factory: object) -> None:
    """`App(factory=...)` takes an instance of the app's factory class: jero attaches its
    lifecycle to it, and `_wire` calls that class's methods."""
    if isinstance(factory, expected):
        return
    given = f"{app}(factory={_describe(factory)})"
    if isinstance(factory, type) and issubclass(factory, expected):
        raise TypeError(f"{given}: pass an instance: {app}(factory={factory.__name__}())")
    raise TypeError(
        f"{given}: the factory must be an instance of {expected.__name__} (a BaseFactory); "
        f"subclass {expected.__name__} and override the methods the stand-in replaces"
    )


def _describe(value: object) -> str:
    return value.__name__ if isinstance(value, type) else f"{type(value).__name__}()"
