"""Reading a `Resource` / `Endpoint` instance into `HandlerPlan`s, or failing the boot.

Everything here runs once, at startup. It reads signatures and annotations, enforces
the route rules, and leaves behind closures that only bind and call: the plan of the
handler as written. What wraps it per request (auth, negotiation, conditional answers,
middleware...) is stacked on top by `layers.py`.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any

from .._asgi import Receive, Scope
from .._binding.base import BODY, BindContext, Binder, Limits, UserSource
from .._errors import WiringError
from .._meta import declared_status
from .._plan import HandlerPlan, Invoker
from .._rendering.encoders import MSGPACK_CODEC
from .._routes import Endpoint, Operation, Resource, Template, parse_template
from .._streaming.render import check_stream_method
from .._types import is_struct_type, struct_fields
from .render import build_render_plan
from .signature import Signature, read_signature
from .sources import SOURCES

_BODYLESS = frozenset({"GET", "HEAD", "DELETE"})


def plan_routes(
    route: object,
    limits: Limits,
    auth: UserSource | None = None,
    *,
    public: Collection[str] = (),
    msgpack: bool = False,
) -> list[HandlerPlan]:
    """Every operation a route object defines, each checked and compiled.

    Operations named in `public` are served without `auth`; one that takes `user`
    authenticates optionally (`auth.for_public()`: absent credentials bind None)."""
    if not isinstance(route, Resource | Endpoint):
        name = type(route).__qualname__
        raise WiringError(f"{name} is not a Resource or Endpoint; subclass one of them")
    cls = type(route)
    if cls.mount_path is None:
        raise WiringError(
            f"{cls.__qualname__} has no path; declare it: class {cls.__name__}"
            f'({"Resource" if isinstance(route, Resource) else "Endpoint"}, path="/...")'
        )
    mount = parse_template(cls.mount_path, cls.__qualname__)
    names = _handler_names(cls)
    _check_public(cls, names, public, auth)
    plans = [
        plan_handler(
            route,
            cls.operations[name],
            mount,
            limits,
            _auth_of(cls, name, auth, public),
            msgpack=msgpack,
        )
        for name in names
    ]
    if not plans:
        ops = ", ".join(cls.operations)
        raise WiringError(f"{cls.__qualname__} defines no operation; define one of: {ops}")
    return plans


def _check_public(
    cls: type, names: list[str], public: Collection[str], auth: UserSource | None
) -> None:
    where = cls.__qualname__
    if isinstance(public, str):
        raise WiringError(f"{where}: public= takes operation names, e.g. public=({public!r},)")
    if public and auth is None:
        raise WiringError(
            f"{where}: public={tuple(public)!r} without auth=; public operations are the "
            f"ones an authenticated mount serves without credentials: pass auth=YourAuth() "
            f"too, or drop public="
        )
    for name in public:
        if name not in names:
            raise WiringError(
                f"{where}: public= names {name!r}, which is not an operation it defines "
                f"(it defines: {', '.join(names)})"
            )


def _auth_of(
    cls: type, name: str, auth: UserSource | None, public: Collection[str]
) -> UserSource | None:
    """A public operation authenticates only if it takes `user`, and then optionally."""
    if auth is None or name not in public:
        return auth
    if "user" not in inspect.signature(getattr(cls, name)).parameters:
        return None
    return auth.for_public()


def _handler_names(cls: type) -> list[str]:
    """Operation names the class defines; any other public method is an error."""
    base = Resource if issubclass(cls, Resource) else Endpoint
    names: list[str] = []
    for klass in reversed(cls.__mro__[: cls.__mro__.index(base)]):
        for name, value in vars(klass).items():
            if name.startswith("_") or name in names:
                continue
            if not (inspect.isfunction(value) or isinstance(value, staticmethod | classmethod)):
                continue
            if name not in base.operations:
                article = "an" if base is Endpoint else "a"
                raise WiringError(
                    f"{cls.__qualname__}.{name} is not an operation of {article} {base.__name__} "
                    f"(those are: {', '.join(base.operations)}); rename it, or make it a "
                    f"private helper: _{name}"
                )
            names.append(name)
    return names


def plan_handler(
    route: object,
    op: Operation,
    mount: Template,
    limits: Limits,
    auth: UserSource | None = None,
    *,
    msgpack: bool = False,
) -> HandlerPlan:
    cls = type(route)
    where = f"{cls.__qualname__}.{op.name}"
    status = declared_status(cls, op.name, op.default_status)
    if status != op.default_status:
        op = dataclasses.replace(op, default_status=status)
    signature = read_signature(getattr(cls, op.name), where)
    parameters, hints = signature.parameters, signature.hints
    annotations = _check_sources(signature, op, where)
    template = _route_template(mount, op, annotations.get("path"), where)
    if template.slots and "path" not in annotations:
        raise WiringError(
            f"{where}: the path {template.render()} has slots; declare a `path` parameter "
            f"whose Struct has the fields {', '.join(template.slots)}"
        )
    binders = [
        SOURCES[name].build(
            tp,
            BindContext(
                f"{where} parameter `{name}`",
                op.http_method,
                template.slots,
                limits,
                auth,
                msgpack=msgpack,
            ),
        )
        for name, tp in annotations.items()
    ]
    if "return" not in hints:
        raise WiringError(
            f"{where} has no return annotation; annotate what it returns, e.g. -> Widget, "
            f"or -> NoContent for a 204"
        )
    render = build_render_plan(hints["return"], op.default_status, where)
    check_stream_method(render.shapes, op.http_method, where)
    msgpack_render = None
    if msgpack and not render.streams:
        msgpack_render = build_render_plan(hints["return"], op.default_status, where, MSGPACK_CODEC)
    return HandlerPlan(
        owner=cls,
        operation=op,
        template=template,
        invoke=build_invoker(getattr(route, op.name), parameters, binders),
        respond=render.responder,
        encode=render.encode,
        render=render,
        parameters=annotations,
        mount=route,
        auth=auth,
        msgpack=msgpack,
        msgpack_render=msgpack_render,
        releases=tuple(b.release for b in binders if b.release is not None),
    )


def _check_sources(signature: Signature, op: Operation, where: str) -> dict[str, Any]:
    """Every parameter names a source; at most one reads the body, and not on GET, HEAD
    or DELETE."""
    body_sources: list[str] = []
    for name in signature.annotations:
        source = SOURCES.get(name)
        if source is None:
            raise WiringError(
                f"{where}: unknown parameter `{name}`; jero binds parameters by name: "
                f"{', '.join(SOURCES)}"
            )
        if source.reads_body:
            if op.http_method in _BODYLESS:
                raise WiringError(
                    f"{where}: parameter `{name}` reads a request body, which "
                    f"{op.http_method} does not carry; move it to a POST/PUT/PATCH handler"
                )
            body_sources.append(name)
    if len(body_sources) > 1:
        raise WiringError(
            f"{where}: parameters {', '.join(f'`{n}`' for n in body_sources)} all read the "
            f"request body; keep one"
        )
    return dict(signature.annotations)


def _route_template(mount: Template, op: Operation, path_type: Any, where: str) -> Template:
    """The mount template, extended by the item id for a Resource item operation."""
    fields = [f.name for f in struct_fields(path_type)] if is_struct_type(path_type) else []
    beyond = tuple(name for name in fields if name not in mount.slots)
    if op.item:
        if not beyond:
            raise WiringError(
                f"{where} serves one item, so its `path` Struct needs a field beyond the "
                f"mount's slots for the item id (e.g. `widget_id: str`)"
            )
        return mount.extended(beyond)
    if op.collection and beyond:
        raise WiringError(
            f"{where} serves the mount path exactly; field `{beyond[0]}` of its `path` "
            f"Struct is not a slot of {mount.render()}; remove it (item ids belong to "
            f"read_one, update_full, update_partial, delete)"
        )
    return mount


def build_invoker(
    method: Callable[..., Awaitable[Any]],
    parameters: Sequence[inspect.Parameter],
    binders: list[Binder],
) -> Invoker:
    """A closure that binds the parameters in phase order and calls the handler.

    The common shapes (no parameters, one or two synchronous ones) get plain functions
    that bind and return the handler's own coroutine: no extra coroutine frame, no loop
    and no list allocation on the hot path. A handler with keyword-only parameters gets
    its arguments gathered straight into the keyword dict it is called with.
    """
    ordered = sorted(enumerate(binders), key=lambda pair: pair[1].phase)  # stable
    if any(p.kind is p.KEYWORD_ONLY for p in parameters):
        names = [p.name for p in parameters]
        named = tuple((names[index], b.bind, b.awaits) for index, b in ordered)

        async def invoke_keywords(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
            arguments: dict[str, Any] = {}
            for name, bind, awaits in named:
                arguments[name] = (
                    await bind(scope, receive, values) if awaits else bind(scope, values)
                )
            return await method(**arguments)

        return invoke_keywords
    if not binders:

        def invoke_bare(scope: Scope, receive: Receive, values: Sequence[str]) -> Awaitable[Any]:
            return method()

        return invoke_bare
    if all(not b.awaits for b in binders) and len(binders) <= 2:
        first = binders[0].bind
        if len(binders) == 1:

            def invoke_one(scope: Scope, receive: Receive, values: Sequence[str]) -> Awaitable[Any]:
                return method(first(scope, values))

            return invoke_one
        second = binders[1].bind

        def invoke_two(scope: Scope, receive: Receive, values: Sequence[str]) -> Awaitable[Any]:
            return method(first(scope, values), second(scope, values))

        return invoke_two
    if len(binders) == 1 and binders[0].alone is not None:
        return binders[0].alone(method)
    if len(binders) == 1 and binders[0].phase == BODY:
        only = binders[0].bind

        async def invoke_body(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
            return await method(await only(scope, receive, values))

        return invoke_body
    steps = tuple((index, b.bind, b.awaits) for index, b in ordered)
    count = len(binders)

    async def invoke(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
        args: list[Any] = [None] * count
        for index, bind, awaits in steps:
            if awaits:
                args[index] = await bind(scope, receive, values)
            else:
                args[index] = bind(scope, values)
        return await method(*args)

    return invoke
