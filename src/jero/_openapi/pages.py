"""The interactive documentation page: Swagger UI or Scalar, rendered once at wiring.

Both load their script (and stylesheet) from a CDN by default; every URL is a field, so
an offline deployment points them at copies it serves itself.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["DocsPage", "Scalar", "SwaggerUI"]

SWAGGER_UI_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"
SCALAR_CDN = "https://cdn.jsdelivr.net/npm/@scalar/api-reference@1"


class DocsPage(Protocol):
    """Anything that renders the docs page for a document title and document URL."""

    def render(self, title: str, document_url: str) -> bytes: ...


def _script_json(value: object) -> str:
    """JSON safe to inline in a <script>: no `</script>` or `<!--` can close it early."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")


def _page(title: str, head: str, body: str) -> bytes:
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n{head}</head>\n<body>\n{body}</body>\n</html>\n"
    ).encode()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SwaggerUI:
    """Swagger UI. `config` adds to (or overrides) the options passed to `SwaggerUIBundle`."""

    js_url: str = f"{SWAGGER_UI_CDN}/swagger-ui-bundle.js"
    css_url: str = f"{SWAGGER_UI_CDN}/swagger-ui.css"
    config: Mapping[str, Any] = dataclasses.field(default_factory=dict[str, Any])

    def render(self, title: str, document_url: str) -> bytes:
        options = {
            "url": document_url,
            "dom_id": "#swagger-ui",
            "deepLinking": True,
            "displayOperationId": True,
            **self.config,
        }
        head = f'<link rel="stylesheet" href="{html.escape(self.css_url)}">\n'
        body = (
            '<div id="swagger-ui"></div>\n'
            f'<script src="{html.escape(self.js_url)}"></script>\n'
            f"<script>window.ui = SwaggerUIBundle({_script_json(options)});</script>\n"
        )
        return _page(title, head, body)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Scalar:
    """Scalar's API reference. `config` adds to the options of `createApiReference`."""

    js_url: str = SCALAR_CDN
    config: Mapping[str, Any] = dataclasses.field(default_factory=dict[str, Any])

    def render(self, title: str, document_url: str) -> bytes:
        options = {"url": document_url, **self.config}
        body = (
            '<div id="app"></div>\n'
            f'<script src="{html.escape(self.js_url)}"></script>\n'
            f"<script>Scalar.createApiReference('#app', {_script_json(options)});</script>\n"
        )
        return _page(title, "", body)


DEFAULT_DOCS_PAGE: DocsPage = SwaggerUI()
