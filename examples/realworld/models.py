"""The RealWorld ("Conduit") API's bodies, as its public spec names them.

Every body is wrapped in one key (`{"user": {...}}`, `{"article": {...}}`); fields travel
in camelCase (`tagList`, `createdAt`). Constraints say what "blank" means once, so a
missing or empty field is answered by the error format, not checked in a handler.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

_NO_NUL = r"^[^\x00]*$"
"""PostgreSQL text cannot hold a NUL character: refused at the door, on both backends."""

type Plain = Annotated[str, Meta(pattern=_NO_NUL)]
"""Any text the database can store."""
type Text = Annotated[str, Meta(min_length=1, pattern=_NO_NUL)]
"""A field that can't be blank."""
type Limit = Annotated[int, Meta(ge=1, le=100)]
type Offset = Annotated[int, Meta(ge=0, le=2**31 - 1)]
type Id = Annotated[int, Meta(ge=1, le=2**53)]
"""A database id: bounded, so every value a client can send fits both backends."""


class Camel(Struct, rename="camel"):
    """Bodies travel in camelCase."""


# --- users -----------------------------------------------------------------------------


class NewUser(Camel):
    username: Text
    email: Text
    password: Text


class NewUserRequest(Camel):
    user: NewUser


class LoginUser(Camel):
    email: Text
    password: Text


class LoginUserRequest(Camel):
    user: LoginUser


class UpdateUser(Camel):
    """At least one field; an absent field is left as it is, `null` clears bio and image."""

    email: Text | UnsetType = UNSET
    username: Text | UnsetType = UNSET
    password: Text | UnsetType = UNSET
    bio: str | UnsetType | None = UNSET
    image: str | UnsetType | None = UNSET


class UpdateUserRequest(Camel):
    user: UpdateUser


class User(Camel):
    email: str
    token: str
    username: str
    bio: str | None
    image: str | None


class UserResponse(Camel):
    user: User


class Viewer(Struct, frozen=True):
    """Who is calling, as the `Token` authenticator resolved them."""

    id: int
    username: str
    token: str


# --- profiles --------------------------------------------------------------------------


class ProfilePath(Camel):
    username: Plain


class Profile(Camel):
    username: str
    bio: str | None
    image: str | None
    following: bool


class ProfileResponse(Camel):
    profile: Profile


# --- articles --------------------------------------------------------------------------


class NewArticle(Camel):
    title: Text
    description: Text
    body: Text
    tag_list: list[Text] = []


class NewArticleRequest(Camel):
    article: NewArticle


class UpdateArticle(Camel):
    title: Text | UnsetType = UNSET
    description: Text | UnsetType = UNSET
    body: Text | UnsetType = UNSET


class UpdateArticleRequest(Camel):
    article: UpdateArticle


class Article(Camel):
    slug: str
    title: str
    description: str
    body: str
    tag_list: list[str]
    created_at: datetime
    updated_at: datetime
    favorited: bool
    favorites_count: int
    author: Profile


class SingleArticleResponse(Camel):
    article: Article


class MultipleArticlesResponse(Camel):
    articles: list[Article]
    articles_count: int


class ArticlePath(Camel):
    slug: Plain


class Query(Struct, rename="camel", forbid_unknown_fields=True):
    """Query strings refuse keys they do not name (a typo is a 422, not ignored)."""


class ArticleQuery(Query):
    tag: Plain | None = None
    author: Plain | None = None
    favorited: Plain | None = None
    limit: Limit = 20
    offset: Offset = 0


class FeedQuery(Query):
    limit: Limit = 20
    offset: Offset = 0


class Deleted(Struct):
    """The empty JSON object a successful DELETE answers (200)."""


# --- comments --------------------------------------------------------------------------


class NewComment(Camel):
    body: Text


class NewCommentRequest(Camel):
    comment: NewComment


class Comment(Camel):
    id: int
    created_at: datetime
    updated_at: datetime
    body: str
    author: Profile


class SingleCommentResponse(Camel):
    comment: Comment


class MultipleCommentsResponse(Camel):
    comments: list[Comment]


class CommentPath(Camel):
    slug: Plain
    id: Id


class TagsResponse(Camel):
    tags: list[str]
