"""The bookshelf: a complete API over SQLite by default, PostgreSQL by one variable.

Serve it with `uv run granian --interface asgi --workers 2 examples.bookshelf:app`;
docs/database.md explains the pattern.
"""

from .app import App, BookshelfFactory, app

__all__ = ["App", "BookshelfFactory", "app"]
