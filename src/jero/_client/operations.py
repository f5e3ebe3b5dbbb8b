"""Wiring on the client side: a route class's handlers read into `ClientOperation`s.

The same `plan_routes` the server wires with reads each handler's signature, so a
client agrees with the server on every path, parameter and outcome by construction.
No handler runs and no constructor is called: the route class is only inspected.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from .._asgi import Scope
from .._binding.base import BindContext, Binder, Limits
from .._compile.handlers import plan_routes
from .._errors import WiringError
from .._errors_format.format import ErrorFormat, check_format
from .._media import MSGPACK
from .._meta import merge_meta
from .._plan import HandlerPlan
from .._routes import Endpoint, Resource
from .._types import union_members
from .requests import (
    Apply,
    ReadFile,
    RequestParts,
    apply_content,
    apply_cookies,
    apply_json,
    apply_msgpack,
    apply_params,
    form_applier,
    header_applier,
    url_builder,
)
from .responses import Outcome, Outcomes, outcome_for


@dataclasses.dataclass(frozen=True, slots=True)
class ClientOperation:
    """One handler as the client calls it: its method, how to build the request from
    the call's arguments, and how to read the response back."""

    http_method: str
    names: tuple[str, ...]
    """The handler's parameter names in order (to place positional arguments)."""
    url: Callable[[Any], str]
    appliers: Mapping[str, Apply]
    outcomes: Outcomes
    where: str
    accept: tuple[tuple[str, str], ...] = ()
    """The `Accept` header a MessagePack client sends (JSON still taken, ranked lower)."""

    def request(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> RequestParts:
        given = dict(zip(self.names, args, strict=False)) | dict(kwargs)
        unknown = [name for name in given if name not in self.names]
        if unknown:
            raise TypeError(f"{self.where}() got an unexpected argument `{unknown[0]}`")
        parts = RequestParts(self.url(given.get("path")), headers=list(self.accept))
        for name, apply in self.appliers.items():
            value = given.get(name)
            if value is not None:
                apply(parts, value)
        return parts

    def outcome(self, response: Any) -> Outcome:
        return self.outcomes.choose(response)


class _AnyUser:
    """Stands in for a mount's authenticator: the server fills `user`, not the client."""

    def user_binder(self, annotation: Any, ctx: BindContext) -> Binder:
        return Binder(_no_user)

    @property
    def authenticate(self) -> Callable[[Scope], Awaitable[Any]]:
        return _authenticate_nobody

    def for_public(self) -> _AnyUser:
        return self


def _no_user(scope: Scope, values: Sequence[str]) -> None:
    return None


async def _authenticate_nobody(scope: Scope) -> None:
    return None


def _route_object(route: object) -> Resource | Endpoint:
    """An instance to inspect: the given one, or a bare one made without `__init__`."""
    if isinstance(route, Resource | Endpoint):
        return route
    if isinstance(route, type) and issubclass(route, Resource | Endpoint):
        return object.__new__(route)
    name = route.__qualname__ if isinstance(route, type) else type(route).__qualname__
    raise WiringError(
        f"{name} is not a Resource or Endpoint class; pass the route classes the client "
        f"calls, e.g. Client(WidgetResource, base_url=...)"
    )


def read_operations(
    routes: Iterable[object],
    read_file: ReadFile,
    *,
    msgpack: bool = False,
    error_format: ErrorFormat[Any] | None = None,
) -> dict[Callable[..., Any], ClientOperation]:
    """Handler function (as `WidgetResource.read_one` names it) → its client operation."""
    table: dict[Callable[..., Any], ClientOperation] = {}
    if error_format is not None:
        check_format(error_format, "Client(error_format=...)")
    for route in routes:
        target = _route_object(route)
        for plan in plan_routes(target, Limits(), _AnyUser()):
            function = getattr(type(target), plan.operation.name)
            table[function] = _operation(plan, function, read_file, msgpack, error_format)
    return table


def _operation(
    plan: HandlerPlan,
    function: Any,
    read_file: ReadFile,
    msgpack: bool,
    error_format: ErrorFormat[Any] | None,
) -> ClientOperation:
    where = f"{plan.owner.__qualname__}.{plan.operation.name}"
    hints = typing.get_type_hints(function, include_extras=True)
    members = union_members(hints["return"])
    outcomes = [outcome_for(m, s) for m, s in zip(members, plan.render.shapes, strict=True)]
    docs = merge_meta(plan.owner.route_meta, plan.owner.operation_meta.get(plan.operation.name))  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    appliers: dict[str, Apply] = {}
    for name, annotation in plan.parameters.items():
        apply = _applier(name, annotation, where, read_file, msgpack)
        if apply is not None:
            appliers[name] = apply
    names = tuple(inspect.signature(function).parameters)[1:]
    return ClientOperation(
        http_method=plan.http_method,
        names=names,
        url=url_builder(plan.template, where),
        appliers=appliers,
        outcomes=Outcomes(outcomes, docs.errors, error_format),
        where=where,
        accept=((("accept", f"{MSGPACK}, application/json;q=0.5"),) if msgpack else ()),
    )


def _applier(
    name: str, annotation: Any, where: str, read_file: ReadFile, msgpack: bool
) -> Apply | None:
    if name == "params":
        return apply_params
    if name == "headers":
        return header_applier(annotation)
    if name == "cookies":
        return apply_cookies
    if name == "json":
        return apply_msgpack if msgpack else apply_json
    if name == "content":
        return apply_content
    if name == "form":
        return form_applier(annotation, where, read_file)
    if name == "raw_headers":
        return _apply_raw_headers
    return None  # `path` builds the URL; `user` is the server's to fill


def _apply_raw_headers(parts: RequestParts, value: Any) -> None:
    parts.headers.extend(value.items())
