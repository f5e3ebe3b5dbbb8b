"""Build an app around some route objects and read its OpenAPI document."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from jero import BaseApp, Endpoint, Resource
from jero.testing import TestClient
from tests.routes_app import include


class DocumentedApp(BaseApp):
    def __init__(self, routes: list[Resource | Endpoint], **openapi: Any) -> None:
        super().__init__()
        self.routes = routes
        self.openapi = {"title": "Test", "version": "1", **openapi}

    async def _wire(self) -> None:
        for route in self.routes:
            include(self, route)
        self._include_openapi(**self.openapi)


def document_of(*routes: Resource | Endpoint, **openapi: Any) -> dict[str, Any]:
    """The served document, checked against the OpenAPI 3.1 specification."""
    with TestClient(DocumentedApp(list(routes), **openapi)) as client:
        response = client.get(openapi.get("path", "/openapi.json"))
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    validate(document)
    return document


def wire_document(*routes: Resource | Endpoint, **openapi: Any) -> None:
    """Start the app (raising what wiring raises) without reading anything."""
    with TestClient(DocumentedApp(list(routes), **openapi)):
        pass


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method]
    return found


def parameters(document: dict[str, Any], method: str, path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in operation(document, method, path).get("parameters", [])}


def component(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][name]
    return found


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow one `$ref`."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return component(document, ref.removeprefix("#/components/schemas/"))
