"""Build an app around some route objects and read its OpenAPI document."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from jero import BaseApp, Endpoint, Resource
from jero.testing import TestClient
from tests.routes_app import boot, include

PROBLEM = "application/problem+json"


class DocumentedApp(BaseApp):
    def __init__(self, routes: list[Resource | Endpoint], **openapi: Any) -> None:
        super().__init__()
        self.routes = routes
        self.openapi = {"title": "Test", "version": "1", **openapi}

    async def _wire(self) -> None:
        for route in self.routes:
            include(self, route)
        self._include_openapi(**self.openapi)


def served_document(app: BaseApp, path: str = "/openapi.json") -> dict[str, Any]:
    """The document `app` serves at `path`, checked against the OpenAPI 3.1 specification."""
    with TestClient(app) as client:
        response = client.get(path)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    validate(document)
    return document


def document_of(*routes: Resource | Endpoint, **openapi: Any) -> dict[str, Any]:
    """The document served by an app of `routes` (`openapi` goes to `_include_openapi`)."""
    app = DocumentedApp(list(routes), **openapi)
    return served_document(app, openapi.get("path", "/openapi.json"))


def wire_document(*routes: Resource | Endpoint, **openapi: Any) -> None:
    """Start the app (raising what wiring raises) without reading anything."""
    boot(DocumentedApp(list(routes), **openapi))


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method]
    return found


def parameters(document: dict[str, Any], method: str, path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in operation(document, method, path).get("parameters", [])}


def component(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][name]
    return found


def with_components(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with the document's components beside it, for jsonschema to follow `$ref`s."""
    return {**schema, "components": document["components"]}


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow one `$ref`."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return component(document, ref.removeprefix("#/components/schemas/"))


def problem_schemas(document: dict[str, Any], response: dict[str, Any]) -> list[dict[str, Any]]:
    """The problem schemas a documented response offers (its union's members), resolved."""
    schema = response["content"][PROBLEM]["schema"]
    members = schema.get("oneOf") or schema.get("anyOf") or [schema]
    return [resolve(document, member) for member in members]
