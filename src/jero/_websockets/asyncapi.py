"""The AsyncAPI 3.0 document of an app's WebSocket routes.

OpenAPI describes request/response exchanges and has no way to say "after the
handshake, these messages flow both ways", so WebSockets get their own document:
AsyncAPI 3.0, whose channels are the socket paths (with the `ws` binding for the
handshake's query and headers) and whose operations are, from the app's side,
`receive` (the `In` messages of the `receive` hook) and `send` (the `Out` of
`WebSocket[Out]`). Each Struct of a tagged union is its own message.

`BaseApp._include_asyncapi` serves it; it is built and encoded at the first request,
when every socket is wired, and then served as those bytes.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from .._meta import EndpointMeta
from .._rendering.responses import BytesResponse
from .._routes import Endpoint
from .._types import header_wire_name, is_struct_type, struct_fields, union_members
from .wiring import SocketPlan

__all__ = ["AsyncAPIInfo", "asyncapi_endpoint", "build_asyncapi"]

_REF = "#/components/schemas/{name}"
_WS_BINDING = "0.1.0"


@dataclasses.dataclass(frozen=True, slots=True)
class AsyncAPIInfo:
    title: str
    version: str
    description: str | None = None


def build_asyncapi(plans: Iterable[SocketPlan], info: AsyncAPIInfo) -> dict[str, Any]:
    plans = list(plans)
    types_used = [t for p in plans for t in _message_types(p)]
    structs = [t for t in types_used if is_struct_type(t)]
    structs += [s for p in plans for s in _binding_structs(p)]
    _, schemas = msgspec.json.schema_components(dict.fromkeys(structs), ref_template=_REF)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    security_schemes: dict[str, Any] = {}
    for plan in plans:
        name = plan.owner.__name__
        channel, messages = _channel(plan, schemas)
        channels[name] = channel
        security = _security(plan, security_schemes)
        for action, key in (("receive", "in_type"), ("send", "out_type")):
            ids = messages[key]
            if not ids:
                continue
            operation: dict[str, Any] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{name}"},
                "messages": [{"$ref": f"#/channels/{name}/messages/{i}"} for i in ids],
            }
            if security:
                operation["security"] = security
            operations[f"{name}.{action}"] = operation
    info_object: dict[str, Any] = {"title": info.title, "version": info.version}
    if info.description:
        info_object["description"] = info.description
    components: dict[str, Any] = {"schemas": schemas}
    if security_schemes:
        components["securitySchemes"] = security_schemes
    return {
        "asyncapi": "3.0.0",
        "info": info_object,
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": components,
    }


def _message_types(plan: SocketPlan) -> list[Any]:
    found: list[Any] = []
    for tp in (plan.in_type, plan.out_type):
        if tp is not None:
            found.extend(union_members(tp))
    return found


def _binding_structs(plan: SocketPlan) -> list[Any]:
    return [plan.sources[n] for n in ("params",) if n in plan.sources]


def _channel(
    plan: SocketPlan, schemas: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    channel: dict[str, Any] = {"address": plan.path}
    if plan.owner.summary:
        channel["summary"] = plan.owner.summary
    if plan.owner.__doc__:
        channel["description"] = plan.owner.__doc__.strip()
    if plan.template.slots:
        channel["parameters"] = {slot: {} for slot in plan.template.slots}
    messages: dict[str, Any] = {}
    ids: dict[str, list[str]] = {"in_type": [], "out_type": []}
    send_type = "application/msgpack" if plan.owner.encoding == "msgpack" else "application/json"
    for key, content_type in (("in_type", "application/json"), ("out_type", send_type)):
        tp = getattr(plan, key)
        if tp is None:
            continue
        for member in union_members(tp):
            message = _message(member, content_type)
            ident = message["name"]
            messages.setdefault(ident, message)
            ids[key].append(ident)
    channel["messages"] = messages
    binding = _ws_binding(plan)
    if binding:
        channel["bindings"] = {"ws": {**binding, "bindingVersion": _WS_BINDING}}
    return channel, ids


def _message(tp: Any, content_type: str) -> dict[str, Any]:
    if tp is bytes:
        return {
            "name": "bytes",
            "contentType": "application/octet-stream",
            "payload": {"type": "string", "format": "binary"},
        }
    if tp is str:
        return {"name": "text", "contentType": "text/plain", "payload": {"type": "string"}}
    return {
        "name": tp.__name__,
        "contentType": content_type,
        "payload": {"$ref": _REF.format(name=tp.__name__)},
    }


def _ws_binding(plan: SocketPlan) -> dict[str, Any]:
    binding: dict[str, Any] = {}
    params = plan.sources.get("params")
    if params is not None:
        binding["query"] = {"$ref": _REF.format(name=params.__name__)}
    headers = plan.sources.get("headers")
    if headers is not None:
        binding["headers"] = _headers_schema(headers)
    return binding


def _headers_schema(struct: type[msgspec.Struct]) -> dict[str, Any]:
    """The headers Struct as an object schema keyed by wire names (`x-client`)."""
    (schema,), defs = msgspec.json.schema_components([struct], ref_template="{name}")
    body = defs.get(schema.get("$ref", ""), schema)
    wire = {f.encode_name: header_wire_name(f.encode_name) for f in struct_fields(struct)}
    properties = {wire.get(k, k): v for k, v in body.get("properties", {}).items()}
    result: dict[str, Any] = {"type": "object", "properties": properties}
    required = [wire.get(k, k) for k in body.get("required", [])]
    if required:
        result["required"] = required
    return result


def _security(plan: SocketPlan, schemes: dict[str, Any]) -> list[dict[str, Any]]:
    auth = plan.auth
    if auth is None:
        return []
    authenticator = getattr(auth, "authenticator", None)
    name = type(authenticator).__name__ if authenticator is not None else "auth"
    scheme = getattr(auth, "scheme", None)
    if isinstance(scheme, str):
        schemes[name] = {"type": "http", "scheme": scheme.lower()}
    else:
        schemes[name] = {"type": "httpApiKey", "in": "header", "name": "authorization"}
    return [{"$ref": f"#/components/securitySchemes/{name}"}]


class AsyncAPIDocument(Endpoint, meta=EndpointMeta(hidden=True)):
    """Serves the document, built and encoded once when `_wire` returns
    (`publish_asyncapi`), so a socket it cannot describe fails the startup, not a request."""

    def __init__(self, plans: Callable[[], list[SocketPlan]], info: AsyncAPIInfo) -> None:
        self.plans = plans
        self.info = info
        self.response = BytesResponse(b"", media_type="application/json")

    async def get(self) -> BytesResponse:
        return self.response


def publish_asyncapi(document: AsyncAPIDocument) -> None:
    """Build and encode the document of every socket included by now."""
    encoded = msgspec.json.encode(build_asyncapi(document.plans(), document.info))
    document.response = BytesResponse(encoded, media_type="application/json")


def asyncapi_endpoint(
    path: str, plans: Callable[[], list[SocketPlan]], info: AsyncAPIInfo
) -> AsyncAPIDocument:
    """The hidden endpoint serving the document at `path`."""
    cls: type[AsyncAPIDocument] = types.new_class(
        "AsyncAPIDocument", (AsyncAPIDocument,), {"path": path}
    )
    return cls(plans, info)
