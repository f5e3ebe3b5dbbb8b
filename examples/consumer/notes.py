"""Call the notes API (examples/notes.py) with the typed client.

    uv run granian --interface asgi --port 8000 examples.notes:app &
    uv run python -m examples.consumer.notes http://127.0.0.1:8000

With no URL it serves the app in-process (through `jero.testing.TestClient`).
"""

from __future__ import annotations

import sys

from examples.notes import (
    App,
    FeedEndpoint,
    NewNote,
    NoteNotFoundError,
    NotePath,
    NoteQuery,
    NoteResource,
)
from jero.client import Client
from jero.testing import TestClient

ROUTES = (NoteResource, FeedEndpoint)


def tour(client: Client) -> list[str]:
    """Create, list, stream and miss a note; what happened, one line each."""
    seen: list[str] = []
    created = client.call(NoteResource.create, json=NewNote("buy milk", tags=["home"]))
    seen.append(f"created {created.json.id} at {created.headers and created.headers.location}")
    notes = client.call(NoteResource.read_many, params=NoteQuery(tag=["home"]))
    seen.append(f"listed {[note.text for note in notes]}")
    with client.stream(FeedEndpoint.get) as feed:
        seen.extend(f"streamed {note.id}" for note in feed)
    try:
        client.call(NoteResource.read_one, path=NotePath(note_id=999))
    except NoteNotFoundError as error:
        seen.append(f"missing {error.params and error.params.note_id}: {error.detail}")
    return seen


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        with Client(*ROUTES, base_url=argv[1]) as client:
            lines = tour(client)
    else:
        with TestClient(App()) as http, Client(*ROUTES, http=http) as client:
            lines = tour(client)
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv)
