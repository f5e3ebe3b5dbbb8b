"""Shared by the RealWorld example's tests: the app with test settings, and a small
driver that registers users and writes articles through the public API."""

from __future__ import annotations

from typing import Any

from examples.realworld import App, ConduitFactory
from jero.testing import TestClient

SECRET = "test-secret"


def conduit(database_url: str) -> App:
    return App(factory=ConduitFactory(database_url, secret=SECRET, password_iterations=1))


class Conduit:
    """The API as a test drives it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def register(self, name: str) -> dict[str, str]:
        """Register `name`; the `Authorization` header of the new user."""
        user = {"username": name, "email": f"{name}@example.org", "password": f"{name}-pw"}
        response = self.client.post("/api/users", json={"user": user})
        assert response.status_code == 201, response.text
        return {"Authorization": f"Token {response.json()['user']['token']}"}

    def write(self, auth: dict[str, str], title: str, tags: list[str] | None = None) -> str:
        article = {"title": title, "description": f"about {title}", "body": f"{title}!"}
        if tags is not None:
            article["tagList"] = tags  # type: ignore[assignment]
        response = self.client.post("/api/articles", json={"article": article}, headers=auth)
        assert response.status_code == 201, response.text
        return response.json()["article"]["slug"]


def errors(response: Any) -> list[str]:
    """The spec's error body, checked for shape and media type."""
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["errors"] and list(body["errors"]) == ["body"]
    return body["errors"]["body"]
