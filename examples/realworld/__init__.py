"""Conduit: the RealWorld example API (users, profiles, articles, comments, tags) on jero,
over SQLite by default and PostgreSQL by one variable.

Serve it with `uv run granian --interface asgi --workers 2 examples.realworld:app`;
docs/complete-application.md walks through it.
"""

from .app import App, ConduitFactory, app

__all__ = ["App", "ConduitFactory", "app"]
