"""Routing: the trie, root_path, 404/405/OPTIONS/HEAD."""

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from jero import BaseApp, Endpoint, Resource
from jero._routing.trie import RouteTrie
from jero.testing import TestClient
from tests.asgi_driver import call
from tests.routes_app import app_of, wiring_error_of


class Found(msgspec.Struct):
    route: str
    value: str = ""


class UserPath(msgspec.Struct):
    user_id: str


class NumberPath(msgspec.Struct):
    number: int


class NamePath(msgspec.Struct):
    name: str


class NewUser(msgspec.Struct):
    name: str


class Me(Endpoint, path="/users/me"):
    async def get(self) -> Found:
        return Found("me")


class UserEndpoint(Endpoint, path="/users/{user_id}"):
    async def get(self, path: UserPath) -> Found:
        return Found("user", path.user_id)


class UserPosts(Endpoint, path="/users/{user_id}/posts"):
    async def get(self, path: UserPath) -> Found:
        return Found("posts", path.user_id)


class Numbers(Endpoint, path="/numbers/{number}"):
    async def get(self, path: NumberPath) -> Found:
        return Found("number", str(path.number))


class Files(Endpoint, path="/files/{name}"):
    async def get(self, path: NamePath) -> Found:
        return Found("file", path.name)


class Users(Endpoint, path="/users"):
    async def post(self, json: NewUser) -> Found:
        return Found("created", json.name)


class Root(Endpoint, path="/"):
    async def get(self) -> Found:
        return Found("root")


class App(BaseApp):
    async def _wire(self) -> None:
        for endpoint in (Me(), UserEndpoint(), UserPosts(), Numbers(), Files(), Users(), Root()):
            self._include_endpoint(endpoint)


def get(path: str, **kwargs: Any) -> Any:
    with TestClient(App(), **kwargs) as client:
        return client.get(path)


# --- matching -----------------------------------------------------------------------


def test_static_beats_slot_at_the_same_depth() -> None:
    with TestClient(App()) as client:
        assert client.get("/users/me").json() == {"route": "me", "value": ""}
        assert client.get("/users/42").json() == {"route": "user", "value": "42"}


def test_dead_end_static_branch_backtracks_to_the_slot() -> None:
    assert get("/users/me/posts").json() == {"route": "posts", "value": "me"}


def test_root_path_route() -> None:
    assert get("/").json() == {"route": "root", "value": ""}


def test_trailing_slash_is_a_different_path() -> None:
    with TestClient(App()) as client:
        for path in ("/users/me/", "/users/42/", "/users/42/posts/"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"] == "application/problem+json"
            assert "location" not in response.headers


def test_empty_slot_segment_is_404() -> None:
    with TestClient(App()) as client:
        assert client.get("/users//posts").status_code == 404
        assert client.get("/files/").status_code == 404


def test_path_value_that_does_not_convert_is_404() -> None:
    with TestClient(App()) as client:
        assert client.get("/numbers/7").json() == {"route": "number", "value": "7"}
        response = client.get("/numbers/abc")
    assert response.status_code == 404
    assert response.json() == {"type": "not-found", "title": "Not found", "status": 404}


def test_percent_encoded_path_matches_decoded() -> None:
    with TestClient(App()) as client:
        spaced = client.get("/files/hello%20world")
        accented = client.get("/files/caf%C3%A9")
        static = client.get("/users/%6De")  # %6D is 'm'
    assert spaced.json() == {"route": "file", "value": "hello world"}
    assert accented.json() == {"route": "file", "value": "café"}
    assert static.json() == {"route": "me", "value": ""}


def test_root_path_is_honoured_by_the_test_client() -> None:
    with TestClient(App(), root_path="/api") as client:
        assert client.get("/users/me").json() == {"route": "me", "value": ""}
        assert client.get("/users/7/posts").json() == {"route": "posts", "value": "7"}
        assert client.get("/").json() == {"route": "root", "value": ""}


def test_root_path_is_honoured_in_a_raw_scope() -> None:
    exchange = call(App(), "GET", "/api/users/5", root_path="/api")
    assert exchange.status == 200
    assert msgspec.json.decode(exchange.body) == {"route": "user", "value": "5"}


def test_a_thousand_resources_each_match_their_own_route() -> None:
    class ItemPath(msgspec.Struct):
        item_id: str

    class Item(msgspec.Struct):
        resource: int
        item_id: str

    def make_resource(index: int) -> Resource:
        class Generated(Resource, path=f"/r{index}/items"):
            async def read_one(self, path: ItemPath) -> Item:
                return Item(index, path.item_id)

        return Generated()

    many = app_of(*(make_resource(index) for index in range(1000)))
    with TestClient(many) as client:
        for index in (0, 500, 999):
            response = client.get(f"/r{index}/items/i{index}")
            assert response.json() == {"resource": index, "item_id": f"i{index}"}
        assert client.get("/r1000/items/x").status_code == 404
        assert client.get("/r5/items").status_code == 404


# --- RouteTrie directly -------------------------------------------------------------


def test_trie_static_path() -> None:
    trie: RouteTrie[str] = RouteTrie()
    trie.insert(["widgets"], "collection")
    assert trie.lookup("/widgets") == ("collection", ())
    assert trie.lookup("/widgets/") is None
    assert trie.lookup("/gadgets") is None


def test_trie_slot_values_in_order() -> None:
    trie: RouteTrie[str] = RouteTrie()
    trie.insert(["shops", None, "widgets", None], "item")
    found = trie.lookup("/shops/s1/widgets/w2")
    assert found is not None
    assert found[0] == "item"
    assert list(found[1]) == ["s1", "w2"]


def test_trie_static_wins_then_backtracks() -> None:
    trie: RouteTrie[str] = RouteTrie()
    trie.insert(["a", None], "slot")
    trie.insert(["a", "b", "c"], "deep static")  # makes a valueless static node at /a/b
    found = trie.lookup("/a/b")
    assert found is not None
    assert (found[0], list(found[1])) == ("slot", ["b"])
    assert trie.lookup("/a/b/c") == ("deep static", ())


def test_trie_slot_never_matches_an_empty_segment() -> None:
    trie: RouteTrie[str] = RouteTrie()
    trie.insert([None, "x"], "value")
    assert trie.lookup("//x") is None
    assert trie.lookup("x") is None
    found = trie.lookup("/y/x")
    assert found is not None
    assert list(found[1]) == ["y"]


def test_trie_node_for_shares_shapes() -> None:
    trie: RouteTrie[str] = RouteTrie()
    assert trie.node_for(["u", None]) is trie.node_for(["u", None])
    assert trie.node_for(["u", None]) is not trie.node_for(["u", "me"])


# --- methods ------------------------------------------------------------------------


def test_wrong_method_is_405_with_allow() -> None:
    with TestClient(App()) as client:
        post_only = client.get("/users")
        get_only = client.delete("/users/me")
    assert post_only.status_code == 405
    assert post_only.headers["allow"] == "OPTIONS, POST"
    assert post_only.headers["content-type"] == "application/problem+json"
    assert post_only.json()["type"] == "method-not-allowed"
    assert get_only.status_code == 405
    assert get_only.headers["allow"] == "GET, HEAD, OPTIONS"


def test_options_is_204_with_allow() -> None:
    with TestClient(App()) as client:
        response = client.options("/users/42")
        unknown = client.options("/nowhere")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.content == b""
    assert unknown.status_code == 404


def test_head_is_served_from_get_without_a_body() -> None:
    with TestClient(App()) as client:
        got = client.get("/users/42")
        head = client.head("/users/42")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["content-type"] == "application/json"


def test_head_problems_have_no_body() -> None:
    with TestClient(App()) as client:
        missing = client.head("/nowhere")
        not_allowed = client.head("/users")
    assert missing.status_code == 404
    assert missing.content == b""
    assert int(missing.headers["content-length"]) > 0
    assert not_allowed.status_code == 405
    assert not_allowed.headers["allow"] == "OPTIONS, POST"
    assert not_allowed.content == b""


def test_root_path_is_stripped_only_at_a_segment_boundary() -> None:
    class RootEndpoint(Endpoint, path="/ary"):
        async def get(self) -> str:
            return "ary"

    with TestClient(app_of(RootEndpoint()), root_path="/api") as client:
        assert client.get("/ary").text == "ary"
    assert call(app_of(RootEndpoint()), "GET", "/apiary", root_path="/api").status == 404


def test_percent_in_a_static_segment_is_a_wiring_error() -> None:
    class EncodedEndpoint(Endpoint, path="/a%20b"):
        async def get(self) -> str:
            return "x"

    wiring_error_of(app_of(EncodedEndpoint()), "without '%'")


SEGMENT = st.sampled_from(["a", "b", "items", "me", ""])
TEMPLATE = st.lists(st.one_of(st.none(), SEGMENT.filter(bool)), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(TEMPLATE, min_size=1, max_size=8),
    st.lists(SEGMENT, min_size=1, max_size=5),
)
def test_trie_shortcuts_answer_as_the_full_walk_would(
    templates: list[list[str | None]], segments: list[str]
) -> None:
    trie: RouteTrie[int] = RouteTrie()
    for index, template in enumerate(templates):
        trie.insert(template, index)
    path = "/" + "/".join(segments)
    expected = trie._search(trie._root, segments, 0, [])  # the reference walk
    found = trie.lookup(path)
    assert (None if found is None else (found[0], list(found[1]))) == (
        None if expected is None else (expected[0], list(expected[1]))
    )
    assert trie.lookup(path.lstrip("/")) is None
