"""`form: S`: multipart and urlencoded bodies bound to a Struct, part by part."""

import datetime
import enum
import uuid
from typing import Annotated, Any, Literal

import httpx
import msgspec
import pytest

from jero import (
    BaseApp,
    Endpoint,
    FilePart,
    FormPart,
    Limits,
    NoContent,
    RawHeaders,
    Resource,
    WiringError,
)
from jero.testing import TestClient
from tests.forms_support import BOUNDARY, CONTENT_TYPE, body, part
from tests.routes_app import app_of, boot, wiring_error_of


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Scalars(msgspec.Struct):
    name: str
    count: int
    ratio: float
    active: bool
    color: Color
    level: Level
    size: Literal["s", "m"]
    when: datetime.date
    ident: uuid.UUID
    positive: Annotated[int, msgspec.Meta(ge=1)] = 1


class Echo(msgspec.Struct):
    values: dict[str, Any]


def _plain(value: Any) -> Any:
    if isinstance(value, FilePart):
        return {"file": value.filename, "size": value.size, "type": value.content_type}
    if isinstance(value, FormPart):
        fp: FormPart[Any, Any] = value
        return {
            "value": _plain(fp.value),
            "type": fp.content_type,
            "headers": msgspec.to_builtins(fp.headers),
            "raw": dict(fp.raw_headers),
        }
    if isinstance(value, bytes):
        return {"bytes": value.decode("latin-1")}
    if isinstance(value, list):
        return [_plain(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return msgspec.to_builtins(value)


def _echo(form: msgspec.Struct) -> Echo:
    return Echo({f: _plain(getattr(form, f)) for f in form.__struct_fields__})


def app_for(form_type: Any, limits: Limits | None = None) -> BaseApp:
    class FormEndpoint(Endpoint, path="/form"):
        async def post(self, form: form_type) -> Echo:  # pyright: ignore[reportInvalidTypeForm]
            return _echo(form)

    return app_of(FormEndpoint(), limits=limits)


def post_form(form_type: Any, limits: Limits | None = None, **request: Any) -> httpx.Response:
    """POST /form (with httpx's request arguments) to an app binding `form: form_type`."""
    with TestClient(app_for(form_type, limits)) as client:
        return client.post("/form", **request)


def post_multipart(
    form_type: Any, payload: bytes, limits: Limits | None = None, **headers: str
) -> httpx.Response:
    """POST /form a hand-built multipart `payload` to an app binding `form: form_type`."""
    headers = {"content-type": CONTENT_TYPE, **headers}
    return post_form(form_type, limits, content=payload, headers=headers)


SCALARS = {
    "name": "Ada",
    "count": "3",
    "ratio": "0.5",
    "active": "true",
    "color": "blue",
    "level": "2",
    "size": "m",
    "when": "2024-02-29",
    "ident": "12345678-1234-5678-1234-567812345678",
}
SCALARS_BOUND = {**SCALARS, "count": 3, "ratio": 0.5, "active": True, "level": 2, "positive": 1}


# --- scalars, both encodings ------------------------------------------------------------


def test_urlencoded_scalars_convert_from_text() -> None:
    response = post_form(Scalars, data=SCALARS)
    assert response.status_code == 200
    assert response.json() == {"values": SCALARS_BOUND}


def test_multipart_scalars_convert_from_text() -> None:
    response = post_form(Scalars, data=SCALARS, files={"unused": ("u.txt", b"x")})
    assert response.status_code == 200
    assert response.json() == {"values": SCALARS_BOUND}


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("count", "three", "Expected `int`, got `str` - at `$.count`"),
        ("color", "green", "Invalid enum value - at `$.color`"),
        ("size", "xl", "Invalid enum value - at `$.size`"),
        ("positive", "0", "Expected `int` >= 1 - at `$.positive`"),
        ("when", "yesterday", "Invalid RFC3339 encoded date - at `$.when`"),
    ],
)
def test_a_part_failing_its_type_is_422_without_the_value(
    field: str, value: str, reason: str
) -> None:
    response = post_form(Scalars, data={**SCALARS, field: value})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "validation-failed",
        "title": "Validation failed",
        "status": 422,
        "detail": f"Invalid form: {reason}",
        "params": {"source": "form", "reason": reason},
    }
    assert value not in response.text


def test_a_missing_required_part_is_422() -> None:
    data = {k: v for k, v in SCALARS.items() if k != "count"}
    response = post_form(Scalars, data=data)
    assert response.status_code == 422
    assert response.json()["detail"] == "Invalid form: Object missing required field `count`"


class Checkbox(msgspec.Struct):
    agree: bool = False
    notes: str = ""


def test_a_checked_checkbox_sends_on_and_an_unchecked_one_nothing() -> None:
    with TestClient(app_for(Checkbox)) as client:
        checked = client.post("/form", data={"agree": "on"})
        unchecked = client.post("/form", data={"notes": ""})
    assert checked.json() == {"values": {"agree": True, "notes": ""}}
    assert unchecked.json() == {"values": {"agree": False, "notes": ""}}


class Renamed(msgspec.Struct, rename="camel"):
    first_name: str
    tag_list: list[str] = []


def test_rename_maps_field_names_to_part_names() -> None:
    response = post_form(Renamed, data={"firstName": "Ada", "tagList": ["a", "b"]})
    assert response.json() == {"values": {"first_name": "Ada", "tag_list": ["a", "b"]}}


def test_urlencoded_values_are_percent_decoded_utf8() -> None:
    response = post_form(
        Renamed,
        content=b"firstName=Jos%C3%A9+Mar%C3%ADa&unknown=1",
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert response.json() == {"values": {"first_name": "José María", "tag_list": []}}


# --- bytes, JSON parts, lists, optional -------------------------------------------------


class Settings(msgspec.Struct):
    theme: str
    width: int = 80


class Mixed(msgspec.Struct):
    blob: bytes
    settings: Settings
    history: list[Settings] = []
    tags: list[str] = []
    numbers: Annotated[list[int], msgspec.Meta(max_length=3)] = []
    note: str | None = None
    limit: int | None = None


def test_bytes_json_parts_and_repeats() -> None:
    payload = body(
        part("blob", b"\x00\xff raw", content_type="application/octet-stream"),
        part("settings", '{"theme": "dark"}', content_type="application/json"),
        part("history", '{"theme": "a", "width": 1}'),
        part("history", '{"theme": "b"}'),
        part("tags", "x"),
        part("tags", "y"),
        part("numbers", "7"),
        part("ignored", "whatever"),
    )
    response = post_multipart(Mixed, payload)
    assert response.status_code == 200
    assert response.json() == {
        "values": {
            "blob": {"bytes": "\x00\xff raw"},
            "settings": {"theme": "dark", "width": 80},
            "history": [{"theme": "a", "width": 1}, {"theme": "b", "width": 80}],
            "tags": ["x", "y"],
            "numbers": [7],
            "note": None,
            "limit": None,
        }
    }


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        (
            [part("blob", "b"), part("settings", '{"theme": 1}')],
            "Expected `str`, got `int` - at `$.settings.theme`",
        ),
        ([part("blob", "b"), part("settings", "{not json")], "JSON is malformed: "),
        (
            [
                part("blob", "b"),
                part("settings", '{"theme": "t"}'),
                part("history", '{"theme": "t"}'),
                part("history", '{"width": 2}'),
            ],
            "Object missing required field `theme` - at `$.history[1]`",
        ),
        (
            [part("blob", "b"), part("settings", '{"theme": "t"}')]
            + [part("numbers", str(n)) for n in range(4)],
            "Expected `array` of length <= 3 - at `$.numbers`",
        ),
        (
            [part("blob", "b"), part("settings", '{"theme": "t"}'), part("limit", "x")],
            "Expected `int`, got `str` - at `$.limit`",
        ),
    ],
)
def test_json_and_list_failures_are_422_with_their_path(parts: list[bytes], reason: str) -> None:
    response = post_multipart(Mixed, body(*parts))
    assert response.status_code == 422
    assert response.json()["params"]["reason"].startswith(reason)


def test_text_parts_honour_their_charset_and_reject_bad_text() -> None:
    class Text(msgspec.Struct):
        text: str

    good = body(part("text", "café".encode("latin-1"), content_type="text/plain; charset=latin-1"))
    bad = body(part("text", b"\xff\xfe"))
    unknown = body(part("text", b"x", content_type="text/plain; charset=nope"))
    with TestClient(app_for(Text)) as client:
        headers = {"content-type": CONTENT_TYPE}
        assert client.post("/form", content=good, headers=headers).json() == {
            "values": {"text": "café"}
        }
        rejected = client.post("/form", content=bad, headers=headers)
        unknown_charset = client.post("/form", content=unknown, headers=headers)
    assert rejected.status_code == 422
    assert rejected.json()["params"]["reason"] == "The part is not valid utf-8 text - at `$.text`"
    assert unknown_charset.status_code == 422


# --- files ------------------------------------------------------------------------------


class Upload(msgspec.Struct):
    title: str
    file: FilePart
    extras: list[FilePart] = []
    avatar: FilePart | None = None


def test_file_parts_carry_their_metadata() -> None:
    response = post_form(
        Upload,
        data={"title": "t"},
        files=[
            ("file", ("report.pdf", b"%PDF-1.7 ...", "application/pdf")),
            ("extras", ("a.txt", b"a", "text/plain")),
            ("extras", ("b.txt", b"bb", "text/plain")),
        ],
    )
    assert response.status_code == 200
    assert response.json() == {
        "values": {
            "title": "t",
            "file": {"file": "report.pdf", "size": 12, "type": "application/pdf"},
            "extras": [
                {"file": "a.txt", "size": 1, "type": "text/plain"},
                {"file": "b.txt", "size": 2, "type": "text/plain"},
            ],
            "avatar": None,
        }
    }


@pytest.mark.parametrize("filename", ["", None])
def test_an_empty_file_input_counts_as_no_file(filename: str | None) -> None:
    payload = body(
        part("title", "t"),
        part("file", b"content", filename="f.bin"),
        part("avatar", b"", filename=filename, content_type="application/octet-stream"),
    )
    with TestClient(app_for(Upload)) as client:
        response = client.post("/form", content=payload, headers={"content-type": CONTENT_TYPE})
        urlencoded = client.post("/form", data={"title": "t", "avatar": ""})
    assert response.json()["values"]["avatar"] is None
    # An urlencoded body carries no files: the empty avatar is absent, the file missing.
    assert urlencoded.json()["detail"] == "Invalid form: Object missing required field `file`"


def test_an_empty_file_with_a_filename_is_a_file() -> None:
    payload = body(part("title", "t"), part("file", b"", filename="empty.txt"))
    response = post_multipart(Upload, payload)
    assert response.json()["values"]["file"] == {"file": "empty.txt", "size": 0, "type": None}


def test_a_missing_file_is_422() -> None:
    response = post_form(Upload, data={"title": "t"}, files={"other": ("x", b"x")})
    assert response.status_code == 422
    assert response.json()["detail"] == "Invalid form: Object missing required field `file`"


def test_an_urlencoded_value_for_a_file_field_is_422_naming_it() -> None:
    response = post_form(Upload, data={"title": "t", "file": "inline"})
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "Invalid form: Expected a file part (one with a filename), got a text part - at `$.file`"
    )


class Reader(msgspec.Struct):
    file: FilePart


class ReadResult(msgspec.Struct):
    whole: str
    head: str
    rest: str
    chunks: list[int]
    headers: dict[str, str]
    in_memory: bool


class ReadEndpoint(Endpoint, path="/read"):
    async def post(self, form: Reader) -> ReadResult:
        file = form.file
        whole = await file.read()
        file.seek(0)
        head = await file.read(4)
        rest = await file.read()
        file.seek(0)
        chunks = [len(chunk) async for chunk in file]
        return ReadResult(
            whole.decode(),
            head.decode(),
            rest.decode(),
            chunks,
            dict(file.headers),
            file.in_memory,
        )


@pytest.mark.parametrize("threshold", [1024 * 1024, 4])
def test_file_part_reads_the_same_from_memory_and_from_disk(threshold: int) -> None:
    payload = body(
        part(
            "file",
            "hello world",
            filename="h.txt",
            content_type="text/plain",
            headers=[("X-Tag", "1")],
        )
    )
    with TestClient(app_of(ReadEndpoint(), limits=Limits(spool_threshold=threshold))) as client:
        response = client.post("/read", content=payload, headers={"content-type": CONTENT_TYPE})
    assert response.status_code == 200
    assert response.json() == {
        "whole": "hello world",
        "head": "hell",
        "rest": "o world",
        "chunks": [11],
        "headers": {
            "content-disposition": 'form-data; name="file"; filename="h.txt"',
            "content-type": "text/plain",
            "x-tag": "1",
        },
        "in_memory": threshold > 11,
    }


def test_file_part_from_bytes_serves_unit_tests() -> None:
    import anyio

    part_ = FilePart.from_bytes(b"abc", filename="a.txt", content_type="text/plain")

    async def read() -> bytes:
        return await part_.read()

    assert anyio.run(read) == b"abc"
    assert (part_.filename, part_.content_type, part_.size, part_.in_memory) == (
        "a.txt",
        "text/plain",
        3,
        True,
    )
    assert repr(part_) == "FilePart(name='', filename='a.txt', content_type='text/plain', size=3)"
    with pytest.raises(ValueError, match=">= 0"):
        part_.seek(-1)


# --- FormPart ---------------------------------------------------------------------------


class Checksum(msgspec.Struct):
    x_checksum: int
    x_origin: str = "unknown"


class Described(msgspec.Struct):
    doc: FormPart[bytes, Checksum]
    meta: FormPart[Settings]
    labels: list[FormPart[str]] = []
    maybe: FormPart[int] | None = None


def test_form_part_gives_value_content_type_and_typed_headers() -> None:
    payload = body(
        part(
            "doc",
            b"data",
            filename="d.bin",
            content_type="application/x-thing",
            headers=[("X-Checksum", "42")],
        ),
        part("meta", '{"theme": "t"}', content_type="application/json"),
        part("labels", "one"),
        part("labels", "two", headers=[("X-Extra", "e")]),
    )
    response = post_multipart(Described, payload)
    assert response.status_code == 200
    values = response.json()["values"]
    assert values["doc"] == {
        "value": {"bytes": "data"},
        "type": "application/x-thing",
        "headers": {"x_checksum": 42, "x_origin": "unknown"},
        "raw": {
            "content-disposition": 'form-data; name="doc"; filename="d.bin"',
            "content-type": "application/x-thing",
            "x-checksum": "42",
        },
    }
    assert values["meta"]["value"] == {"theme": "t", "width": 80}
    assert values["meta"]["headers"] is None
    assert [label["value"] for label in values["labels"]] == ["one", "two"]
    assert values["labels"][1]["raw"]["x-extra"] == "e"
    assert values["maybe"] is None


def test_form_part_headers_failing_their_type_are_422() -> None:
    payload = body(
        part("doc", b"data", headers=[("X-Checksum", "nope")]),
        part("meta", '{"theme": "t"}'),
    )
    response = post_multipart(Described, payload)
    assert response.status_code == 422
    assert response.json()["params"]["reason"] == (
        "Expected `int`, got `str` - at `$.doc.x_checksum` (in the part headers)"
    )


def test_form_part_can_be_built_by_hand() -> None:
    built = FormPart(3, content_type="text/plain", raw_headers=RawHeaders({"X-A": "1"}))
    assert (built.value, built.content_type, built.headers, built.raw_headers["x-a"]) == (
        3,
        "text/plain",
        None,
        "1",
    )
    assert "value=3" in repr(built)


# --- media types ------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain"])
def test_a_body_of_another_type_is_415(content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = post_form(Checkbox, content=b"{}", headers=headers)
    assert response.status_code == 415
    assert response.json()["params"] == {
        "expected": "multipart/form-data or application/x-www-form-urlencoded",
        "received": content_type or "none",
    }


def test_multipart_without_a_boundary_is_400() -> None:
    response = post_form(
        Checkbox, content=b"--x--\r\n", headers={"content-type": "multipart/form-data"}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == ("Invalid headers: multipart/form-data without a boundary")


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"no boundary anywhere",
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx'.encode(),
        f"--{BOUNDARY}\r\nbroken header\r\n\r\nx\r\n--{BOUNDARY}--".encode(),
        f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{BOUNDARY}--".encode(),
    ],
    ids=["empty", "no-delimiter", "truncated", "header-without-colon", "no-disposition"],
)
def test_malformed_multipart_is_400(payload: bytes) -> None:
    response = post_multipart(Checkbox, payload)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Invalid form: malformed multipart body (")


def test_a_preamble_and_an_epilogue_are_ignored() -> None:
    payload = b"preamble text\r\n" + body(part("notes", "n")) + b"epilogue"
    response = post_multipart(Checkbox, payload)
    assert response.json() == {"values": {"agree": False, "notes": "n"}}


# --- limits -----------------------------------------------------------------------------


class Small(msgspec.Struct):
    text: str = ""
    blob: bytes = b""
    file: FilePart | None = None


def test_a_body_over_max_form_size_is_413_even_without_content_length() -> None:
    payload = body(part("file", b"x" * 5000, filename="f"))
    declared = post_multipart(Small, payload, Limits(max_form_size=4096))
    streamed = post_multipart(
        Small, payload, Limits(max_form_size=4096), **{"transfer-encoding": "chunked"}
    )
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["detail"] == "The form body exceeds 4096 bytes"


def test_a_declared_content_length_over_the_limit_is_refused_before_reading() -> None:
    response = post_multipart(
        Small, b"short", Limits(max_form_size=10), **{"content-length": "99999"}
    )
    assert response.status_code == 413


def test_too_many_parts_is_413() -> None:
    payload = body(*[part("text", "t") for _ in range(4)])
    response = post_multipart(Small, payload, Limits(max_form_parts=3))
    assert response.status_code == 413
    assert response.json() == {
        "type": "payload-too-large",
        "title": "Payload too large",
        "status": 413,
        "detail": "The number of form parts exceeds 3",
        "params": {"limit": "form parts", "maximum": 3},
    }
    urlencoded = post_form(
        Small,
        Limits(max_form_parts=3),
        content=b"a=1&b=2&c=3&d=4",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert urlencoded.status_code == 413
    assert urlencoded.json()["detail"] == "The number of form parts exceeds 3"


@pytest.mark.parametrize("field", ["text", "blob"])
def test_a_non_file_part_over_max_part_size_is_413(field: str) -> None:
    payload = body(part(field, b"x" * 101))
    response = post_multipart(Small, payload, Limits(max_part_size=100))
    assert response.status_code == 413
    assert response.json()["detail"] == f"The form part `{field}` exceeds 100 bytes"
    urlencoded = post_form(Small, Limits(max_part_size=100), data={field: "x" * 101})
    assert urlencoded.status_code == 413


def test_file_parts_and_undeclared_parts_are_not_bound_by_max_part_size() -> None:
    payload = body(part("file", b"x" * 1000, filename="f"), part("other", b"y" * 1000))
    response = post_multipart(Small, payload, Limits(max_part_size=100))
    assert response.status_code == 200
    assert response.json()["values"]["file"]["size"] == 1000


def test_oversized_part_headers_are_413() -> None:
    long_header = part("text", "t", headers=[("X-Long", "v" * 9000)])
    many_headers = part("text", "t", headers=[(f"X-H{i}", "v") for i in range(20)])
    assert post_multipart(Small, body(long_header), Limits()).json()["detail"] == (
        "The form part header exceeds 8192 bytes"
    )
    assert post_multipart(Small, body(many_headers), Limits()).json()["detail"] == (
        "The number of headers in a form part exceeds 16"
    )


# --- wiring -----------------------------------------------------------------------------


def _wire(form_type: Any, method: str = "post") -> None:
    async def handler(self: Any, form: form_type) -> Echo:  # pyright: ignore[reportInvalidTypeForm]
        raise AssertionError("never called")

    handler.__name__ = handler.__qualname__ = f"FormEndpoint.{method}"
    endpoint = type("FormEndpoint", (Endpoint,), {method: handler}, path="/form")
    boot(app_of(endpoint()))


class NestedList(msgspec.Struct):
    grid: list[list[int]]


class TupleField(msgspec.Struct):
    pair: tuple[int, int]


class Unsupported(msgspec.Struct):
    anything: Any


class BareFormPart(msgspec.Struct):
    part: FormPart  # pyright: ignore[reportMissingTypeArgument]


class FormPartOfFile(msgspec.Struct):
    part: FormPart[FilePart]


class FormPartOfList(msgspec.Struct):
    part: FormPart[list[int]]


class FormPartBadHeaders(msgspec.Struct):
    part: FormPart[str, dict[str, str]]


@pytest.mark.parametrize(
    ("form_type", "message"),
    [
        (dict, "must be annotated with a msgspec Struct"),
        (NestedList, "field `grid` of NestedList: list[list[...]] has no form encoding"),
        (TupleField, "field `pair` of TupleField: collect repeated parts with list[...]"),
        (Unsupported, "field `anything` of Unsupported: Any cannot be read from a form"),
        (BareFormPart, "FormPart needs its value type"),
        (FormPartOfFile, "FormPart[...] carries a value, not FilePart"),
        (FormPartOfList, "FormPart[list[int]] is one part"),
        (FormPartBadHeaders, "the part headers type dict[str, str] must be a msgspec Struct"),
    ],
)
def test_bad_form_shapes_fail_at_wiring(form_type: Any, message: str) -> None:
    with pytest.raises(WiringError, match=r"FormEndpoint\.post parameter `form`") as caught:
        _wire(form_type)
    assert message in str(caught.value)


@pytest.mark.parametrize("method", ["get", "delete"])
def test_form_on_a_bodyless_method_fails_at_wiring(method: str) -> None:
    with pytest.raises(WiringError, match="reads a request body"):
        _wire(Checkbox, method)


def test_form_and_json_together_fail_at_wiring() -> None:
    class Both(Resource, path="/both"):
        async def create(self, form: Checkbox, json: Settings) -> NoContent:
            return NoContent()

    wiring_error_of(app_of(Both()), "all read the request body")


def test_the_multipart_import_is_defnulls_push_parser() -> None:
    # python-multipart installs a `multipart` shim package; jero needs defnull's module.
    import multipart  # pyright: ignore[reportMissingTypeStubs]

    assert hasattr(multipart, "PushMultipartParser")
    assert hasattr(multipart, "MultipartSegment")


class CamelChecksum(msgspec.Struct, rename="camel"):
    x_checksum: int


class CamelDescribed(msgspec.Struct):
    doc: FormPart[bytes, CamelChecksum]


def test_camel_renamed_part_headers_are_read_from_dashed_names() -> None:
    payload = body(part("doc", b"data", headers=[("X-Checksum", "7")]))
    response = post_multipart(CamelDescribed, payload)
    assert response.status_code == 200
    assert response.json()["values"]["doc"]["headers"] == {"xChecksum": 7}


@pytest.mark.parametrize("length", ["-1", " 5", "1_0"])
def test_a_multipart_content_length_that_is_not_digits_is_400(length: str) -> None:
    payload = body(part("doc", b"data"))
    headers = {"content-type": CONTENT_TYPE, "content-length": length}
    with TestClient(app_for(CamelDescribed)) as client:
        request = client.build_request("POST", "/form", content=payload, headers=headers)
        response = client.send(request)
    assert response.status_code == 400
