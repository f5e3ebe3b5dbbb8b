"""The `jero` command: serve (`run`, `dev`), inspect (`routes`, `openapi`), `check` apps and
run their durable jobs (`worker`)."""

from .main import main

__all__ = ["main"]
