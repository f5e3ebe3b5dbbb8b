"""Serving the document and the docs page.

`BaseApp._include_openapi` creates an `OpenAPISite`: two hidden endpoints (the document
and the docs page) whose bytes are filled by `publish` once `_wire` has included every
route, then served as they are.
"""

from __future__ import annotations

import posixpath
import types
from collections.abc import Iterable

import msgspec

from .._errors_format import AppErrors
from .._meta import EndpointMeta
from .._plan import HandlerPlan
from .._rendering.responses import BytesResponse
from .._routes import Endpoint
from .document import DocumentInfo, build_document
from .pages import DocsPage


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

    def routes(self) -> list[Endpoint]:
        return [self.document] if self.page is None else [self.document, self.page]

    def publish(self, plans: Iterable[HandlerPlan], errors: AppErrors | None = None) -> None:
        """Build and encode the document once; from now on it is served as these bytes.
        `errors` is how the app answers errors (format, statuses), which it documents."""
        encoded = msgspec.json.encode(build_document(plans, self.info, errors))
        self.document.response = BytesResponse(encoded, media_type="application/json")
        if self.page is not None and self.docs_path is not None:
            url = relative_url(self.docs_path, self.path)
            html = self.docs.render(self.info.title, url)
            self.page.response = BytesResponse(html, media_type="text/html; charset=utf-8")


def relative_url(page_path: str, target_path: str) -> str:
    """`target_path` relative to the page, so a `root_path` prefix keeps working."""
    return posixpath.relpath(target_path, posixpath.dirname(page_path))
