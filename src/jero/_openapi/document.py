"""The OpenAPI 3.1 document of a set of wired handlers.

Building it is where the shape checks only OpenAPI needs happen, so a route the
document cannot describe fails the boot with a `WiringError`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._errors import WiringError
from .._errors_format import AppErrors
from .._meta import EndpointMeta, merge_meta
from .._plan import HandlerPlan
from .._routes import Endpoint, Resource
from .context import OperationContext
from .forms import file_part_schema
from .operations import build_operation
from .schema import SchemaBook, SchemaHook, chain_hooks
from .security import SecuritySchemes

OPENAPI_VERSION = "3.1.0"

type Server = str | Mapping[str, Any]
"""A server URL, or a whole OpenAPI Server Object (`{"url": ..., "description": ...}`)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DocumentInfo:
    """The document-level settings `_include_openapi` takes."""

    title: str
    version: str
    description: str | None = None
    servers: Sequence[Server] = ()
    docstrings: bool = False
    """Publish handler docstrings as summary (first paragraph) and description (the rest)."""
    schema_hook: SchemaHook | None = None
    """msgspec's hook for custom types: `type -> JSON Schema dict`."""


def build_document(
    plans: Iterable[HandlerPlan], info: DocumentInfo, errors: AppErrors | None = None
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `plans`, in wiring order; error responses as `errors`
    answers them (RFC 9457 problem details when None)."""
    book = SchemaBook(chain_hooks(file_part_schema, info.schema_hook))
    security = SecuritySchemes()
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: dict[str, str] = {}
    tags: dict[str, None] = {}
    for plan in plans:
        owner = plan.owner
        if not issubclass(owner, Resource | Endpoint):
            continue
        name = plan.operation.name
        docs = merge_meta(owner.route_meta, owner.operation_meta.get(name))
        if docs.hidden:
            continue
        where = f"{owner.__qualname__}.{name}"
        operation = build_operation(
            OperationContext(plan, docs, book, security, where, errors), info.docstrings
        )
        operation_id: str = operation["operationId"]
        if operation_id in operation_ids:
            raise WiringError(
                f"{where}: operationId {operation_id!r} is already used by "
                f"{operation_ids[operation_id]}; give one of them "
                f"OperationMeta(operation_id=...)"
            )
        operation_ids[operation_id] = where
        tags.update(dict.fromkeys(docs.tags))
        item = paths.setdefault(plan.path, {})
        if isinstance(owner.route_meta, EndpointMeta):
            _describe_path(item, owner.route_meta)
        item[plan.http_method.lower()] = operation
    schemas = book.resolve()
    document: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": _info(info)}
    if info.servers:
        document["servers"] = [
            {"url": server} if isinstance(server, str) else dict(server) for server in info.servers
        ]
    if tags:
        document["tags"] = [{"name": tag} for tag in tags]
    document["paths"] = paths
    document["components"] = {"schemas": schemas}
    if security.schemes:
        document["components"]["securitySchemes"] = security.schemes
    return document


def _info(info: DocumentInfo) -> dict[str, Any]:
    found: dict[str, Any] = {"title": info.title, "version": info.version}
    if info.description:
        found["description"] = info.description
    return found


def _describe_path(item: dict[str, Any], meta: EndpointMeta) -> None:
    if meta.summary:
        item.setdefault("summary", meta.summary)
    if meta.description:
        item.setdefault("description", meta.description)
