"""`limits=` on an include replaces the app's `Limits` for that mount only: a big upload
route next to small JSON routes."""

import pytest
from msgspec import Struct

from jero import BaseApp, Endpoint, FilePart, Limits, WiringError
from jero.testing import TestClient


class Note(Struct):
    text: str


class Notes(Endpoint, path="/notes"):
    async def post(self, json: Note) -> Note:
        return json


class Upload(Struct):
    file: FilePart


class Uploads(Endpoint, path="/uploads"):
    async def post(self, form: Upload) -> str:
        return str(len(await form.file.read()))


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(Notes())
        self._include_endpoint(
            Uploads(),
            limits=Limits(max_form_size=64 * 1024),
        )


SMALL = Limits(max_body_size=100, max_form_size=1024)


def test_a_mount_with_its_own_limits_accepts_what_the_app_limits_refuse() -> None:
    with TestClient(App(limits=SMALL)) as client:
        upload = client.post("/uploads", files={"file": ("a.bin", b"x" * 20_000)})
        assert (upload.status_code, upload.text) == (200, "20000")
        big_note = client.post("/notes", json={"text": "x" * 200})
        assert big_note.status_code == 413
        assert client.post("/notes", json={"text": "hi"}).status_code == 200


def test_the_mount_limits_still_bound_the_mount() -> None:
    with TestClient(App(limits=SMALL)) as client:
        upload = client.post("/uploads", files={"file": ("a.bin", b"x" * 70_000)})
    assert upload.status_code == 413
    assert upload.headers["content-type"] == "application/problem+json"


def test_limits_must_be_a_limits_instance() -> None:
    class Wrong(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Notes(), limits={"max_body_size": 1})  # type: ignore[arg-type]

    with (
        pytest.raises(WiringError, match=r"Notes: limits= takes a jero.Limits"),
        TestClient(Wrong()),
    ):
        pass
