"""Route classes: `Resource` and `Endpoint`, whose method names are the operations."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, ClassVar

from ._errors import WiringError
from ._meta import EndpointMeta, OperationMeta, ResourceMeta, RouteMeta, check_route_meta

__all__ = ["Endpoint", "Resource"]


@dataclasses.dataclass(frozen=True, slots=True)
class Operation:
    """What a handler method's name means: its HTTP method, where it mounts, its status."""

    name: str
    http_method: str
    default_status: int
    item: bool = False
    """A `Resource` item operation: the URL grows by the path Struct's extra fields."""
    collection: bool = False
    """A `Resource` collection operation: serves the mount path exactly."""


RESOURCE_OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("create", "POST", 201, collection=True),
        Operation("read_many", "GET", 200, collection=True),
        Operation("read_one", "GET", 200, item=True),
        Operation("update_full", "PUT", 200, item=True),
        Operation("update_partial", "PATCH", 200, item=True),
        Operation("delete", "DELETE", 200, item=True),
    )
}

ENDPOINT_OPERATIONS: dict[str, Operation] = {
    verb: Operation(verb, verb.upper(), 200) for verb in ("get", "post", "put", "patch", "delete")
}


class _RouteClass:
    """Shared by `Resource` and `Endpoint`: the class options and the operation table.

    Class options: `path=`, documentation `meta=` and `meta_<operation>=` (see `_meta`).
    Each is inherited unless the subclass gives it again.
    """

    operations: ClassVar[dict[str, Operation]] = {}
    meta_type: ClassVar[type[RouteMeta]] = ResourceMeta
    mount_path: ClassVar[str | None] = None
    route_meta: ClassVar[RouteMeta | None] = None
    operation_meta: ClassVar[dict[str, OperationMeta]] = {}

    def __init_subclass__(
        cls, *, path: str | None = None, meta: RouteMeta | None = None, **kwargs: Any
    ) -> None:
        options = {key: kwargs.pop(key) for key in list(kwargs) if key.startswith("meta_")}
        super().__init_subclass__(**kwargs)
        if path is not None:
            cls.mount_path = path
        found = check_route_meta(
            cls.__qualname__, meta, cls.meta_type, list(cls.operations), options
        )
        if meta is not None:
            cls.route_meta = meta
        if found:
            cls.operation_meta = {**cls.operation_meta, **found}


class Resource(_RouteClass):
    """A REST collection mounted at `path=`; methods named after CRUD operations.

    `create` (POST, 201) and `read_many` (GET) serve the mount path; `read_one` (GET),
    `update_full` (PUT), `update_partial` (PATCH) and `delete` (DELETE) serve the mount
    path plus the item id: the `path` Struct's fields beyond the mount's slots.
    """

    operations = RESOURCE_OPERATIONS
    meta_type = ResourceMeta

    def __init_subclass__(
        cls,
        *,
        path: str | None = None,
        meta: ResourceMeta | None = None,
        **operation_meta: OperationMeta,
    ) -> None:
        super().__init_subclass__(path=path, meta=meta, **operation_meta)


class Endpoint(_RouteClass):
    """One exact path (`path=`); the methods `get`, `post`, `put`, `patch`, `delete`."""

    operations = ENDPOINT_OPERATIONS
    meta_type = EndpointMeta

    def __init_subclass__(
        cls,
        *,
        path: str | None = None,
        meta: EndpointMeta | None = None,
        **operation_meta: OperationMeta,
    ) -> None:
        super().__init_subclass__(path=path, meta=meta, **operation_meta)


# --- path templates ---------------------------------------------------------------

_SLOT = re.compile(r"^\{([a-z_][a-z0-9_]*)\}$")
# Matching is on the decoded path, so a static segment is written decoded: no '%'.
_STATIC = re.compile(r"^[^\s%{}/]+$")


@dataclasses.dataclass(frozen=True, slots=True)
class Template:
    """A parsed path template: segments with `None` for each slot, and the slot names."""

    segments: tuple[str | None, ...]
    slots: tuple[str, ...]

    def extended(self, slots: tuple[str, ...]) -> Template:
        return Template(self.segments + (None,) * len(slots), self.slots + slots)

    def render(self) -> str:
        names = iter(self.slots)
        parts = [f"{{{next(names)}}}" if s is None else s for s in self.segments]
        return "/" + "/".join(parts)


def parse_template(path: str, where: str) -> Template:
    """Validate `path=` (absolute, no trailing slash, snake_case `{slots}`, no repeats)."""
    if not path.startswith("/"):
        raise WiringError(f"{where}: path={path!r} must start with '/'")
    if path == "/":
        return Template(("",), ())
    if path.endswith("/"):
        raise WiringError(f"{where}: path={path!r} must not end with '/'; write {path[:-1]!r}")
    segments: list[str | None] = []
    slots: list[str] = []
    for segment in path[1:].split("/"):
        slot = _SLOT.match(segment)
        if slot is not None:
            name = slot.group(1)
            if name in slots:
                raise WiringError(f"{where}: path={path!r} repeats the slot {{{name}}}")
            slots.append(name)
            segments.append(None)
        elif "{" in segment or "}" in segment:
            raise WiringError(
                f"{where}: path={path!r} has a bad slot {segment!r}; a slot is a whole "
                f"segment named in snake_case, like {{widget_id}}"
            )
        elif not segment or not _STATIC.match(segment):
            raise WiringError(
                f"{where}: path={path!r} has an empty or invalid segment {segment!r}; "
                f"write segments decoded, without '%', spaces or braces"
            )
        else:
            segments.append(segment)
    return Template(tuple(segments), tuple(slots))
