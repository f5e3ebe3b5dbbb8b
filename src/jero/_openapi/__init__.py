"""The OpenAPI 3.1 document, derived from the wired handlers' types, and its docs page."""

from .document import DocumentInfo, Server, build_document
from .pages import DEFAULT_DOCS_PAGE, DocsPage, Scalar, SwaggerUI
from .schema import SchemaHook
from .site import OpenAPISite

__all__ = [
    "DEFAULT_DOCS_PAGE",
    "DocsPage",
    "DocumentInfo",
    "OpenAPISite",
    "Scalar",
    "SchemaHook",
    "Server",
    "SwaggerUI",
    "build_document",
]
