"""Form bodies (multipart with binary files) and cookie parameters in the document."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from jero import Endpoint, FilePart, FormPart
from jero.testing import TestClient
from tests.openapi_helpers import DocumentedApp, document_of, operation, parameters

MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"
BINARY = {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"}


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


class Preferences(Struct):
    theme: str


class ChunkHeaders(Struct):
    x_checksum: str
    x_note: str | None = None


class Upload(Struct, rename="camel"):
    title: Annotated[str, Meta(min_length=1)]
    avatar: FilePart
    attachments: Annotated[list[FilePart], Meta(max_length=3)] = []
    raw_bytes: bytes | None = None
    size: Size = Size.SMALL
    subscribe: bool = False
    preferences: Preferences | None = None
    chunk: FormPart[bytes, ChunkHeaders] | None = None
    label: FormPart[int] | None = None


class Receipt(Struct):
    title: str


class Rename(Struct):
    title: str
    count: int = 1


class UploadEndpoint(Endpoint, path="/uploads"):
    async def post(self, form: Upload) -> Receipt:
        return Receipt(form.title)

    async def put(self, form: Rename) -> Receipt:
        return Receipt(form.title)


class Session(Struct):
    session_id: str
    theme: Literal["light", "dark"] = "light"
    consent_id: str | None = msgspec.field(default=None, name="consent-id")


class PageEndpoint(Endpoint, path="/page"):
    async def get(self, cookies: Session) -> Receipt:
        return Receipt(cookies.session_id)


DOCUMENT = document_of(UploadEndpoint(), PageEndpoint())


def _body() -> dict[str, Any]:
    body: dict[str, Any] = operation(DOCUMENT, "post", "/uploads")["requestBody"]
    return body


def test_a_form_with_files_is_multipart() -> None:
    body = _body()
    assert body["required"] is True
    assert list(body["content"]) == [MULTIPART]


def test_a_text_form_is_multipart_or_urlencoded() -> None:
    body = operation(DOCUMENT, "put", "/uploads")["requestBody"]
    assert list(body["content"]) == [MULTIPART, URLENCODED]
    assert body["content"][URLENCODED]["schema"] == body["content"][MULTIPART]["schema"]
    assert body["content"][MULTIPART]["schema"] == {
        "type": "object",
        "properties": {"title": {"type": "string"}, "count": {"type": "integer", "default": 1}},
        "required": ["title"],
    }


def test_one_property_per_part() -> None:
    schema = _body()["content"][MULTIPART]["schema"]
    assert schema["type"] == "object"
    assert schema["required"] == ["title", "avatar"]
    properties = schema["properties"]
    assert properties["title"] == {"type": "string", "minLength": 1}
    assert properties["avatar"] == BINARY
    assert properties["attachments"] == {
        "type": "array",
        "items": BINARY,
        "maxItems": 3,
        "default": [],
    }
    # `bytes` in a form is the part's raw bytes, not base64 as in JSON.
    assert properties["rawBytes"] == BINARY
    assert properties["size"] == {"$ref": "#/components/schemas/Size", "default": "s"}
    assert properties["subscribe"] == {"type": "boolean", "default": False}
    assert properties["preferences"] == {"$ref": "#/components/schemas/Preferences"}
    assert properties["chunk"] == BINARY
    assert properties["label"] == {"type": "integer"}


def test_the_multipart_encoding_names_json_parts_and_part_headers() -> None:
    encoding = _body()["content"][MULTIPART]["encoding"]
    assert encoding == {
        "preferences": {"contentType": "application/json"},
        "chunk": {
            "headers": {
                "x-checksum": {"schema": {"type": "string"}, "required": True},
                "x-note": {"schema": {"type": "string"}, "required": False},
            }
        },
    }


def test_form_errors() -> None:
    responses = operation(DOCUMENT, "post", "/uploads")["responses"]
    assert sorted(responses) == ["200", "400", "408", "413", "415", "422", "500", "default"]
    too_large = responses["413"]["content"]["application/problem+json"]["schema"]
    # Over a size limit or over a count limit: both are `payload-too-large`.
    assert too_large == {
        "anyOf": [
            {"$ref": "#/components/schemas/OverLimitError"},
            {"$ref": "#/components/schemas/OverCountError"},
        ]
    }


def test_cookie_parameters_use_the_cookie_names_verbatim() -> None:
    found = parameters(DOCUMENT, "get", "/page")
    assert found == {
        "session_id": {
            "name": "session_id",
            "in": "cookie",
            "required": True,
            "schema": {"type": "string"},
        },
        "theme": {
            "name": "theme",
            "in": "cookie",
            "required": False,
            "schema": {"enum": ["dark", "light"], "default": "light"},
        },
        "consent-id": {
            "name": "consent-id",
            "in": "cookie",
            "required": False,
            "schema": {"type": "string"},
        },
    }
    assert sorted(operation(DOCUMENT, "get", "/page")["responses"]) == [
        "200",
        "400",
        "500",
        "default",
    ]


def test_a_documented_multipart_request_is_accepted() -> None:
    with TestClient(DocumentedApp([UploadEndpoint()])) as client:
        response = client.post(
            "/uploads",
            data={"title": "t", "preferences": '{"theme": "dark"}', "label": "3"},
            files={"avatar": ("a.png", b"\x89PNG", "image/png")},
        )
    assert response.status_code == 200
    assert response.json() == {"title": "t"}


class Trace(Struct, rename="camel"):
    x_trace: str | None  # no default: the binder requires the header, None or not


class TracedForm(Struct):
    chunk: FormPart[bytes, Trace]


class TracedEndpoint(Endpoint, path="/traced"):
    async def post(self, form: TracedForm) -> Receipt:
        return Receipt(form.chunk.headers.x_trace or "" if form.chunk.headers else "")


def test_part_headers_are_documented_as_the_binder_reads_them() -> None:
    body = operation(document_of(TracedEndpoint()), "post", "/traced")["requestBody"]
    headers = body["content"][MULTIPART]["encoding"]["chunk"]["headers"]
    assert list(headers) == ["x-trace"]  # camelCase travels dashed, as everywhere
    assert headers["x-trace"]["required"] is True
