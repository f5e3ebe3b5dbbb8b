"""Users, their profiles and whom they follow: every statement, inside the caller's
transaction (the bookshelf's pattern: a handler decides what one unit of work is)."""

from __future__ import annotations

from msgspec import UNSET

from examples.bookshelf.database import Row, Transaction, UniqueViolation

from .errors import InvalidLoginError, ProfileNotFoundError, Taken, TakenError
from .models import NewUser, Profile, UpdateUser
from .tokens import Passwords

USER_COLUMNS = "id, username, email, bio, image"


class Account:
    """A user row (without the password hash)."""

    __slots__ = ("bio", "email", "id", "image", "username")

    def __init__(self, row: Row) -> None:
        self.id, self.username, self.email, self.bio, self.image = row


def _taken(error: UniqueViolation) -> TakenError:
    return TakenError(Taken(error.column.rsplit(".", 1)[-1]))


async def register(tx: Transaction, new: NewUser, passwords: Passwords) -> Account:
    try:
        row = await tx.fetch_one(
            f"INSERT INTO users (username, email, password_hash) VALUES ($1, $2, $3) "
            f"RETURNING {USER_COLUMNS}",
            new.username,
            new.email,
            passwords.hash(new.password),
        )
    except UniqueViolation as error:
        raise _taken(error) from None
    assert row is not None
    return Account(row)


async def login(tx: Transaction, email: str, password: str) -> Account:
    row = await tx.fetch_one(
        f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1", email
    )
    if row is None or not Passwords.verify(password, row[-1]):
        raise InvalidLoginError()
    return Account(row[:-1])


async def account(tx: Transaction, user_id: int) -> Account:
    row = await tx.fetch_one(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1", user_id)
    if row is None:  # the token outlived its user
        raise ProfileNotFoundError()
    return Account(row)


async def update(
    tx: Transaction, user_id: int, changes: UpdateUser, passwords: Passwords
) -> Account:
    columns: list[tuple[str, object]] = [
        (name, value)
        for name in ("email", "username", "bio", "image")
        if (value := getattr(changes, name)) is not UNSET
    ]
    if isinstance(changes.password, str):
        columns.append(("password_hash", passwords.hash(changes.password)))
    if not columns:  # nothing to change: the schema cannot say "at least one field"
        return await account(tx, user_id)
    assignments = ", ".join(f"{name} = ${i}" for i, (name, _) in enumerate(columns, 2))
    try:
        row = await tx.fetch_one(
            f"UPDATE users SET {assignments} WHERE id = $1 RETURNING {USER_COLUMNS}",
            user_id,
            *(value for _, value in columns),
        )
    except UniqueViolation as error:
        raise _taken(error) from None
    if row is None:
        raise ProfileNotFoundError()
    return Account(row)


async def profile(tx: Transaction, username: str, viewer_id: int | None) -> tuple[int, Profile]:
    """The profile of `username` as `viewer_id` sees it (following or not), and its id."""
    row = await tx.fetch_one(
        "SELECT u.id, u.username, u.bio, u.image, EXISTS (SELECT 1 FROM follows f "
        "WHERE f.follower_id = $2 AND f.followee_id = u.id) FROM users u WHERE u.username = $1",
        username,
        viewer_id or 0,
    )
    if row is None:
        raise ProfileNotFoundError()
    user_id, name, bio, image, following = row
    return user_id, Profile(name, bio, image, bool(following))


async def follow(tx: Transaction, follower_id: int, username: str, *, on: bool) -> Profile:
    followee_id, found = await profile(tx, username, follower_id)
    if on and not found.following and followee_id != follower_id:
        await tx.execute(
            "INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2)",
            follower_id,
            followee_id,
        )
        found.following = True
    elif not on and found.following:
        await tx.execute(
            "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2",
            follower_id,
            followee_id,
        )
        found.following = False
    return found
