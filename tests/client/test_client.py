"""The typed client (`jero.client`): requests built and responses read from the same
wiring plans the server uses, in-process through TestClient and over real granian."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from examples.notes import (
    App,
    Attachment,
    AttachmentEndpoint,
    EventsEndpoint,
    FeedEndpoint,
    Location,
    NewNote,
    Note,
    NoteNotFoundError,
    NotePatch,
    NotePath,
    NoteQuery,
    NoteResource,
)
from jero import (
    BaseApp,
    Created,
    Endpoint,
    FilePart,
    NoContent,
    NotFoundError,
    ServerSentEvent,
    WiringError,
)
from jero.client import AsyncClient, Client, ResponseError, UnknownProblemError
from jero.testing import AsyncTestClient, TestClient
from tests.granian_server import granian

ROUTES = (NoteResource, FeedEndpoint, EventsEndpoint, AttachmentEndpoint)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def client() -> Iterator[Client]:
    with TestClient(App()) as http, Client(*ROUTES, http=http) as typed:
        yield typed


def test_created_comes_back_as_the_wrapper_with_typed_headers(client: Client) -> None:
    created = client.call(NoteResource.create, json=NewNote("milk", tags=["home"]))
    assert isinstance(created, Created)
    assert created.json == Note(1, "milk", ["home"])
    assert created.headers == Location("/notes/1")


def test_plain_struct_and_list_returns_decode_to_their_types(client: Client) -> None:
    client.call(NoteResource.create, json=NewNote("milk", tags=["home", "food"]))
    client.call(NoteResource.create, json=NewNote("tax", tags=["work"]))
    assert client.call(NoteResource.read_one, path=NotePath(note_id=2)) == Note(2, "tax", ["work"])
    both = client.call(NoteResource.read_many, params=NoteQuery(tag=["home", "food"]))
    assert both == [Note(1, "milk", ["home", "food"])]
    assert client.call(NoteResource.read_many, params=NoteQuery(limit=1)) == [
        Note(1, "milk", ["home", "food"])
    ]


def test_positional_arguments_bind_like_the_handler_signature(client: Client) -> None:
    client.call(NoteResource.create, NewNote("milk"))
    patched = client.call(NoteResource.update_partial, NotePath(1), NotePatch(text="oat milk"))
    assert patched.text == "oat milk"


def test_no_content_is_a_no_content_value(client: Client) -> None:
    client.call(NoteResource.create, json=NewNote("milk"))
    assert isinstance(client.call(NoteResource.delete, path=NotePath(note_id=1)), NoContent)
    assert client.call(NoteResource.read_many, params=NoteQuery()) == []


def test_an_application_error_is_raised_as_its_class_with_typed_params(client: Client) -> None:
    with pytest.raises(NoteNotFoundError) as caught:
        client.call(NoteResource.read_one, path=NotePath(note_id=42))
    assert caught.value.params is not None
    assert caught.value.params.note_id == 42
    assert caught.value.detail == "Note 42 does not exist"
    assert caught.value.headers["content-type"] == "application/problem+json"


def test_uploads_go_as_multipart_with_their_metadata(client: Client) -> None:
    client.call(NoteResource.create, json=NewNote("milk"))
    upload = FilePart.from_bytes(b"\x00\x01receipt", filename="r.bin", content_type="image/png")
    created = client.call(
        AttachmentEndpoint.post, path=NotePath(note_id=1), form=Attachment(upload, "receipt")
    )
    assert created.json.filename == "r.bin"
    assert created.json.size == 9
    assert created.json.caption == "receipt"


def test_ndjson_streams_come_back_item_by_item(client: Client) -> None:
    for text in ("a", "b", "c"):
        client.call(NoteResource.create, json=NewNote(text))
    with client.stream(FeedEndpoint.get) as feed:
        first = next(feed)
        rest = list(feed)
    assert first == Note(1, "a", [])
    assert [note.text for note in rest] == ["b", "c"]


def test_sse_events_decode_their_data_and_keep_text_items_as_text(client: Client) -> None:
    client.call(NoteResource.create, json=NewNote("a"))
    with client.stream(EventsEndpoint.get) as events:
        received = list(events)
    assert received[0] == ServerSentEvent(Note(1, "a", []), event="note", id="1")
    assert received[1].data == "done"


def test_a_streamed_operation_called_buffered_says_to_stream(client: Client) -> None:
    with pytest.raises(ResponseError, match=r"client\.stream"):
        client.call(FeedEndpoint.get)


def test_an_operation_of_another_class_is_refused(client: Client) -> None:
    class Elsewhere(Endpoint, path="/elsewhere"):
        async def get(self) -> NoContent:
            return NoContent()

    with pytest.raises(LookupError, match=r"Elsewhere\.get is not an operation"):
        client.call(Elsewhere.get)


def test_a_framework_error_comes_back_as_the_builtin_class() -> None:
    class Gone(Endpoint, path="/gone"):
        async def get(self) -> NoContent:
            raise NotFoundError()

    class GoneApp(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Gone())

    with (
        TestClient(GoneApp()) as http,
        Client(Gone, http=http) as typed,
        pytest.raises(NotFoundError),
    ):
        typed.call(Gone.get)


def test_a_problem_no_class_declares_is_an_unknown_problem_error() -> None:
    def teapot(request: httpx.Request) -> httpx.Response:
        body = b'{"type":"no-class-declares-this","title":"Odd","status":418}'
        return httpx.Response(
            418, content=body, headers={"content-type": "application/problem+json"}
        )

    http = httpx.Client(base_url="http://api", transport=httpx.MockTransport(teapot))
    with Client(NoteResource, http=http) as typed, pytest.raises(UnknownProblemError) as caught:
        typed.call(NoteResource.read_one, path=NotePath(1))
    assert caught.value.problem.type == "no-class-declares-this"
    assert caught.value.response.status_code == 418


def test_an_undeclared_outcome_is_a_response_error() -> None:
    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<p>hi</p>", headers={"content-type": "text/html"})

    http = httpx.Client(base_url="http://api", transport=httpx.MockTransport(html))
    with Client(NoteResource, http=http) as typed, pytest.raises(ResponseError, match="text/html"):
        typed.call(NoteResource.read_one, path=NotePath(1))


def test_a_body_that_does_not_match_the_declared_type_is_a_response_error() -> None:
    def wrong(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=b'{"id":"x"}', headers={"content-type": "application/json"}
        )

    http = httpx.Client(base_url="http://api", transport=httpx.MockTransport(wrong))
    with Client(NoteResource, http=http) as typed, pytest.raises(ResponseError, match="decode"):
        typed.call(NoteResource.read_one, path=NotePath(1))


def test_requests_carry_what_the_binders_read() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"[]", headers={"content-type": "application/json"})

    http = httpx.Client(base_url="http://api", transport=httpx.MockTransport(record))
    with Client(NoteResource, http=http) as typed:
        typed.call(NoteResource.read_many, params=NoteQuery(tag=["a b", "c/d"], limit=3))
    assert seen[0].url.path == "/notes"
    assert seen[0].url.query == b"tag=a+b&tag=c%2Fd&limit=3"


class Odd(msgspec.Struct):
    name: str


class Named(Endpoint, path="/named/{name}"):
    async def get(self, path: Odd) -> NoContent:
        return NoContent()


def test_path_values_are_percent_encoded_segments() -> None:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(204)

    http = httpx.Client(base_url="http://api", transport=httpx.MockTransport(record))
    with Client(Named, http=http) as typed:
        typed.call(Named.get, path=Odd("a b%c"))
        with pytest.raises(ValueError, match=r"slot \{name\} = 'a/b' would not route back"):
            typed.call(Named.get, path=Odd("a/b"))
    assert seen == ["/named/a%20b%25c"]


def test_a_non_route_is_a_wiring_error() -> None:
    with pytest.raises(WiringError, match="is not a Resource or Endpoint class"):
        Client(Note)  # pyright: ignore[reportArgumentType]


@pytest.mark.anyio
async def test_async_client_calls_through_the_resource_proxy() -> None:
    async with AsyncTestClient(App()) as http, AsyncClient(*ROUTES, http=http) as typed:
        notes = typed.resource(NoteResource)
        created = await notes.create(json=NewNote("milk"))
        assert created.json.id == 1
        assert await notes.read_one(path=NotePath(note_id=1)) == Note(1, "milk", [])
        async with typed.stream(FeedEndpoint.get) as feed:
            assert [note.id async for note in feed] == [1]
        with pytest.raises(NoteNotFoundError):
            await typed.call(NoteResource.read_one, path=NotePath(note_id=5))


@pytest.mark.server
def test_over_real_http_on_granian() -> None:
    with granian("examples.notes:app") as server, Client(*ROUTES, base_url=server.url) as typed:
        created = typed.call(NoteResource.create, json=NewNote("over the wire", tags=["net"]))
        assert created.headers == Location(f"/notes/{created.json.id}")
        assert typed.call(NoteResource.read_one, path=NotePath(created.json.id)) == created.json
        with typed.stream(FeedEndpoint.get) as feed:
            assert created.json in list(feed)
        with pytest.raises(NoteNotFoundError):
            typed.call(NoteResource.delete, path=NotePath(note_id=10**6))


def test_the_consumer_example_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "examples.consumer.notes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.splitlines() == [
        "created 1 at /notes/1",
        "listed ['buy milk']",
        "streamed 1",
        "missing 999: Note 999 does not exist",
    ]


def test_pyright_rejects_a_wrong_body_type_at_the_call_site(tmp_path: Path) -> None:
    snippet = tmp_path / "call_site.py"
    snippet.write_text(
        textwrap.dedent(
            """
            from examples.notes import NotePatch, NotePath, NoteResource
            from jero.client import Client

            def use(client: Client) -> None:
                good = client.call(NoteResource.read_one, path=NotePath(1))
                reveal_type(good)
                client.call(NoteResource.create, json=NotePatch(text="x"))
                client.call(NoteResource.read_one, path="1")
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "pyright", "--pythonpath", sys.executable, str(snippet)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout
    assert 'Type of "good" is "Note"' in out, out
    assert '"NotePatch" is not assignable to "NewNote"' in out, out
    assert '"Literal[\'1\']" is not assignable to "NotePath"' in out, out
    assert "2 errors" in out, out
