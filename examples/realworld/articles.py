"""Articles with their tags and favourites, and their comments: every statement, inside
the caller's transaction. One query builds a page of articles with everything the viewer
sees (author, following, favourited, count); a second fetches the page's tags."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from msgspec import UNSET

from examples.bookshelf.database import Row, Transaction

from .errors import ArticleNotFoundError, CommentNotFoundError, NotAuthorError
from .models import (
    Article,
    ArticleQuery,
    Comment,
    NewArticle,
    NewComment,
    Profile,
    UpdateArticle,
)

ARTICLE_SELECT = """
SELECT a.id, a.slug, a.title, a.description, a.body, a.created_at, a.updated_at,
       u.username, u.bio, u.image,
       EXISTS (SELECT 1 FROM follows w WHERE w.follower_id = $1 AND w.followee_id = a.author_id),
       EXISTS (SELECT 1 FROM favorites f WHERE f.user_id = $1 AND f.article_id = a.id),
       (SELECT COUNT(*) FROM favorites f WHERE f.article_id = a.id),
       a.author_id
FROM articles a JOIN users u ON u.id = a.author_id
"""


def now() -> str:
    """UTC, ISO 8601 with milliseconds: text that sorts as time does, on both backends."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug or "article"


async def _free_slug(tx: Transaction, title: str, article_id: int = 0) -> str:
    """The title's slug, with a short random suffix when another article has it."""
    slug = slugify(title)
    while await tx.fetch_one(
        "SELECT 1 FROM articles WHERE slug = $1 AND id <> $2", slug, article_id
    ):
        slug = f"{slugify(title)}-{secrets.token_hex(3)}"
    return slug


class Found:
    """One article row, before its tags are attached."""

    __slots__ = ("article", "author_id", "id")

    def __init__(self, row: Row) -> None:
        (id_, slug, title, description, body, created, updated, username, bio, image) = row[:10]
        following, favorited, count, author_id = row[10:]
        author = Profile(username, bio, image, bool(following))
        self.id, self.author_id = id_, author_id
        self.article = Article(
            slug,
            title,
            description,
            body,
            [],
            datetime.fromisoformat(created),
            datetime.fromisoformat(updated),
            bool(favorited),
            int(count),
            author,
        )


async def _with_tags(tx: Transaction, found: list[Found]) -> list[Article]:
    if not found:
        return []
    marks = ", ".join(f"${i}" for i in range(1, len(found) + 1))
    rows = await tx.fetch(
        f"SELECT article_id, tag FROM article_tags WHERE article_id IN ({marks}) "
        f"ORDER BY article_id, position",
        *(f.id for f in found),
    )
    tags: dict[int, list[str]] = {}
    for article_id, tag in rows:
        tags.setdefault(article_id, []).append(tag)
    for each in found:
        each.article.tag_list = tags.get(each.id, [])
    return [each.article for each in found]


async def _found(tx: Transaction, slug: str, viewer_id: int | None) -> Found:
    row = await tx.fetch_one(ARTICLE_SELECT + "WHERE a.slug = $2", viewer_id or 0, slug)
    if row is None:
        raise ArticleNotFoundError()
    return Found(row)


async def get(tx: Transaction, slug: str, viewer_id: int | None) -> Article:
    (article,) = await _with_tags(tx, [await _found(tx, slug, viewer_id)])
    return article


async def page(
    tx: Transaction, query: ArticleQuery, viewer_id: int | None, *, feed: bool = False
) -> tuple[list[Article], int]:
    """A page of articles, newest first, and how many match in all."""
    conditions: list[str] = []
    args: list[object] = [viewer_id or 0]
    if feed:
        conditions.append("a.author_id IN (SELECT followee_id FROM follows WHERE follower_id = $1)")
    if query.tag is not None:
        args.append(query.tag)
        conditions.append(
            "EXISTS (SELECT 1 FROM article_tags t "
            f"WHERE t.article_id = a.id AND t.tag = ${len(args)})"
        )
    if query.author is not None:
        args.append(query.author)
        conditions.append(f"u.username = ${len(args)}")
    if query.favorited is not None:
        args.append(query.favorited)
        conditions.append(
            "EXISTS (SELECT 1 FROM favorites f JOIN users fu ON fu.id = f.user_id "
            f"WHERE f.article_id = a.id AND fu.username = ${len(args)})"
        )
    where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
    total = await tx.fetch_one(f"SELECT COUNT(*) FROM ({ARTICLE_SELECT}{where}) matching", *args)
    limit, offset = len(args) + 1, len(args) + 2
    rows = await tx.fetch(
        ARTICLE_SELECT
        + where
        + f"ORDER BY a.created_at DESC, a.id DESC LIMIT ${limit} OFFSET ${offset}",
        *args,
        query.limit,
        query.offset,
    )
    articles = await _with_tags(tx, [Found(row) for row in rows])
    return articles, int(total[0]) if total else 0


async def create(tx: Transaction, new: NewArticle, author_id: int) -> str:
    stamp = now()
    row = await tx.fetch_one(
        "INSERT INTO articles (slug, title, description, body, author_id, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id, slug",
        await _free_slug(tx, new.title),
        new.title,
        new.description,
        new.body,
        author_id,
        stamp,
    )
    assert row is not None
    for position, tag in enumerate(dict.fromkeys(new.tag_list)):
        await tx.execute(
            "INSERT INTO article_tags (article_id, position, tag) VALUES ($1, $2, $3)",
            row[0],
            position,
            tag,
        )
    return row[1]


async def _owned(tx: Transaction, slug: str, user_id: int) -> Found:
    found = await _found(tx, slug, user_id)
    if found.author_id != user_id:
        raise NotAuthorError()
    return found


async def update(tx: Transaction, slug: str, changes: UpdateArticle, user_id: int) -> str:
    found = await _owned(tx, slug, user_id)
    article = found.article
    title = article.title if changes.title is UNSET else changes.title
    new_slug = article.slug if changes.title is UNSET else await _free_slug(tx, title, found.id)
    await tx.execute(
        "UPDATE articles SET slug = $2, title = $3, description = $4, body = $5, "
        "updated_at = $6 WHERE id = $1",
        found.id,
        new_slug,
        title,
        article.description if changes.description is UNSET else changes.description,
        article.body if changes.body is UNSET else changes.body,
        now(),
    )
    return new_slug


async def delete(tx: Transaction, slug: str, user_id: int) -> None:
    found = await _owned(tx, slug, user_id)
    await tx.execute("DELETE FROM articles WHERE id = $1", found.id)


async def favorite(tx: Transaction, slug: str, user_id: int, *, on: bool) -> Article:
    found = await _found(tx, slug, user_id)
    if on and not found.article.favorited:
        await tx.execute(
            "INSERT INTO favorites (user_id, article_id) VALUES ($1, $2)", user_id, found.id
        )
    elif not on and found.article.favorited:
        await tx.execute(
            "DELETE FROM favorites WHERE user_id = $1 AND article_id = $2", user_id, found.id
        )
    return await get(tx, slug, user_id)


async def tags(tx: Transaction) -> list[str]:
    rows = await tx.fetch("SELECT DISTINCT tag FROM article_tags ORDER BY tag")
    return [tag for (tag,) in rows]


# --- comments ------------------------------------------------------------------------

COMMENT_SELECT = """
SELECT c.id, c.created_at, c.updated_at, c.body, u.username, u.bio, u.image,
       EXISTS (SELECT 1 FROM follows w WHERE w.follower_id = $1 AND w.followee_id = c.author_id)
FROM comments c JOIN users u ON u.id = c.author_id
"""


def _comment(row: Row) -> Comment:
    id_, created, updated, body, username, bio, image, following = row
    author = Profile(username, bio, image, bool(following))
    return Comment(
        id_, datetime.fromisoformat(created), datetime.fromisoformat(updated), body, author
    )


async def comments(tx: Transaction, slug: str, viewer_id: int | None) -> list[Comment]:
    found = await _found(tx, slug, viewer_id)
    rows = await tx.fetch(
        COMMENT_SELECT + "WHERE c.article_id = $2 ORDER BY c.id", viewer_id or 0, found.id
    )
    return [_comment(row) for row in rows]


async def add_comment(tx: Transaction, slug: str, new: NewComment, user_id: int) -> Comment:
    found = await _found(tx, slug, user_id)
    stamp = now()
    row = await tx.fetch_one(
        "INSERT INTO comments (article_id, author_id, body, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $4) RETURNING id",
        found.id,
        user_id,
        new.body,
        stamp,
    )
    assert row is not None
    added = await tx.fetch_one(COMMENT_SELECT + "WHERE c.id = $2", user_id, row[0])
    assert added is not None
    return _comment(added)


async def delete_comment(tx: Transaction, slug: str, comment_id: int, user_id: int) -> None:
    found = await _found(tx, slug, user_id)
    row = await tx.fetch_one(
        "SELECT author_id FROM comments WHERE id = $1 AND article_id = $2", comment_id, found.id
    )
    if row is None:
        raise CommentNotFoundError()
    if row[0] != user_id:
        raise NotAuthorError()
    await tx.execute("DELETE FROM comments WHERE id = $1", comment_id)
