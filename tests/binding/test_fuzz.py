"""Arbitrary requests never break the response: always one complete answer, never a 5xx.

The ASGI app is driven directly (tests/asgi_driver.py), so paths, query bytes, header
names/values, methods and body chunks can be anything a server might pass through.
"""

import enum
import itertools
import json
from typing import Annotated

from hypothesis import event, given, settings
from hypothesis import strategies as st
from msgspec import Meta, Struct

from jero import BaseApp, Endpoint, NoContent, RawHeaders, Resource
from tests.asgi_driver import Exchange, call

FUZZ = settings(max_examples=200, deadline=None)


class Kind(enum.Enum):
    BOLT = "bolt"
    NUT = "nut"


class Item(Struct, rename="camel"):
    item_name: str
    quantity: Annotated[int, Meta(ge=0)] = 0
    kind: Kind = Kind.BOLT
    tags: list[str] = []


class ItemPath(Struct):
    item_id: int


class Paging(Struct):
    limit: Annotated[int, Meta(ge=1, le=50)] = 5
    active: bool = True
    kind: Kind | None = None
    ids: list[int] = []


class Trace(Struct):
    x_retries: int = 0
    x_tag: list[str] = []


class ItemResource(Resource, path="/items"):
    async def create(self, json: Item) -> Item:
        return json

    async def read_many(self, params: Paging) -> list[Item]:
        return [Item(item_name=str(i)) for i in range(params.limit)]

    async def read_one(self, path: ItemPath) -> Item:
        return Item(item_name=str(path.item_id))

    async def update_full(self, path: ItemPath, json: list[Item]) -> list[Item]:
        return json

    async def delete(self, path: ItemPath) -> NoContent:
        return NoContent()


class EchoEndpoint(Endpoint, path="/echo"):
    async def post(self, content: bytes) -> bytes:
        return content


class HeadersEndpoint(Endpoint, path="/headers"):
    async def get(self, headers: Trace, raw_headers: RawHeaders) -> str:
        return f"{headers.x_retries} {len(raw_headers)}"


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_resource(ItemResource())
        self._include_endpoint(EchoEndpoint())
        self._include_endpoint(HeadersEndpoint())


# --- strategies ---------------------------------------------------------------------

TOKEN = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"

methods = st.one_of(
    st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]),
    st.sampled_from(["GET", "POST"]),
    st.text(TOKEN.upper(), min_size=1, max_size=10),
)

paths = st.one_of(
    st.sampled_from(["/", "/items", "/items/", "/items/1", "/items/-7", "/echo", "/headers"]),
    st.builds(
        str.__add__,
        st.sampled_from(["/items/", "/echo/", "/headers/", "/", "//", ""]),
        st.text(max_size=30),
    ),
)

query_keys = st.one_of(st.sampled_from(["limit", "active", "kind", "ids", ""]), st.text(max_size=8))
queries = st.one_of(
    st.binary(max_size=60),
    st.lists(st.tuples(query_keys, st.text(max_size=12)), max_size=6).map(
        lambda pairs: "&".join(f"{k}={v}" for k, v in pairs).encode("utf-8", "surrogatepass")
    ),
)

header_names = st.one_of(
    st.sampled_from(
        [b"content-type", b"content-length", b"x-retries", b"x-tag", b"host", b"accept"]
    ),
    st.text(TOKEN, min_size=1, max_size=20).map(str.encode),
)
latin1_values = st.text(
    st.characters(codec="latin-1", exclude_characters="\r\n\x00"), max_size=40
).map(lambda text: text.encode("latin-1"))
header_values = st.one_of(
    st.sampled_from(
        [
            b"application/json",
            b"application/vnd.x+json; charset=utf-8",
            b"text/plain",
            b"0",
            b"3",
            b"-1",
            b"99999999999",
            b"1_0",
        ]
    ),
    latin1_values,
)
headers = st.lists(st.tuples(header_names, header_values), max_size=8)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
item_like = st.fixed_dictionaries(
    {},
    optional={
        "itemName": st.text(max_size=10) | json_values,
        "quantity": st.integers() | json_values,
        "kind": st.sampled_from(["bolt", "nut", "screw"]) | json_values,
        "tags": st.lists(st.text(max_size=5), max_size=3) | json_values,
    },
)
json_bodies = st.one_of(item_like, st.lists(item_like, max_size=3), json_values).map(
    lambda value: json.dumps(value).encode()
)
# Documents nested past the recursion limit: under an unknown key (which the decoder
# skips recursively), inside a known field, or at the top, for an object or a list body.
deep_json_bodies = st.builds(
    lambda prefix, opener, depth, closed: (
        prefix + opener * depth + (b"]" * depth if closed else b"")
    ),
    st.sampled_from([b"", b"[", b'{"x":', b'[{"x":', b'{"itemName": "n", "tags":']),
    st.sampled_from([b"[", b'{"a":', b'[{"a":']),
    st.integers(9_000, 30_000),
    st.booleans(),
)
json_bodies = st.one_of(json_bodies, deep_json_bodies)
bodies = st.one_of(json_bodies, st.binary(max_size=200))


@st.composite
def chunked(draw: st.DrawFn, body: bytes) -> list[bytes]:
    """Split a body into 1-4 `http.request` messages at drawn offsets."""
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=3)))
    bounds = [0, *cuts, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(bounds)]


bodies_in_chunks = bodies.flatmap(chunked)


def assert_sound(exchange: Exchange, method: str) -> None:
    head = method == "HEAD"
    event(f"status {exchange.status}")
    exchange.assert_well_formed(head=head)
    assert exchange.status < 500, (exchange.status, exchange.body)
    content_type = exchange.header(b"content-type")
    if content_type == b"application/problem+json" and not head:
        exchange.problem()
    if exchange.status == 405:
        assert b"OPTIONS" in (exchange.header(b"allow") or b"")


# --- properties -----------------------------------------------------------------------


@FUZZ
@given(method=methods, path=paths, query=queries, request_headers=headers, chunks=bodies_in_chunks)
def test_any_request_gets_one_complete_non_5xx_answer(
    method: str,
    path: str,
    query: bytes,
    request_headers: list[tuple[bytes, bytes]],
    chunks: list[bytes],
) -> None:
    exchange = call(App(), method, path, query=query, headers=request_headers, chunks=chunks)
    assert_sound(exchange, method)


@FUZZ
@given(
    method=st.sampled_from(["POST", "PUT"]),
    content_type=st.sampled_from([b"application/json", b"application/x+json", b"text/json"]),
    chunks=json_bodies.flatmap(chunked),
)
def test_json_bodies_are_answered_2xx_or_a_4xx_problem(
    method: str, content_type: bytes, chunks: list[bytes]
) -> None:
    path = "/items" if method == "POST" else "/items/1"
    exchange = call(App(), method, path, headers=[(b"content-type", content_type)], chunks=chunks)
    assert_sound(exchange, method)
    assert exchange.status in (200, 201, 400, 413, 415, 422)
    if exchange.status >= 400:
        exchange.problem()


@FUZZ
@given(query=queries, request_headers=headers)
def test_query_and_headers_never_fail_the_server(
    query: bytes, request_headers: list[tuple[bytes, bytes]]
) -> None:
    for path in ("/items", "/headers"):
        exchange = call(App(), "GET", path, query=query, headers=request_headers)
        assert_sound(exchange, "GET")
        assert exchange.status in (200, 400)
