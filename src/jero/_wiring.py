"""Wiring: turn a `Resource` / `Endpoint` instance into `HandlerPlan`s, or fail the boot.

Everything here runs once, at startup. It reads signatures and annotations, enforces
the route rules of SPEC §3, and leaves behind closures that do only request-time work.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any

from ._asgi import Receive, Scope, Send
from ._binding.base import BODY, BindContext, Binder, Limits, UserSource
from ._binding.sources import SOURCES
from ._conditional.plan import conditional_plan
from ._errors import WiringError
from ._meta import declared_status
from ._rendering.encoders import MSGPACK_CODEC
from ._rendering.negotiation import negotiated, negotiating
from ._rendering.plan import RenderPlan, build_render_plan
from ._rendering.shapes import Encoder, Responder
from ._routing.routes import Endpoint, Operation, Resource, Template, parse_template
from ._streaming.render import check_stream_method
from ._types import is_struct_type, struct_fields

type Invoker = Callable[[Scope, Receive, Sequence[str]], Awaitable[Any]]
"""`await invoke(scope, receive, slot_values)`: bind every parameter, call the handler."""

_BODYLESS = frozenset({"GET", "HEAD", "DELETE"})


@dataclasses.dataclass(frozen=True, slots=True)
class HandlerPlan:
    """One wired route: how to call the handler and how to answer with its result."""

    owner: type
    operation: Operation
    template: Template
    invoke: Invoker
    respond: Responder
    encode: Encoder | None
    """For buffered bodies: `encode(result)` → (status, headers, body), sent by the app
    without a responder call. None when `respond` must run (streams, held uploads)."""
    render: RenderPlan
    parameters: Mapping[str, Any]
    """Parameter name → resolved annotation, in signature order (for OpenAPI)."""
    mount: object
    """The included route object; later features (auth, OpenAPI) read their options here."""
    auth: UserSource | None = None
    """The authenticator the route was included with (an `_auth.AuthPlan`), if any."""
    msgpack: bool = False
    """The app speaks MessagePack too: bodies in, and buffered responses when asked."""

    @property
    def http_method(self) -> str:
        return self.operation.http_method

    @property
    def path(self) -> str:
        return self.template.render()


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
    function = getattr(cls, op.name)
    if not inspect.iscoroutinefunction(function):
        raise WiringError(
            f"{where} must be `async def`; run blocking work inside it with "
            f"`await anyio.to_thread.run_sync(fn, *args)`"
        )
    hints = _resolve_hints(function, where)
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())[1:]  # drop self
    annotations = _check_parameters(parameters, hints, op, where)
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
    method = _positional(getattr(route, op.name), parameters)
    invoke = build_invoker(method, binders)
    if msgpack and not render.streams:
        msgpack_render = build_render_plan(hints["return"], op.default_status, where, MSGPACK_CODEC)
        render, invoke = negotiated(render, msgpack_render), negotiating(invoke)
    respond, encode = render.responder, render.encode
    if auth is not None and "user" not in annotations:
        # Every handler of an authenticated mount authenticates, whether or not it takes
        # the user (a `user` binder runs first by its phase, BEFORE_BODY).
        invoke = _guarded(auth.authenticate, invoke)
    releases = [b.release for b in binders if b.release is not None]
    if releases:
        invoke, respond = _releasing(invoke, respond, releases)
        encode = None  # the response goes through `respond`, which releases after sending
    invoke, respond, encode = conditional_plan(
        op.http_method, annotations, render, invoke=invoke, respond=respond, encode=encode
    )
    return HandlerPlan(
        owner=cls,
        operation=op,
        template=template,
        invoke=invoke,
        respond=respond,
        encode=encode,
        render=render,
        parameters=annotations,
        mount=route,
        auth=auth,
        msgpack=msgpack,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _Held:
    """A handler's result travelling from `invoke` to `respond` with its request."""

    value: Any
    scope: Scope


def _releasing(
    invoke: Invoker, respond: Responder, releases: list[Callable[[Scope], None]]
) -> tuple[Invoker, Responder]:
    """Pair `invoke` and `respond` so what binding held (spooled uploads) is released
    once the response is sent, or as soon as binding or the handler fails.

    The result reaches `respond` wrapped with its scope, so handlers that hold nothing
    keep the app's request path exactly as it is.
    """

    def release(scope: Scope) -> None:
        for each in releases:
            each(scope)

    async def invoke_holding(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
        try:
            return _Held(await invoke(scope, receive, values), scope)
        except BaseException:
            release(scope)
            raise

    async def respond_releasing(send: Send, held: _Held, head: bool, receive: Receive) -> None:
        try:
            await respond(send, held.value, head, receive)
        finally:
            release(held.scope)

    return invoke_holding, respond_releasing


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
            f"level or import them where the route class is defined"
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


def _check_parameters(
    parameters: list[inspect.Parameter], hints: dict[str, Any], op: Operation, where: str
) -> dict[str, Any]:
    annotations: dict[str, Any] = {}
    body_sources: list[str] = []
    for parameter in parameters:
        name = parameter.name
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise WiringError(f"{where}: *{name} / **{name} cannot be bound; name each source")
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise WiringError(f"{where}: parameter `{name}` is positional-only; remove the '/'")
        source = SOURCES.get(name)
        if source is None:
            raise WiringError(
                f"{where}: unknown parameter `{name}`; jero binds parameters by name: "
                f"{', '.join(SOURCES)}"
            )
        if name not in hints:
            raise WiringError(f"{where}: parameter `{name}` has no annotation; annotate it")
        if source.reads_body:
            if op.http_method in _BODYLESS:
                raise WiringError(
                    f"{where}: parameter `{name}` reads a request body, which "
                    f"{op.http_method} does not carry; move it to a POST/PUT/PATCH handler"
                )
            body_sources.append(name)
        annotations[name] = hints[name]
    if len(body_sources) > 1:
        raise WiringError(
            f"{where}: parameters {', '.join(f'`{n}`' for n in body_sources)} all read the "
            f"request body; keep one"
        )
    return annotations


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


def _positional(
    method: Callable[..., Awaitable[Any]], parameters: list[inspect.Parameter]
) -> Callable[..., Awaitable[Any]]:
    """Invokers pass arguments by position; keyword-only parameters need names."""
    if all(p.kind is not p.KEYWORD_ONLY for p in parameters):
        return method
    names = [p.name for p in parameters]

    def call(*args: Any) -> Awaitable[Any]:
        return method(**dict(zip(names, args, strict=True)))

    return call


def _guarded(authenticate: Callable[[Scope], Awaitable[Any]], invoke: Invoker) -> Invoker:
    """Authenticate before `invoke` binds anything; the user is not passed on."""

    async def invoke_guarded(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
        await authenticate(scope)
        return await invoke(scope, receive, values)

    return invoke_guarded


def build_invoker(method: Callable[..., Awaitable[Any]], binders: list[Binder]) -> Invoker:
    """A closure that binds the parameters in phase order and calls the handler.

    The common shapes (no parameters, one or two synchronous ones) get plain functions
    that bind and return the handler's own coroutine: no extra coroutine frame, no loop
    and no list allocation on the hot path.
    """
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
    if len(binders) == 1 and binders[0].phase == BODY:
        only = binders[0].bind

        async def invoke_body(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
            return await method(await only(scope, receive, values))

        return invoke_body
    ordered = sorted(enumerate(binders), key=lambda pair: pair[1].phase)  # stable
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
