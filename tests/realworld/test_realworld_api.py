"""The RealWorld example, every endpoint and its error paths, on SQLite and PostgreSQL
(written from the public RealWorld API spec: bodies, statuses, the error format)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jero.testing import TestClient
from tests.postgres_server import PostgresServer
from tests.realworld.realworld_support import Conduit, conduit, errors

pytestmark = pytest.mark.server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'conduit.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_schema()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(conduit(database_url)) as client:
        yield client


def test_register_login_and_the_current_user(client: TestClient) -> None:
    new = {"username": "jake", "email": "jake@jake.jake", "password": "jakejake"}
    registered = client.post("/api/users", json={"user": new})
    assert registered.status_code == 201
    user = registered.json()["user"]
    assert {k: user[k] for k in ("email", "username", "bio", "image")} == {
        "email": "jake@jake.jake",
        "username": "jake",
        "bio": None,
        "image": None,
    }
    login = {"user": {"email": "jake@jake.jake", "password": "jakejake"}}
    logged_in = client.post("/api/users/login", json=login)
    assert logged_in.status_code == 200
    token = logged_in.json()["user"]["token"]
    me = client.get("/api/user", headers={"Authorization": f"Token {token}"})
    assert me.status_code == 200
    assert me.json()["user"]["token"] == token
    assert me.json()["user"]["username"] == "jake"


def test_registration_errors(client: TestClient) -> None:
    Conduit(client).register("jake")
    taken = {"username": "jake", "email": "other@example.org", "password": "x"}
    response = client.post("/api/users", json={"user": taken})
    assert (response.status_code, errors(response)) == (409, ["username has already been taken"])
    taken = {"username": "other", "email": "jake@example.org", "password": "x"}
    response = client.post("/api/users", json={"user": taken})
    assert (response.status_code, errors(response)) == (409, ["email has already been taken"])
    blank = client.post(
        "/api/users", json={"user": {"username": "", "email": "a", "password": "b"}}
    )
    assert (blank.status_code, errors(blank)) == (422, ["username can't be blank"])
    missing = client.post("/api/users", json={"user": {"username": "a", "password": "b"}})
    assert (missing.status_code, errors(missing)) == (422, ["email can't be blank"])
    malformed = client.post(
        "/api/users", content=b"{", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422
    assert len(errors(malformed)) == 1


def test_login_errors(client: TestClient) -> None:
    Conduit(client).register("jake")
    wrong = {"user": {"email": "jake@example.org", "password": "nope"}}
    response = client.post("/api/users/login", json=wrong)
    assert (response.status_code, errors(response)) == (401, ["email or password is invalid"])
    unknown = {"user": {"email": "who@example.org", "password": "nope"}}
    assert client.post("/api/users/login", json=unknown).status_code == 401
    blank = client.post("/api/users/login", json={"user": {"email": "", "password": "x"}})
    assert (blank.status_code, errors(blank)) == (422, ["email can't be blank"])


def test_authentication_errors(client: TestClient) -> None:
    auth = Conduit(client).register("jake")
    token = auth["Authorization"].removeprefix("Token ")
    missing = client.get("/api/user")
    assert (missing.status_code, errors(missing)) == (401, ["Authentication required"])
    assert missing.headers["www-authenticate"] == "Token"
    bearer = client.get("/api/user", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 401
    forged = client.get("/api/user", headers={"Authorization": f"Token {token[:-2]}xx"})
    assert (forged.status_code, errors(forged)) == (401, ["token is invalid or expired"])
    garbage = client.get("/api/user", headers={"Authorization": "Token abc"})
    assert garbage.status_code == 401


def test_update_the_current_user(client: TestClient) -> None:
    conduit = Conduit(client)
    auth = conduit.register("jake")
    conduit.register("taken")
    change = {"user": {"bio": "I like to skateboard", "image": "https://i.example/j.png"}}
    updated = client.put("/api/user", json=change, headers=auth)
    assert updated.status_code == 200
    assert updated.json()["user"]["bio"] == "I like to skateboard"
    renamed = client.put("/api/user", json={"user": {"username": "jacob"}}, headers=auth)
    assert renamed.json()["user"]["username"] == "jacob"
    new_auth = {"Authorization": f"Token {renamed.json()['user']['token']}"}
    assert client.get("/api/user", headers=new_auth).json()["user"]["image"] == (
        "https://i.example/j.png"
    )
    cleared = client.put("/api/user", json={"user": {"bio": None}}, headers=auth)
    assert cleared.json()["user"]["bio"] is None
    password = client.put("/api/user", json={"user": {"password": "new-pw"}}, headers=auth)
    assert password.status_code == 200
    login = {"user": {"email": "jake@example.org", "password": "new-pw"}}
    assert client.post("/api/users/login", json=login).status_code == 200
    empty = client.put("/api/user", json={"user": {}}, headers=auth)
    assert (empty.status_code, empty.json()["user"]["username"]) == (200, "jacob")
    clash = client.put("/api/user", json={"user": {"username": "taken"}}, headers=auth)
    assert (clash.status_code, errors(clash)) == (409, ["username has already been taken"])
    assert client.put("/api/user", json={"user": {"bio": "x"}}).status_code == 401


def test_profiles_and_follows(client: TestClient) -> None:
    conduit = Conduit(client)
    jake, celeb = conduit.register("jake"), conduit.register("celeb")
    anonymous = client.get("/api/profiles/celeb")
    assert anonymous.json() == {
        "profile": {"username": "celeb", "bio": None, "image": None, "following": False}
    }
    followed = client.post("/api/profiles/celeb/follow", headers=jake)
    assert (followed.status_code, followed.json()["profile"]["following"]) == (200, True)
    again = client.post("/api/profiles/celeb/follow", headers=jake)
    assert again.json()["profile"]["following"] is True
    assert client.get("/api/profiles/celeb", headers=jake).json()["profile"]["following"]
    assert not client.get("/api/profiles/celeb", headers=celeb).json()["profile"]["following"]
    unfollowed = client.delete("/api/profiles/celeb/follow", headers=jake)
    assert unfollowed.json()["profile"]["following"] is False
    missing = client.get("/api/profiles/nobody")
    assert (missing.status_code, errors(missing)) == (404, ["profile not found"])
    assert client.post("/api/profiles/nobody/follow", headers=jake).status_code == 404
    assert client.post("/api/profiles/celeb/follow").status_code == 401
    self_follow = client.post("/api/profiles/jake/follow", headers=jake)
    assert self_follow.json()["profile"]["following"] is False


def test_articles_crud(client: TestClient) -> None:
    conduit = Conduit(client)
    jake, other = conduit.register("jake"), conduit.register("other")
    article = {
        "title": "How to train your dragon",
        "description": "Ever wonder how?",
        "body": "You have to believe",
        "tagList": ["dragons", "training"],
    }
    created = client.post("/api/articles", json={"article": article}, headers=jake)
    assert created.status_code == 201
    body = created.json()["article"]
    assert body["slug"] == "how-to-train-your-dragon"
    assert body["tagList"] == ["dragons", "training"]
    assert (body["favorited"], body["favoritesCount"]) == (False, 0)
    assert body["author"] == {"username": "jake", "bio": None, "image": None, "following": False}
    assert body["createdAt"] == body["updatedAt"] and body["createdAt"].endswith("Z")
    same_title = client.post("/api/articles", json={"article": article}, headers=other)
    assert same_title.json()["article"]["slug"].startswith("how-to-train-your-dragon-")

    fetched = client.get("/api/articles/how-to-train-your-dragon")
    assert fetched.status_code == 200 and fetched.json()["article"]["title"] == article["title"]

    change = {"article": {"title": "Did you train your dragon?"}}
    updated = client.put("/api/articles/how-to-train-your-dragon", json=change, headers=jake)
    assert updated.status_code == 200
    assert updated.json()["article"]["slug"] == "did-you-train-your-dragon"
    assert updated.json()["article"]["body"] == "You have to believe"
    assert client.get("/api/articles/how-to-train-your-dragon").status_code == 404

    not_mine = client.put("/api/articles/did-you-train-your-dragon", json=change, headers=other)
    assert (not_mine.status_code, errors(not_mine)) == (
        403,
        ["only the author may change or delete this"],
    )
    assert (
        client.delete("/api/articles/did-you-train-your-dragon", headers=other).status_code == 403
    )
    deleted = client.delete("/api/articles/did-you-train-your-dragon", headers=jake)
    assert (deleted.status_code, deleted.json()) == (200, {})
    missing = client.get("/api/articles/did-you-train-your-dragon")
    assert (missing.status_code, errors(missing)) == (404, ["article not found"])
    assert client.delete("/api/articles/nothing", headers=jake).status_code == 404


def test_article_input_errors(client: TestClient) -> None:
    jake = Conduit(client).register("jake")
    blank = {"article": {"title": "", "description": "d", "body": "b"}}
    response = client.post("/api/articles", json=blank, headers=jake)
    assert (response.status_code, errors(response)) == (422, ["title can't be blank"])
    missing = client.post("/api/articles", json={"article": {"title": "t"}}, headers=jake)
    assert (missing.status_code, errors(missing)) == (422, ["description can't be blank"])
    wrong_type = {"article": {"title": "t", "description": "d", "body": "b", "tagList": "x"}}
    response = client.post("/api/articles", json=wrong_type, headers=jake)
    assert response.status_code == 422
    assert errors(response)[0].startswith("tagList is invalid")
    anonymous = {"article": {"title": "t", "description": "d", "body": "b"}}
    assert client.post("/api/articles", json=anonymous).status_code == 401


def test_listing_filters_and_pages(client: TestClient) -> None:
    conduit = Conduit(client)
    jake, ann = conduit.register("jake"), conduit.register("ann")
    for n in range(5):
        conduit.write(jake, f"Jake {n}", ["jake", "even" if n % 2 == 0 else "odd"])
    conduit.write(ann, "Ann 0", ["ann"])
    client.post("/api/articles/jake-1/favorite", headers=ann)

    listing = client.get("/api/articles").json()
    assert listing["articlesCount"] == 6
    assert [a["slug"] for a in listing["articles"]] == [
        "ann-0", "jake-4", "jake-3", "jake-2", "jake-1", "jake-0"
    ]  # fmt: skip
    page = client.get("/api/articles?limit=2&offset=1").json()
    assert ([a["slug"] for a in page["articles"]], page["articlesCount"]) == (
        ["jake-4", "jake-3"],
        6,
    )
    by_tag = client.get("/api/articles?tag=even").json()
    assert [a["slug"] for a in by_tag["articles"]] == ["jake-4", "jake-2", "jake-0"]
    assert by_tag["articlesCount"] == 3
    by_author = client.get("/api/articles?author=ann").json()
    assert [a["slug"] for a in by_author["articles"]] == ["ann-0"]
    favorited = client.get("/api/articles?favorited=ann", headers=ann).json()
    assert [(a["slug"], a["favorited"]) for a in favorited["articles"]] == [("jake-1", True)]
    both = client.get("/api/articles?author=jake&tag=odd&limit=1").json()
    assert ([a["slug"] for a in both["articles"]], both["articlesCount"]) == (["jake-3"], 2)
    assert client.get("/api/articles?tag=none").json() == {"articles": [], "articlesCount": 0}
    for bad in ("limit=0", "limit=x", "offset=-1", "limit=1000"):
        response = client.get(f"/api/articles?{bad}")
        assert response.status_code == 422, bad
        assert errors(response)[0].startswith(bad.split("=")[0])


def test_feed(client: TestClient) -> None:
    conduit = Conduit(client)
    reader, jake, ann = (
        conduit.register("reader"),
        conduit.register("jake"),
        conduit.register("ann"),
    )
    conduit.write(jake, "Jake 0")
    conduit.write(ann, "Ann 0")
    conduit.write(jake, "Jake 1")
    assert client.get("/api/articles/feed", headers=reader).json() == {
        "articles": [],
        "articlesCount": 0,
    }
    client.post("/api/profiles/jake/follow", headers=reader)
    feed = client.get("/api/articles/feed", headers=reader).json()
    assert [a["slug"] for a in feed["articles"]] == ["jake-1", "jake-0"]
    assert all(a["author"]["following"] for a in feed["articles"])
    assert feed["articlesCount"] == 2
    paged = client.get("/api/articles/feed?limit=1&offset=1", headers=reader).json()
    assert [a["slug"] for a in paged["articles"]] == ["jake-0"]
    assert client.get("/api/articles/feed").status_code == 401
    assert client.get("/api/articles/feed?limit=-1", headers=reader).status_code == 422


def test_favourites(client: TestClient) -> None:
    conduit = Conduit(client)
    jake, ann = conduit.register("jake"), conduit.register("ann")
    slug = conduit.write(jake, "Dragons")
    liked = client.post(f"/api/articles/{slug}/favorite", headers=ann)
    assert liked.status_code == 200
    assert (liked.json()["article"]["favorited"], liked.json()["article"]["favoritesCount"]) == (
        True,
        1,
    )
    twice = client.post(f"/api/articles/{slug}/favorite", headers=ann)
    assert twice.json()["article"]["favoritesCount"] == 1
    seen_by_jake = client.get(f"/api/articles/{slug}", headers=jake).json()["article"]
    assert (seen_by_jake["favorited"], seen_by_jake["favoritesCount"]) == (False, 1)
    unliked = client.delete(f"/api/articles/{slug}/favorite", headers=ann)
    assert unliked.json()["article"]["favorited"] is False
    assert unliked.json()["article"]["favoritesCount"] == 0
    assert client.post("/api/articles/nothing/favorite", headers=ann).status_code == 404
    assert client.post(f"/api/articles/{slug}/favorite").status_code == 401


def test_comments(client: TestClient) -> None:
    conduit = Conduit(client)
    jake, ann = conduit.register("jake"), conduit.register("ann")
    slug = conduit.write(jake, "Dragons")
    added = client.post(
        f"/api/articles/{slug}/comments",
        json={"comment": {"body": "Thank you so much!"}},
        headers=ann,
    )
    assert added.status_code == 200
    comment = added.json()["comment"]
    assert comment["body"] == "Thank you so much!"
    assert comment["author"]["username"] == "ann"
    listed = client.get(f"/api/articles/{slug}/comments").json()["comments"]
    assert [c["id"] for c in listed] == [comment["id"]]
    blank = client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": ""}}, headers=ann
    )
    assert (blank.status_code, errors(blank)) == (422, ["body can't be blank"])
    nowhere = client.post(
        "/api/articles/nothing/comments", json={"comment": {"body": "x"}}, headers=ann
    )
    assert (nowhere.status_code, errors(nowhere)) == (404, ["article not found"])
    assert client.get("/api/articles/nothing/comments").status_code == 404
    comment_path = f"/api/articles/{slug}/comments/{comment['id']}"
    not_mine = client.delete(comment_path, headers=jake)
    assert (not_mine.status_code, errors(not_mine)) == (
        403,
        ["only the author may change or delete this"],
    )
    assert client.delete(comment_path).status_code == 401
    removed = client.delete(comment_path, headers=ann)
    assert (removed.status_code, removed.json()) == (200, {})
    gone = client.delete(comment_path, headers=ann)
    assert (gone.status_code, errors(gone)) == (404, ["comment not found"])
    not_a_number = client.delete(f"/api/articles/{slug}/comments/one", headers=ann)
    assert not_a_number.status_code == 422
    assert client.get(f"/api/articles/{slug}/comments").json() == {"comments": []}


def test_tags(client: TestClient) -> None:
    conduit = Conduit(client)
    assert client.get("/api/tags").json() == {"tags": []}
    jake = conduit.register("jake")
    conduit.write(jake, "One", ["dragons", "training"])
    conduit.write(jake, "Two", ["dragons", "angular"])
    assert client.get("/api/tags").json() == {"tags": ["angular", "dragons", "training"]}


def test_unknown_paths_and_methods_answer_the_spec_body(client: TestClient) -> None:
    missing = client.get("/api/nowhere")
    assert (missing.status_code, errors(missing)) == (404, ["Not found"])
    wrong_method = client.patch("/api/tags")
    assert (wrong_method.status_code, errors(wrong_method)) == (405, ["Method not allowed"])


def test_the_typed_client_reads_the_spec_errors_back(client: TestClient) -> None:
    from examples.realworld.errors import ArticleNotFoundError, ConduitErrors, NotAuthorError
    from examples.realworld.models import ArticlePath, UpdateArticle, UpdateArticleRequest
    from examples.realworld.routes import Articles, Comments
    from jero import NotFoundError
    from jero.client import Client

    conduit = Conduit(client)
    jake, ann = conduit.register("jake"), conduit.register("ann")
    slug = conduit.write(jake, "Dragons")
    typed = Client(Articles, Comments, http=client, error_format=ConduitErrors())
    found = typed.call(Articles.read_one, path=ArticlePath(slug))
    assert found.article.title == "Dragons"
    with pytest.raises(ArticleNotFoundError):
        typed.call(Articles.read_one, path=ArticlePath("nothing"))
    client.headers.update(ann)
    try:
        change = UpdateArticleRequest(UpdateArticle(title="Mine now"))
        with pytest.raises(NotAuthorError):
            typed.call(Articles.update_full, path=ArticlePath(slug), json=change)
    finally:
        del client.headers["Authorization"]
    with pytest.raises(NotFoundError):
        typed.call(Comments.read_many, path=ArticlePath("nothing"))


def test_text_the_database_cannot_store_is_refused_on_both_backends(client: TestClient) -> None:
    jake = Conduit(client).register("jake")
    nul = client.get("/api/articles?favorited=a%00b")
    assert nul.status_code == 422
    assert errors(nul)[0].startswith("favorited is invalid")
    assert client.get("/api/profiles/a%00b").status_code == 422
    article = {"article": {"title": "a\u0000b", "description": "d", "body": "b"}}
    assert client.post("/api/articles", json=article, headers=jake).status_code == 422
