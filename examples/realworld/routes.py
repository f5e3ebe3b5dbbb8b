"""The routes, as the RealWorld spec lists them, each handler one unit of work.

Every route takes the same `Services` (the database, the token issuer, the password
hasher), built by the factory and passed by hand in `_wire`. Authentication is declared
per mount: `auth=TokenAuth(...)`, with `public=` for what anonymous callers may read
(those handlers take `user: Viewer | None`).
"""

from __future__ import annotations

import dataclasses

from examples.bookshelf.database import Database
from jero import Endpoint, EndpointMeta, OperationMeta, Resource, ResourceMeta

from . import articles, users
from .errors import (
    ArticleNotFoundError,
    CommentNotFoundError,
    InvalidLoginError,
    NotAuthorError,
    ProfileNotFoundError,
    TakenError,
    TokenInvalidError,
)
from .models import (
    ArticlePath,
    ArticleQuery,
    CommentPath,
    Deleted,
    FeedQuery,
    LoginUserRequest,
    MultipleArticlesResponse,
    MultipleCommentsResponse,
    NewArticleRequest,
    NewCommentRequest,
    NewUserRequest,
    ProfilePath,
    ProfileResponse,
    SingleArticleResponse,
    SingleCommentResponse,
    TagsResponse,
    UpdateArticleRequest,
    UpdateUserRequest,
    User,
    UserResponse,
    Viewer,
)
from .tokens import Passwords, Tokens

API = "/api"
"""The spec's server URL: every path below is under it."""


@dataclasses.dataclass(frozen=True, slots=True)
class Services:
    database: Database
    tokens: Tokens
    passwords: Passwords

    def user(self, account: users.Account, token: str | None = None) -> UserResponse:
        if token is None:
            token = self.tokens.issue(account.id, account.username)
        return UserResponse(
            User(account.email, token, account.username, account.bio, account.image)
        )


class _Route:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._database = services.database


# --- users and authentication --------------------------------------------------------


class Users(
    _Route,
    Resource,
    path=f"{API}/users",
    meta=ResourceMeta(tags=["User and Authentication"]),
    meta_create=OperationMeta(summary="Register a new user", errors=[TakenError]),
):
    async def create(self, json: NewUserRequest) -> UserResponse:
        async with self._database.transaction() as tx:
            account = await users.register(tx, json.user, self._services.passwords)
        return self._services.user(account)


class Login(
    _Route,
    Endpoint,
    path=f"{API}/users/login",
    meta=EndpointMeta(tags=["User and Authentication"]),
    meta_post=OperationMeta(summary="Existing user login", errors=[InvalidLoginError]),
):
    async def post(self, json: LoginUserRequest) -> UserResponse:
        async with self._database.transaction(readonly=True) as tx:
            account = await users.login(tx, json.user.email, json.user.password)
        return self._services.user(account)


class CurrentUser(
    _Route,
    Endpoint,
    path=f"{API}/user",
    meta=EndpointMeta(
        tags=["User and Authentication"], errors=[TokenInvalidError, ProfileNotFoundError]
    ),
    meta_put=OperationMeta(errors=[TakenError]),
):
    async def get(self, user: Viewer) -> UserResponse:
        async with self._database.transaction(readonly=True) as tx:
            account = await users.account(tx, user.id)
        return self._services.user(account, user.token)

    async def put(self, user: Viewer, json: UpdateUserRequest) -> UserResponse:
        async with self._database.transaction() as tx:
            account = await users.update(tx, user.id, json.user, self._services.passwords)
        # A new username is a claim of the token: issue a fresh one.
        return self._services.user(account)


# --- profiles ----------------------------------------------------------------------


class Profiles(
    _Route,
    Endpoint,
    path=f"{API}/profiles/{{username}}",
    meta=EndpointMeta(tags=["Profile"], errors=[ProfileNotFoundError, TokenInvalidError]),
):
    async def get(self, path: ProfilePath, user: Viewer | None) -> ProfileResponse:
        async with self._database.transaction(readonly=True) as tx:
            _, profile = await users.profile(tx, path.username, user.id if user else None)
        return ProfileResponse(profile)


class Follow(
    _Route,
    Endpoint,
    path=f"{API}/profiles/{{username}}/follow",
    meta=EndpointMeta(tags=["Profile"], errors=[ProfileNotFoundError, TokenInvalidError]),
):
    async def post(self, path: ProfilePath, user: Viewer) -> ProfileResponse:
        async with self._database.transaction() as tx:
            return ProfileResponse(await users.follow(tx, user.id, path.username, on=True))

    async def delete(self, path: ProfilePath, user: Viewer) -> ProfileResponse:
        async with self._database.transaction() as tx:
            return ProfileResponse(await users.follow(tx, user.id, path.username, on=False))


# --- articles ----------------------------------------------------------------------


def _viewer(user: Viewer | None) -> int | None:
    return user.id if user is not None else None


class Articles(
    _Route,
    Resource,
    path=f"{API}/articles",
    meta=ResourceMeta(tags=["Articles"], errors=[TokenInvalidError]),
    meta_read_one=OperationMeta(errors=[ArticleNotFoundError]),
    meta_update_full=OperationMeta(errors=[ArticleNotFoundError, NotAuthorError]),
    meta_delete=OperationMeta(errors=[ArticleNotFoundError, NotAuthorError]),
):
    async def create(self, user: Viewer, json: NewArticleRequest) -> SingleArticleResponse:
        async with self._database.transaction() as tx:
            slug = await articles.create(tx, json.article, user.id)
            return SingleArticleResponse(await articles.get(tx, slug, user.id))

    async def read_many(
        self, params: ArticleQuery, user: Viewer | None
    ) -> MultipleArticlesResponse:
        async with self._database.transaction(readonly=True) as tx:
            found, count = await articles.page(tx, params, _viewer(user))
        return MultipleArticlesResponse(found, count)

    async def read_one(self, path: ArticlePath, user: Viewer | None) -> SingleArticleResponse:
        async with self._database.transaction(readonly=True) as tx:
            return SingleArticleResponse(await articles.get(tx, path.slug, _viewer(user)))

    async def update_full(
        self, path: ArticlePath, user: Viewer, json: UpdateArticleRequest
    ) -> SingleArticleResponse:
        async with self._database.transaction() as tx:
            slug = await articles.update(tx, path.slug, json.article, user.id)
            return SingleArticleResponse(await articles.get(tx, slug, user.id))

    async def delete(self, path: ArticlePath, user: Viewer) -> Deleted:
        async with self._database.transaction() as tx:
            await articles.delete(tx, path.slug, user.id)
        return Deleted()


class Feed(
    _Route,
    Endpoint,
    path=f"{API}/articles/feed",
    meta=EndpointMeta(tags=["Articles"], errors=[TokenInvalidError]),
):
    async def get(self, params: FeedQuery, user: Viewer) -> MultipleArticlesResponse:
        query = ArticleQuery(limit=params.limit, offset=params.offset)
        async with self._database.transaction(readonly=True) as tx:
            found, count = await articles.page(tx, query, user.id, feed=True)
        return MultipleArticlesResponse(found, count)


class Favorite(
    _Route,
    Endpoint,
    path=f"{API}/articles/{{slug}}/favorite",
    meta=EndpointMeta(tags=["Favorites"], errors=[ArticleNotFoundError, TokenInvalidError]),
):
    async def post(self, path: ArticlePath, user: Viewer) -> SingleArticleResponse:
        async with self._database.transaction() as tx:
            return SingleArticleResponse(await articles.favorite(tx, path.slug, user.id, on=True))

    async def delete(self, path: ArticlePath, user: Viewer) -> SingleArticleResponse:
        async with self._database.transaction() as tx:
            article = await articles.favorite(tx, path.slug, user.id, on=False)
            return SingleArticleResponse(article)


class Comments(
    _Route,
    Resource,
    path=f"{API}/articles/{{slug}}/comments",
    meta=ResourceMeta(tags=["Comments"], errors=[ArticleNotFoundError, TokenInvalidError]),
    # The spec answers a new comment with 200, not 201: declared, so every tool sees it.
    meta_create=OperationMeta(status=200),
    meta_delete=OperationMeta(errors=[CommentNotFoundError, NotAuthorError]),
):
    async def create(
        self, path: ArticlePath, user: Viewer, json: NewCommentRequest
    ) -> SingleCommentResponse:
        async with self._database.transaction() as tx:
            comment = await articles.add_comment(tx, path.slug, json.comment, user.id)
        return SingleCommentResponse(comment)

    async def read_many(self, path: ArticlePath, user: Viewer | None) -> MultipleCommentsResponse:
        async with self._database.transaction(readonly=True) as tx:
            return MultipleCommentsResponse(await articles.comments(tx, path.slug, _viewer(user)))

    async def delete(self, path: CommentPath, user: Viewer) -> Deleted:
        async with self._database.transaction() as tx:
            await articles.delete_comment(tx, path.slug, path.id, user.id)
        return Deleted()


class Tags(_Route, Endpoint, path=f"{API}/tags", meta=EndpointMeta(tags=["Tags"])):
    async def get(self) -> TagsResponse:
        async with self._database.transaction(readonly=True) as tx:
            return TagsResponse(await articles.tags(tx))
