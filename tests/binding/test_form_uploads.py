"""Spooled uploads: large file parts go to a temporary file that is gone after the
request, whether it succeeded, failed, was refused, or the client vanished."""

import hashlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import anyio
import msgspec
import pytest

from jero import BaseApp, Endpoint, FilePart, HTTPError, Limits, StreamingResponse
from jero.testing import AsyncTestClient, TestClient
from tests.forms_support import body, chunked, open_fds, part, play
from tests.routes_app import app_of

KEPT: list[FilePart] = []
"""File parts a handler held on to, to check what is left of them afterwards."""


class Upload(msgspec.Struct):
    file: FilePart
    extra: list[FilePart] = []
    note: str = ""


class Summary(msgspec.Struct):
    size: int
    sha256: str
    in_memory: list[bool]


class TeapotError(HTTPError, type="teapot", title="I'm a teapot", status=418):
    pass


class UploadEndpoint(Endpoint, path="/upload"):
    async def post(self, form: Upload) -> Summary:
        KEPT.extend([form.file, *form.extra])
        digest = hashlib.sha256()
        async for chunk in form.file:
            digest.update(chunk)
        if form.note == "fail":
            raise RuntimeError("handler failed after reading the upload")
        if form.note == "refuse":
            raise TeapotError()
        parts = [form.file, *form.extra]
        return Summary(form.file.size, digest.hexdigest(), [p.in_memory for p in parts])


LIMITS = Limits(spool_threshold=1024, max_form_size=4 * 1024 * 1024)


def upload_app(limits: Limits = LIMITS) -> BaseApp:
    return app_of(UploadEndpoint(), limits=limits)


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Temporary files go to a fresh directory, which must be empty after each test."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    KEPT.clear()
    yield tmp_path
    assert list(tmp_path.iterdir()) == []


def _assert_released() -> None:
    """Spooled parts kept past their request can no longer be read; in-memory ones can."""
    assert any(not kept.in_memory for kept in KEPT)
    for kept in KEPT:
        kept.seek(0)
        if kept.in_memory:
            assert len(anyio.run(kept.read)) == kept.size
        else:
            with pytest.raises(ValueError, match="closed when its request ended"):
                anyio.run(kept.read)


def test_a_large_file_is_spooled_read_back_intact_and_released() -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    before = open_fds()
    with TestClient(upload_app()) as client:
        response = client.post(
            "/upload",
            files=[("file", ("big.bin", data)), ("extra", ("small.txt", b"small"))],
        )
        assert response.status_code == 200
        assert response.json() == {
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "in_memory": [False, True],
        }
    assert open_fds() == before
    _assert_released()


def test_small_files_share_one_in_memory_budget() -> None:
    files = [("file", ("a", b"a" * 600))] + [("extra", (f"{i}", b"b" * 600)) for i in range(3)]
    with TestClient(upload_app()) as client:
        response = client.post("/upload", files=files)
    # 1024 bytes of budget: the first part fits, each later one would overflow it.
    assert response.json()["in_memory"] == [True, False, False, False]


@pytest.mark.parametrize("note", ["fail", "refuse"])
def test_spooled_files_are_released_when_the_handler_raises(
    note: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = open_fds()
    with caplog.at_level(logging.ERROR, "jero"), TestClient(upload_app()) as client:
        response = client.post(
            "/upload", data={"note": note}, files={"file": ("f.bin", b"x" * 5000)}
        )
    assert response.status_code == (500 if note == "fail" else 418)
    assert open_fds() == before
    _assert_released()


def _spooling_body() -> bytes:
    return body(part("file", b"x" * 10_000, filename="f.bin"), part("note", "n"))


def test_a_client_that_vanishes_mid_upload_leaves_nothing_behind() -> None:
    messages = chunked(_spooling_body(), 1000)[:6]  # 6 KB in, then a disconnect
    assert messages[-1]["more_body"]
    before = open_fds()
    exchange = play(upload_app(), "/upload", messages)
    # The server's http.disconnect may also mean broken framing with the client still
    # there, so jero answers; a client really gone never sees it (tests/binding/test_body_end.py).
    assert exchange.status == 400
    assert exchange.receive_calls == 7
    assert open_fds() == before
    assert KEPT == []


def test_a_body_over_the_limit_mid_file_is_413_and_leaves_nothing_behind() -> None:
    limits = Limits(spool_threshold=1024, max_form_size=5000)
    before = open_fds()
    exchange = play(upload_app(limits), "/upload", chunked(_spooling_body(), 1000))
    assert exchange.status == 413
    assert exchange.problem()["detail"] == "The form body exceeds 5000 bytes"
    assert open_fds() == before


def test_a_malformed_end_after_a_spooled_file_is_400_and_leaves_nothing_behind() -> None:
    truncated = _spooling_body()[:-30]
    before = open_fds()
    exchange = play(upload_app(), "/upload", chunked(truncated, 1000))
    assert exchange.status == 400
    assert open_fds() == before


def test_a_declared_part_failing_after_a_spooled_file_is_422_and_leaves_nothing_behind() -> None:
    class Typed(msgspec.Struct):
        file: FilePart
        count: int

    class TypedEndpoint(Endpoint, path="/typed"):
        async def post(self, form: Typed) -> str:
            return "unreachable"

    payload = body(part("file", b"x" * 10_000, filename="f"), part("count", "many"))
    before = open_fds()
    exchange = play(app_of(TypedEndpoint(), limits=LIMITS), "/typed", chunked(payload, 4096))
    assert exchange.status == 422
    assert open_fds() == before


def test_the_body_streams_in_one_chunk_per_receive() -> None:
    """The reader never asks for more than it parses: one receive per message."""
    messages = chunked(_spooling_body(), 512)
    exchange = play(upload_app(), "/upload", messages)
    assert exchange.status == 200
    assert exchange.receive_calls == len(messages)
    assert msgspec.json.decode(exchange.body)["size"] == 10_000


def test_content_type_of_the_request_must_be_a_form() -> None:
    exchange = play(
        upload_app(Limits()), "/upload", chunked(b"{}", 10), content_type="application/json"
    )
    assert exchange.status == 415


def test_an_epilogue_arriving_after_the_closing_delimiter_is_ignored() -> None:
    messages = [
        *chunked(_spooling_body(), 4096)[:-1],
        {
            "type": "http.request",
            "body": chunked(_spooling_body(), 4096)[-1]["body"],
            "more_body": True,
        },
        {"type": "http.request", "body": b"\r\nan epilogue", "more_body": True},
        {"type": "http.request", "body": b" in two chunks", "more_body": False},
    ]
    exchange = play(upload_app(), "/upload", messages)
    assert exchange.status == 200
    assert msgspec.json.decode(exchange.body)["size"] == 10_000


@pytest.mark.anyio
async def test_the_async_test_client_uploads_files_too() -> None:
    async with AsyncTestClient(upload_app()) as client:
        response = await client.post(
            "/upload", data={"note": "n"}, files={"file": ("f.bin", b"z" * 3000)}
        )
    assert response.status_code == 200
    assert response.json()["size"] == 3000


def test_the_upload_memory_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/upload_memory.py at 3 MB: its own checks (status, digest, descriptors)."""
    import asyncio

    from benchmarks import upload_memory

    asyncio.run(upload_memory.main(3))
    assert "spooled to disk: True" in capsys.readouterr().out


class EchoEndpoint(Endpoint, path="/echo"):
    async def post(self, form: Upload) -> StreamingResponse:
        KEPT.append(form.file)
        return StreamingResponse(aiter(form.file), media_type="application/octet-stream")


def test_a_spooled_upload_lives_until_a_streamed_response_has_sent_it() -> None:
    data = bytes(range(256)) * 8192  # 2 MiB: spooled, and streamed back in two chunks
    before = open_fds()
    with TestClient(app_of(EchoEndpoint(), limits=LIMITS)) as client:
        response = client.post("/echo", files={"file": ("f.bin", data)})
        assert response.status_code == 200
        assert response.content == data
    assert open_fds() == before
    _assert_released()
