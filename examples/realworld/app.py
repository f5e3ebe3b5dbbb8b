"""Conduit, the RealWorld example API, on jero: the factory, the error contract, the app.

SQLite by default (`conduit.sqlite3` in the working directory); PostgreSQL when
`CONDUIT_DATABASE_URL=postgresql://user@host:port/dbname` is set. Tokens are signed with
`CONDUIT_JWT_SECRET` (set it in production; every worker must share it). Serve it with
`uv run granian --interface asgi --workers 2 examples.realworld:app`.
"""

from __future__ import annotations

import os
from pathlib import Path

from examples.bookshelf.database import Database, open_database
from examples.bookshelf.schema import migrate
from jero import BaseApp, BaseFactory, InputStatuses

from .errors import ConduitErrors
from .routes import (
    Articles,
    Comments,
    CurrentUser,
    Favorite,
    Feed,
    Follow,
    Login,
    Profiles,
    Services,
    Tags,
    Users,
)
from .tokens import Passwords, TokenAuth, Tokens

DATABASE_URL_ENV = "CONDUIT_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///conduit.sqlite3"
SECRET_ENV = "CONDUIT_JWT_SECRET"
DEVELOPMENT_SECRET = "conduit-development-secret"
MIGRATIONS = Path(__file__).parent / "migrations"


class ConduitFactory(BaseFactory):
    """Builds the services; a test passes its own URL, secret and a cheap password cost."""

    def __init__(
        self,
        database_url: str | None = None,
        *,
        secret: str | None = None,
        password_iterations: int = 600_000,
    ) -> None:
        self._database_url = database_url
        self._secret = secret
        self._iterations = password_iterations

    def database_url(self) -> str:
        return self._database_url or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL

    async def database(self) -> Database:
        database = await self._aenter(open_database(self.database_url()))
        await migrate(database, MIGRATIONS)
        return database

    def tokens(self) -> Tokens:
        secret = self._secret or os.environ.get(SECRET_ENV) or DEVELOPMENT_SECRET
        return Tokens(secret.encode())

    def passwords(self) -> Passwords:
        return Passwords(self._iterations)


class App(BaseApp[ConduitFactory]):
    """Conduit. Its error contract is declared once, in the constructor: the spec's body
    for every error, and 422 for every input that cannot be read."""

    def __init__(self, *, factory: ConduitFactory | None = None) -> None:
        super().__init__(
            factory=factory,
            error_format=ConduitErrors(),
            input_statuses=InputStatuses.all_422(),
        )

    async def _wire(self) -> None:
        factory = self._factory
        services = Services(await factory.database(), factory.tokens(), factory.passwords())
        auth = TokenAuth(services.tokens)
        self._include_resource(Users(services))
        self._include_endpoint(Login(services))
        self._include_endpoint(CurrentUser(services), auth=auth)
        self._include_endpoint(Profiles(services), auth=auth, public=("get",))
        self._include_endpoint(Follow(services), auth=auth)
        self._include_endpoint(Feed(services), auth=auth)
        self._include_resource(Articles(services), auth=auth, public=("read_many", "read_one"))
        self._include_endpoint(Favorite(services), auth=auth)
        self._include_resource(Comments(services), auth=auth, public=("read_many",))
        self._include_endpoint(Tags(services))
        self._include_openapi(title="Conduit API", version="1.0.0", path="/api/openapi.json")


app = App()
