"""The `jero` command: serve (`run`, `dev`), inspect (`routes`, `openapi`) and `check` apps."""

from .main import main

__all__ = ["main"]
