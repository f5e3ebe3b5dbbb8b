"""A small notes API whose route classes a typed client calls (see examples/consumer/).

Serve it with `uv run granian --interface asgi examples.notes:app`.

The notes live in memory, per process: each worker of `--workers 2` has its own, and a
restart empties them. A real app keeps them in a database (see examples/bookshelf/).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

from msgspec import Struct

from jero import (
    BaseApp,
    Created,
    Endpoint,
    FilePart,
    HTTPError,
    NDJSONStreamingResponse,
    NoContent,
    OperationMeta,
    Resource,
    ServerSentEvent,
    SSEResponse,
)


class NewNote(Struct):
    text: str
    tags: list[str] = []


class Note(Struct):
    id: int
    text: str
    tags: list[str]


class NotePatch(Struct):
    text: str | None = None


class NotePath(Struct):
    note_id: int


class NoteQuery(Struct):
    tag: list[str] = []
    limit: int = 10


class Location(Struct):
    location: str


class MissingNote(Struct):
    note_id: int


class NoteNotFoundError(
    HTTPError[MissingNote],
    type="note-not-found",
    title="Note not found",
    status=404,
    detail="Note {note_id} does not exist",
):
    pass


class Notebook:
    """The notes, in memory: enough state for the example."""

    def __init__(self) -> None:
        self.notes: dict[int, Note] = {}
        self.ids = itertools.count(1)

    def get(self, note_id: int) -> Note:
        note = self.notes.get(note_id)
        if note is None:
            raise NoteNotFoundError(MissingNote(note_id))
        return note


class NoteResource(
    Resource,
    path="/notes",
    meta_read_one=OperationMeta(errors=[NoteNotFoundError]),
    meta_update_partial=OperationMeta(errors=[NoteNotFoundError]),
    meta_delete=OperationMeta(errors=[NoteNotFoundError]),
):
    def __init__(self, notebook: Notebook) -> None:
        self.notebook = notebook

    async def create(self, json: NewNote) -> Created[Note, Location]:
        note = Note(next(self.notebook.ids), json.text, json.tags)
        self.notebook.notes[note.id] = note
        return Created(note, headers=Location(f"/notes/{note.id}"))

    async def read_many(self, params: NoteQuery) -> list[Note]:
        notes = [n for n in self.notebook.notes.values() if set(params.tag) <= set(n.tags)]
        return notes[: params.limit]

    async def read_one(self, path: NotePath) -> Note:
        return self.notebook.get(path.note_id)

    async def update_partial(self, path: NotePath, json: NotePatch) -> Note:
        note = self.notebook.get(path.note_id)
        if json.text is not None:
            note.text = json.text
        return note

    async def delete(self, path: NotePath) -> NoContent:
        self.notebook.get(path.note_id)
        del self.notebook.notes[path.note_id]
        return NoContent()


class FeedEndpoint(Endpoint, path="/feed"):
    """Every note, one JSON line each."""

    def __init__(self, notebook: Notebook) -> None:
        self.notebook = notebook

    async def get(self) -> NDJSONStreamingResponse[Note]:
        async def notes() -> AsyncIterator[Note]:
            for note in list(self.notebook.notes.values()):
                yield note

        return NDJSONStreamingResponse(notes())


class EventsEndpoint(Endpoint, path="/events"):
    """Every note as a server-sent event."""

    def __init__(self, notebook: Notebook) -> None:
        self.notebook = notebook

    async def get(self) -> SSEResponse[Note]:
        async def events() -> AsyncIterator[ServerSentEvent[Note] | str]:
            for note in list(self.notebook.notes.values()):
                yield ServerSentEvent(note, event="note", id=str(note.id))
            yield "done"

        return SSEResponse(events())


class Attachment(Struct):
    file: FilePart
    caption: str


class AttachmentInfo(Struct):
    note_id: int
    filename: str
    size: int
    caption: str


class AttachmentEndpoint(Endpoint, path="/notes/{note_id}/attachments"):
    def __init__(self, notebook: Notebook) -> None:
        self.notebook = notebook

    async def post(self, path: NotePath, form: Attachment) -> Created[AttachmentInfo]:
        self.notebook.get(path.note_id)
        data = await form.file.read()
        info = AttachmentInfo(path.note_id, form.file.filename or "", len(data), form.caption)
        return Created(info)


class App(BaseApp):
    async def _wire(self) -> None:
        notebook = Notebook()
        self._include_resource(NoteResource(notebook))
        self._include_endpoint(FeedEndpoint(notebook))
        self._include_endpoint(EventsEndpoint(notebook))
        self._include_endpoint(AttachmentEndpoint(notebook))


app = App()
