"""The pieces of the scenarios modelled on the published jero's own benchmark suite,
shared by every app that serves them (so each does the same work):

- ``GET /info``: a medium JSON document (about 700 bytes, encoded per request) with a
  fresh UUID4 in the ``x-request-id`` response header;
- ``POST /movies`` with ``Authorization: Bearer <JWT>``: the token verified (HS256,
  expiry), the JSON body decoded into a typed ``Movie``, answered 201 with the movie and
  its owner (the token's subject);
- ``GET /movies/{movie_id}`` with the same token: one row read from PostgreSQL through an
  asyncpg pool the app opens at startup (``JERO_BENCH_DSN``; `benchmarks/http.py` starts
  the server and seeds the table), answered as JSON.

The JWT check is one small function here rather than a library, so that no app pays
for a different implementation of it.
"""

import base64
import hashlib
import hmac
import os
import time
from typing import Any

import msgspec

SECRET = b"jero-benchmark-secret"
SUBJECT = "user-1"


class Claims(msgspec.Struct):
    sub: str
    exp: int


class Feature(msgspec.Struct):
    name: str
    enabled: bool
    limit: int


class Info(msgspec.Struct):
    name: str
    version: str
    description: str
    regions: list[str]
    features: list[Feature]
    maintainers: list[str]


class Movie(msgspec.Struct):
    title: str
    year: int
    genres: list[str]


class StoredMovie(msgspec.Struct):
    id: int
    title: str
    year: int
    genres: list[str]
    owner: str


INFO = Info(
    name="catalog",
    version="2.4.1",
    description="The movie catalog service: titles, people, ratings and availability.",
    regions=["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-1"],
    features=[
        Feature(name=f"feature-{i}", enabled=i % 3 != 0, limit=100 * (i + 1)) for i in range(10)
    ],
    maintainers=["ana@example.com", "bo@example.com", "chen@example.com"],
)


def stored(movie: Movie, owner: str) -> StoredMovie:
    return StoredMovie(id=1, title=movie.title, year=movie.year, genres=movie.genres, owner=owner)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(subject: str = SUBJECT, lifetime: int = 10 * 365 * 86400) -> str:
    head = _b64(b'{"alg":"HS256","typ":"JWT"}')
    claims = _b64(msgspec.json.encode(Claims(sub=subject, exp=int(time.time()) + lifetime)))
    signature = hmac.new(SECRET, f"{head}.{claims}".encode(), hashlib.sha256).digest()
    return f"{head}.{claims}.{_b64(signature)}"


_decode_claims = msgspec.json.Decoder(Claims).decode


def verify(authorization: str | None) -> Claims | None:
    """The claims of a valid ``Bearer`` HS256 token, else None."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization[7:]
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.new(SECRET, signing_input.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(expected, _unb64(signature)):
            return None
        claims = _decode_claims(_unb64(signing_input.partition(".")[2]))
    except (ValueError, msgspec.DecodeError):
        return None
    return claims if claims.exp > time.time() else None


TOKEN = make_token()
AUTHORIZATION = f"Bearer {TOKEN}"


class MovieRow(msgspec.Struct):
    id: int
    title: str
    year: int


MOVIE_SQL = "SELECT id, title, year FROM movies WHERE id = $1"
POOL_SIZE = 8


def dsn() -> str | None:
    """The database the `GET /movies/{id}` route reads; None: the route is not served."""
    return os.environ.get("JERO_BENCH_DSN")


def open_pool() -> Any:
    """An asyncpg pool (an async context manager) on `dsn()`."""
    import asyncpg

    return asyncpg.create_pool(dsn(), min_size=POOL_SIZE, max_size=POOL_SIZE)


async def read_movie(pool: Any, movie_id: int) -> MovieRow | None:
    row = await pool.fetchrow(MOVIE_SQL, movie_id)
    return None if row is None else MovieRow(id=row[0], title=row[1], year=row[2])
