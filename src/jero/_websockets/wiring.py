"""Wiring a `WebSocketEndpoint`: hook signatures checked, binders and codecs built.

Runs once, when `_include_websocket` is called. The handshake sources (`path`,
`params`, `headers`, `cookies`, `raw_headers`, `user`) bind with the same binders as
HTTP routes, once per connection, and every hook that names one gets the same value.
Each mistake is a `WiringError` naming the class, the hook, the parameter and the fix.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from .._asgi import Receive, Scope
from .._binding.base import BindContext, Binder, Limits, UserSource
from .._compile.signature import read_signature
from .._compile.sources import SOURCES
from .._errors import WiringError
from .._routes import Template, parse_template
from .._types import type_name, unaliased
from .codecs import (
    Decode,
    build_decoder,
    build_frame,
    check_message_type,
    no_frame,
    no_messages,
)
from .endpoint import HOOKS, Hook, WebSocketEndpoint, WebSocketLimits
from .socket import Frame, WebSocket

__all__ = ["HookCall", "SocketPlan", "plan_socket"]

type Bind = Callable[[Scope, Receive, Sequence[str]], Awaitable[dict[str, Any]]]
"""`await bind(scope, receive, slot_values)` → source name → bound value."""


@dataclasses.dataclass(frozen=True, slots=True)
class HookCall:
    """One hook: the bound method and the names of its arguments, in order."""

    method: Callable[..., Awaitable[Any]]
    """Called with the arguments in `names` order, by position."""
    names: tuple[str, ...]

    def arguments(self, bound: Mapping[str, Any]) -> list[Any]:
        return [bound[name] for name in self.names]


@dataclasses.dataclass(frozen=True, slots=True)
class SocketPlan:
    """One wired WebSocket route."""

    owner: type[WebSocketEndpoint]
    endpoint: WebSocketEndpoint
    template: Template
    bind: Bind
    connect: HookCall | None
    receive: HookCall | None
    disconnect: HookCall | None
    decode: Decode
    frame: Frame
    in_type: Any
    """The `message` annotation of `receive`, or None when the socket takes no messages."""
    out_type: Any
    """The `Out` of `socket: WebSocket[Out]`, or None when no hook declares the socket."""
    sources: Mapping[str, Any]
    """Handshake source name → its annotation (for the AsyncAPI document)."""
    limits: WebSocketLimits
    auth: UserSource | None

    @property
    def path(self) -> str:
        return self.template.render()

    def where(self, hook: str) -> str:
        return f"{self.owner.__qualname__}.{hook}"


def plan_socket(
    endpoint: object, limits: WebSocketLimits, auth: UserSource | None = None
) -> SocketPlan:
    """Check every hook of `endpoint` and compile what a connection needs."""
    if not isinstance(endpoint, WebSocketEndpoint):
        raise WiringError(
            f"{type(endpoint).__qualname__} is not a WebSocketEndpoint; subclass it: "
            f'class {type(endpoint).__name__}(WebSocketEndpoint, path="/...")'
        )
    cls = type(endpoint)
    if cls.mount_path is None:
        raise WiringError(
            f"{cls.__qualname__} has no path; declare it: class {cls.__name__}"
            f'(WebSocketEndpoint, path="/...")'
        )
    template = parse_template(cls.mount_path, cls.__qualname__)
    names = _hook_names(cls)
    if not names:
        raise WiringError(
            f"{cls.__qualname__} defines no hook; define one of: {', '.join(HOOKS)} "
            f"(e.g. `async def receive(self, message: In, socket: WebSocket[Out]) -> None`)"
        )
    signatures = {name: _hook_parameters(cls, HOOKS[name]) for name in names}
    sources = _shared_sources(cls, signatures)
    if template.slots and "path" not in sources:
        raise WiringError(
            f"{cls.__qualname__}: the path {template.render()} has slots; declare a `path` "
            f"parameter on a hook (e.g. connect) whose Struct has the fields "
            f"{', '.join(template.slots)}"
        )
    out_type = unaliased(_out_type(cls, signatures))
    in_type = unaliased(signatures["receive"]["message"]) if "receive" in signatures else None
    if in_type is not None:
        check_message_type(in_type, f"{cls.__qualname__}.receive parameter `message`")
    if out_type is not None:
        check_message_type(out_type, f"{cls.__qualname__}: the Out of WebSocket[Out]")
    binders = {
        name: SOURCES[name].build(
            tp,
            BindContext(
                f"{_first_declaring(cls, signatures, name)} parameter `{name}`",
                "GET",
                template.slots,
                Limits(),
                auth,
            ),
        )
        for name, tp in sources.items()
    }
    calls = {
        name: HookCall(
            _positional(getattr(endpoint, name), tuple(signatures[name])), tuple(signatures[name])
        )
        for name in signatures
    }
    return SocketPlan(
        owner=cls,
        endpoint=endpoint,
        template=template,
        bind=_build_bind(binders, auth),
        connect=calls.get("connect"),
        receive=calls.get("receive"),
        disconnect=calls.get("disconnect"),
        decode=build_decoder(in_type) if in_type is not None else no_messages,
        frame=build_frame(out_type, cls.encoding) if out_type is not None else no_frame,
        in_type=in_type,
        out_type=out_type,
        sources=sources,
        limits=limits,
        auth=auth,
    )


def _hook_names(cls: type) -> list[str]:
    """Hooks the class defines; any other public method is an error."""
    names: list[str] = []
    for klass in reversed(cls.__mro__[: cls.__mro__.index(WebSocketEndpoint)]):
        for name, value in vars(klass).items():
            if name.startswith("_") or name in names:
                continue
            if not (inspect.isfunction(value) or isinstance(value, staticmethod | classmethod)):
                continue
            if name not in HOOKS:
                raise WiringError(
                    f"{cls.__qualname__}.{name} is not a hook of a WebSocketEndpoint (those "
                    f"are: {', '.join(HOOKS)}); rename it, or make it a private helper: _{name}"
                )
            names.append(name)
    return names


def _hook_parameters(cls: type, hook: Hook) -> dict[str, Any]:
    """Parameter name → resolved annotation, in signature order, each checked."""
    where = f"{cls.__qualname__}.{hook.name}"
    signature = read_signature(getattr(cls, hook.name), where)
    hints = signature.hints
    annotations = dict(signature.annotations)
    for name in annotations:
        source = SOURCES.get(name)
        if name not in hook.extras and (source is None or source.reads_body):
            handshake = [n for n, s in SOURCES.items() if not s.reads_body]
            hint = (
                "a WebSocket handshake has no body; messages arrive in "
                "`receive(self, message: In, ...)`"
                if source is not None
                else f"{hook.name} may take {', '.join((*hook.extras, *handshake))}"
            )
            raise WiringError(f"{where}: parameter `{name}` cannot be bound here; {hint}")
    for name in hook.required:
        if name not in annotations:
            raise WiringError(
                f"{where} must take `{name}`; declare `async def {hook.name}(self, {name}: In, "
                f"socket: WebSocket[Out]) -> None` with In the message type"
            )
    if "code" in annotations and annotations["code"] is not int:
        raise WiringError(f"{where}: parameter `code` is the close code; annotate it `int`")
    returns = hints.get("return", None)
    if returns is not None and returns is not type(None):
        raise WiringError(
            f"{where} returns {getattr(returns, '__name__', returns)!r}; hooks return None: "
            f"send messages with `await socket.send(message)`"
        )
    return annotations


def _shared_sources(cls: type, signatures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Handshake sources across hooks; each must carry the same annotation everywhere."""
    sources: dict[str, Any] = {}
    first: dict[str, str] = {}
    for hook, declared in signatures.items():
        for name, tp in declared.items():
            if name in HOOKS[hook].extras:
                continue
            if name in sources and sources[name] != tp:
                raise WiringError(
                    f"{cls.__qualname__}.{hook} parameter `{name}` is `{type_name(tp)}`, but "
                    f"{cls.__qualname__}.{first[name]} takes it as `{type_name(sources[name])}`; "
                    f"a source binds once per connection, so annotate both alike"
                )
            sources.setdefault(name, tp)
            first.setdefault(name, hook)
    return sources


def _first_declaring(cls: type, signatures: dict[str, dict[str, Any]], source: str) -> str:
    hook = next(h for h, a in signatures.items() if source in a)
    return f"{cls.__qualname__}.{hook}"


def _out_type(cls: type, signatures: dict[str, dict[str, Any]]) -> Any:
    """The `Out` of every `socket: WebSocket[Out]`, which must agree across hooks."""
    found: Any = None
    first = ""
    for hook, declared in signatures.items():
        if "socket" not in declared:
            continue
        tp = declared["socket"]
        where = f"{cls.__qualname__}.{hook} parameter `socket`"
        if typing.get_origin(tp) is not WebSocket:
            hint = "say what it sends: " if tp is WebSocket else ""
            raise WiringError(
                f"{where} must be annotated `WebSocket[Out]`, {hint}Out being the message "
                f"type the server sends (a Struct, a tagged union, bytes or str)"
            )
        (out,) = typing.get_args(tp)
        if found is not None and out != found:
            raise WiringError(
                f"{where} is `WebSocket[{type_name(out)}]`, but {first} has "
                f"`WebSocket[{type_name(found)}]`; one socket sends one type: annotate both alike"
            )
        found, first = out, f"{cls.__qualname__}.{hook}"
    return found


def _positional(
    method: Callable[..., Awaitable[Any]], names: tuple[str, ...]
) -> Callable[..., Awaitable[Any]]:
    """Hooks are called by position; one with keyword-only parameters gets them named."""
    parameters = inspect.signature(method).parameters.values()
    if all(p.kind is not p.KEYWORD_ONLY for p in parameters):
        return method

    def call_by_name(*args: Any) -> Awaitable[Any]:
        return method(**dict(zip(names, args, strict=True)))

    return call_by_name


def _build_bind(binders: dict[str, Binder], auth: UserSource | None) -> Bind:
    """Bind every handshake source in phase order (authentication first); a mount with
    an authenticator authenticates even when no hook takes `user`."""
    steps = sorted(binders.items(), key=lambda item: item[1].phase)
    authenticate = auth.authenticate if auth is not None and "user" not in binders else None

    async def bind(scope: Scope, receive: Receive, values: Sequence[str]) -> dict[str, Any]:
        if authenticate is not None:
            await authenticate(scope)
        bound: dict[str, Any] = {}
        for name, binder in steps:
            if binder.awaits:
                bound[name] = await binder.bind(scope, receive, values)
            else:
                bound[name] = binder.bind(scope, values)
        return bound

    return bind
