"""Served by granian in tests/binding/test_body_end.py: every body source, a short body timeout."""

from msgspec import Struct

from jero import BaseApp, Endpoint, Limits


class Note(Struct):
    text: str


class NoteForm(Struct):
    text: str


class JSONEndpoint(Endpoint, path="/json"):
    async def post(self, json: Note) -> Note:
        return json


class ContentEndpoint(Endpoint, path="/content"):
    async def post(self, content: bytes) -> bytes:
        return content


class FormEndpoint(Endpoint, path="/form"):
    async def post(self, form: NoteForm) -> str:
        return form.text


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(JSONEndpoint())
        self._include_endpoint(ContentEndpoint())
        self._include_endpoint(FormEndpoint())


BODY_TIMEOUT = 0.5
app = App(limits=Limits(body_timeout=BODY_TIMEOUT))
