"""`jero openapi`: the app's OpenAPI document, exactly as it serves it, as JSON or YAML."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import msgspec

from .framework import AnyApp, Message, openapi_paths
from .lifespan import started


class NoDocumentError(Exception):
    """The app does not include OpenAPI, or did not serve its document."""


async def served_document(app: AnyApp) -> bytes:
    """Start the app, GET its document in-process (the very bytes a client gets), stop."""
    async with started(app):
        paths = openapi_paths(app)
        if paths is None:
            raise NoDocumentError(
                f"{type(app).__qualname__} does not include OpenAPI; call "
                f"self._include_openapi(title=..., version=...) in its _wire"
            )
        status, body = await _get(app, paths.document)
    if status != 200:
        raise NoDocumentError(f"GET {paths.document} answered {status}, not the document")
    return body


def as_json(document: bytes) -> bytes:
    """Indented for reading and diffing; the same document."""
    return msgspec.json.format(document, indent=2) + b"\n"


def yaml_dumper() -> Callable[[Any], str] | None:
    """PyYAML's `safe_dump` when it is installed (the `jero[yaml]` extra)."""
    try:
        yaml = importlib.import_module("yaml")
    except ImportError:
        return None
    safe_dump: Callable[..., str] = yaml.safe_dump

    def dump(document: Any) -> str:
        return safe_dump(document, sort_keys=False, allow_unicode=True)

    return dump


def as_yaml(document: bytes, dump: Callable[[Any], str]) -> bytes:
    return dump(msgspec.json.decode(document)).encode()


async def _get(app: AnyApp, path: str) -> tuple[int, bytes]:
    """One GET through the app's own request path, with no server and no socket."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"jero-cli")],
        "client": None,
        "server": None,
        "state": {},
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(int(m["status"]) for m in sent if m["type"] == "http.response.start")
    body = b"".join(bytes(m.get("body", b"")) for m in sent if m["type"] == "http.response.body")
    return status, body
