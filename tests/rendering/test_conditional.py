"""Conditional requests on handlers (RFC 9110 §13): automatic 304 from a typed `etag`
response header, and `conditions: Preconditions` for 304 on reads and 412 on writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from jero import (
    BaseApp,
    Endpoint,
    JSONResponse,
    NoContent,
    Preconditions,
    Resource,
    WiringError,
    make_etag,
)
from jero.testing import TestClient


class Doc(msgspec.Struct):
    id: str
    body: str
    version: int


class DocPath(msgspec.Struct):
    doc_id: str


class Tagged(msgspec.Struct):
    etag: str
    cache_control: str | None = None


MODIFIED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
MODIFIED_TEXT = "Fri, 02 Jan 2026 03:04:05 GMT"


class Store:
    def __init__(self) -> None:
        self.docs = {"a": Doc("a", "first", 1)}
        self.builds = 0

    def tag(self, doc: Doc | None) -> str | None:
        return None if doc is None else make_etag(f"v{doc.version}")


class DocResource(Resource, path="/docs"):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def read_one(self, path: DocPath) -> JSONResponse[Doc, Tagged]:
        doc = self.store.docs[path.doc_id]
        self.store.builds += 1
        tag = self.store.tag(doc) or ""
        return JSONResponse(doc, headers=Tagged(etag=tag, cache_control="no-cache"))

    async def update_full(
        self, path: DocPath, json: Doc, conditions: Preconditions
    ) -> JSONResponse[Doc, Tagged]:
        current = self.store.docs.get(path.doc_id)
        conditions.evaluate(self.store.tag(current), MODIFIED if current else None)
        doc = Doc(path.doc_id, json.body, (current.version + 1) if current else 1)
        self.store.docs[path.doc_id] = doc
        return JSONResponse(doc, headers=Tagged(etag=self.store.tag(doc) or ""))

    async def delete(self, path: DocPath, conditions: Preconditions) -> NoContent:
        conditions.evaluate(self.store.tag(self.store.docs.get(path.doc_id)))
        self.store.docs.pop(path.doc_id, None)
        return NoContent()


class CheapEndpoint(Endpoint, path="/cheap/{doc_id}"):
    """Evaluates before building the body: a 304 costs no encoding at all."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, path: DocPath, conditions: Preconditions) -> Doc:
        doc = self.store.docs[path.doc_id]
        conditions.evaluate(self.store.tag(doc), MODIFIED)
        self.store.builds += 1
        return doc


def make_app(store: Store) -> BaseApp:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_resource(DocResource(store))
            self._include_endpoint(CheapEndpoint(store))

    return App()


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def client(store: Store) -> Any:
    with TestClient(make_app(store)) as client:
        yield client


def test_typed_etag_header_answers_if_none_match_with_304(client: TestClient) -> None:
    first = client.get("/docs/a")
    assert first.status_code == 200
    assert first.headers["etag"] == '"v1"'
    for value in ('"v1"', 'W/"v1"', '"v0", "v1"', "*"):
        again = client.get("/docs/a", headers={"if-none-match": value})
        assert again.status_code == 304, value
        assert again.content == b""
        assert again.headers["etag"] == '"v1"'
        assert again.headers["cache-control"] == "no-cache"
        assert "content-type" not in again.headers
        assert "content-length" not in again.headers
    changed = client.get("/docs/a", headers={"if-none-match": '"v0"'})
    assert changed.status_code == 200
    assert changed.json()["body"] == "first"
    malformed = client.get("/docs/a", headers={"if-none-match": "v1"})
    assert malformed.status_code == 200


def test_head_gets_the_same_304(client: TestClient) -> None:
    response = client.head("/docs/a", headers={"if-none-match": '"v1"'})
    assert response.status_code == 304
    assert response.content == b""


def test_evaluate_on_a_read_skips_building_the_body(client: TestClient, store: Store) -> None:
    full = client.get("/cheap/a")
    assert full.status_code == 200
    assert store.builds == 1
    unmodified = client.get("/cheap/a", headers={"if-none-match": 'W/"v1"'})
    assert unmodified.status_code == 304
    assert unmodified.headers["etag"] == '"v1"'
    assert unmodified.headers["last-modified"] == MODIFIED_TEXT
    assert store.builds == 1
    by_date = client.get("/cheap/a", headers={"if-modified-since": MODIFIED_TEXT})
    assert by_date.status_code == 304
    earlier = client.get("/cheap/a", headers={"if-modified-since": "Thu, 01 Jan 2026 00:00:00 GMT"})
    assert earlier.status_code == 200
    assert store.builds == 2


def test_if_match_guards_a_write_against_lost_updates(client: TestClient, store: Store) -> None:
    body = {"id": "a", "body": "second", "version": 0}
    stale = client.put("/docs/a", json=body, headers={"if-match": '"v0"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json() == {
        "type": "precondition-failed",
        "title": "Precondition failed",
        "status": 412,
    }
    assert store.docs["a"].body == "first"
    fresh = client.put("/docs/a", json=body, headers={"if-match": '"v1"'})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == '"v2"'
    assert store.docs["a"].body == "second"
    # If-Match compares strongly: a weak tag never matches.
    weak = client.put("/docs/a", json=body, headers={"if-match": 'W/"v2"'})
    assert weak.status_code == 412
    unconditional = client.put("/docs/a", json=body)
    assert unconditional.status_code == 200


def test_star_conditions_on_create_and_delete(client: TestClient, store: Store) -> None:
    body = {"id": "b", "body": "new", "version": 0}
    missing = client.put("/docs/b", json=body, headers={"if-match": "*"})
    assert missing.status_code == 412
    created = client.put("/docs/b", json=body, headers={"if-none-match": "*"})
    assert created.status_code == 200
    twice = client.put("/docs/b", json=body, headers={"if-none-match": "*"})
    assert twice.status_code == 412  # If-None-Match on a write that matches: 412, not 304
    assert client.delete("/docs/b", headers={"if-match": '"v9"'}).status_code == 412
    assert client.delete("/docs/b", headers={"if-match": '"v1"'}).status_code == 204
    assert "b" not in store.docs


def test_if_unmodified_since_on_a_write(client: TestClient) -> None:
    body = {"id": "a", "body": "x", "version": 0}
    before = client.put(
        "/docs/a", json=body, headers={"if-unmodified-since": "Thu, 01 Jan 2026 00:00:00 GMT"}
    )
    assert before.status_code == 412
    after = client.put("/docs/a", json=body, headers={"if-unmodified-since": MODIFIED_TEXT})
    assert after.status_code == 200


def test_make_etag() -> None:
    assert make_etag("abc") == '"abc"'
    assert make_etag("abc", weak=True) == 'W/"abc"'
    with pytest.raises(ValueError, match="entity tag"):
        make_etag('a"b')


def test_routes_without_conditions_keep_their_plain_path(store: Store) -> None:
    class Plain(Endpoint, path="/plain"):
        async def get(self) -> Doc:
            return store.docs["a"]

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Plain())
            self._include_resource(DocResource(store))

    app = App()
    with TestClient(app):
        router = app.jero.router
        assert router is not None

        def answer_step(path: str, method: str) -> str:
            found = router.lookup(path)
            assert found is not None
            return found[0].serves[method].__name__

        # Encoded and sent by the answer step itself: no conditional wrapper in between.
        assert answer_step("/plain", "GET") == "answer_encoded"
        assert answer_step("/docs/a", "GET") == "answer_responding"
        assert answer_step("/docs/a", "PUT") == "answer_encoded"


def test_wrong_annotation_is_a_wiring_error() -> None:
    class Bad(Endpoint, path="/bad"):
        async def get(self, conditions: str) -> Doc:
            raise AssertionError

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(Bad())

    expected = r"Bad.get parameter `conditions` must be annotated"
    with pytest.raises(WiringError, match=expected), TestClient(App()):
        pass


def test_openapi_documents_the_conditional_headers(store: Store) -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_resource(DocResource(store))
            self._include_openapi(title="t", version="1")

    with TestClient(App()) as client:
        document = client.get("/openapi.json").json()
    put = document["paths"]["/docs/{doc_id}"]["put"]
    names = [p["name"] for p in put["parameters"] if p["in"] == "header"]
    assert names == ["If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"]
    assert "412" in put["responses"]


# --- the evaluation order itself (RFC 9110 §13.2.2) ----------------------------------

EARLY = "Thu, 01 Jan 1970 00:00:10 GMT"
LATE = "Sat, 01 Jan 2000 00:00:00 GMT"
STAMP = 100  # seconds: after EARLY, before LATE


@pytest.mark.parametrize(
    ("headers", "etag", "safe", "outcome"),
    [
        ({}, '"a"', True, 0),
        ({"if_match": '"a"'}, '"a"', False, 0),
        ({"if_match": '"b", "a"'}, '"a"', False, 0),
        ({"if_match": '"b"'}, '"a"', False, 412),
        ({"if_match": 'W/"a"'}, '"a"', False, 412),
        ({"if_match": '"a"'}, 'W/"a"', False, 412),
        ({"if_match": "*"}, 'W/"a"', False, 0),
        ({"if_match": "*"}, None, False, 412),
        ({"if_match": "not a tag"}, '"a"', False, 0),  # malformed: ignored
        # If-Match present: If-Unmodified-Since is not evaluated.
        ({"if_match": '"a"', "if_unmodified_since": EARLY}, '"a"', False, 0),
        ({"if_unmodified_since": EARLY}, '"a"', False, 412),
        ({"if_unmodified_since": LATE}, '"a"', False, 0),
        ({"if_unmodified_since": "garbage"}, '"a"', False, 0),
        ({"if_none_match": 'W/"a"'}, '"a"', True, 304),
        ({"if_none_match": '"a"'}, 'W/"a"', True, 304),
        ({"if_none_match": '"a"'}, '"a"', False, 412),
        ({"if_none_match": "*"}, None, False, 0),
        ({"if_none_match": "*"}, '"a"', True, 304),
        # If-None-Match present: If-Modified-Since is not evaluated.
        ({"if_none_match": '"b"', "if_modified_since": LATE}, '"a"', True, 0),
        ({"if_modified_since": LATE}, '"a"', True, 304),
        ({"if_modified_since": EARLY}, '"a"', True, 0),
        ({"if_modified_since": LATE}, '"a"', False, 0),  # only GET/HEAD
        # If-Match fails first, whatever If-None-Match says.
        ({"if_match": '"b"', "if_none_match": '"a"'}, '"a"', True, 412),
    ],
)
def test_evaluation_order(
    headers: dict[str, str], etag: str | None, safe: bool, outcome: int
) -> None:
    from jero._conditional.evaluate import Conditions

    assert Conditions(**headers).evaluate(etag, STAMP, safe) == outcome


def test_repeated_list_headers_are_joined() -> None:
    from jero._conditional.evaluate import Conditions

    conditions = Conditions.from_asgi([(b"if-none-match", b'"x"'), (b"if-none-match", b'"a"')])
    assert conditions.if_none_match == '"x", "a"'
    assert conditions.evaluate('"a"', None, True) == 304


@pytest.mark.parametrize(
    "date",
    ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"],
)
def test_the_three_http_date_forms(date: str) -> None:
    from jero._conditional.evaluate import Conditions

    stamp = 784111777  # 1994-11-06 08:49:37 UTC
    assert Conditions(if_modified_since=date).evaluate(None, stamp, True) == 304
    assert Conditions(if_modified_since=date).evaluate(None, stamp + 1, True) == 0
