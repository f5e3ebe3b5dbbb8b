"""The OpenAPI 3.1 document, built once at wiring from the wired handlers, and served.

`BaseApp._include_openapi` creates an `OpenAPISite`: two hidden endpoints (the document
and the docs page) whose bytes are filled by `publish` once `_wire` has included every
route. Building the document is where the shape checks only OpenAPI needs happen, so a
route the document cannot describe fails the boot with a `WiringError`.
"""

from __future__ import annotations

import dataclasses
import posixpath
import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from ._errors import WiringError
from ._meta import EndpointMeta, merge_meta
from ._openapi_docs import DocsPage
from ._openapi_routes import OperationInput, build_operation
from ._openapi_schema import SchemaBook, SchemaHook
from ._openapi_security import SecuritySchemes
from ._responses import BytesResponse
from ._routes import Endpoint, Resource
from ._wiring import HandlerPlan

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


def build_document(plans: Iterable[HandlerPlan], info: DocumentInfo) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `plans`, in wiring order."""
    book = SchemaBook(info.schema_hook)
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
            OperationInput(plan, docs, book, security, where), info.docstrings
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


# --- serving ---------------------------------------------------------------------------


class _PrebuiltBytes(Endpoint, meta=EndpointMeta(hidden=True)):
    """Serves bytes built at wiring, as they are; a subclass per path gives `path=`."""

    def __init__(self) -> None:
        self.response = BytesResponse(b"")

    async def get(self) -> BytesResponse:
        return self.response


def _prebuilt(name: str, path: str) -> _PrebuiltBytes:
    cls: type[_PrebuiltBytes] = types.new_class(name, (_PrebuiltBytes,), {"path": path})
    return cls()


class OpenAPISite:
    """The document endpoint and the docs page, filled by `publish` at the end of wiring."""

    def __init__(
        self, info: DocumentInfo, path: str, docs_path: str | None, docs: DocsPage
    ) -> None:
        self.info = info
        self.path = path
        self.document = _prebuilt("OpenAPIDocument", path)
        self.docs = docs
        self.docs_path = docs_path
        self.page = _prebuilt("OpenAPIDocsPage", docs_path) if docs_path is not None else None
        self.encoded = b""

    def routes(self) -> list[Endpoint]:
        return [self.document] if self.page is None else [self.document, self.page]

    def publish(self, plans: Iterable[HandlerPlan]) -> None:
        """Build and encode the document once; from now on it is served as these bytes."""
        self.encoded = msgspec.json.encode(build_document(plans, self.info))
        self.document.response = BytesResponse(self.encoded, media_type="application/json")
        if self.page is not None and self.docs_path is not None:
            url = relative_url(self.docs_path, self.path)
            html = self.docs.render(self.info.title, url)
            self.page.response = BytesResponse(html, media_type="text/html; charset=utf-8")


def relative_url(page_path: str, target_path: str) -> str:
    """`target_path` relative to the page, so a `root_path` prefix keeps working."""
    return posixpath.relpath(target_path, posixpath.dirname(page_path))
