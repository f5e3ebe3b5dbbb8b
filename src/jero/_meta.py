"""Documentation metadata for route classes: what the OpenAPI document cannot derive.

The types already say what a route accepts and returns. These objects add only the
human parts (tags, summaries, descriptions) and the application errors a handler raises,
and are given as class options next to `path=`:

    class WidgetResource(
        Resource,
        path="/widgets",
        meta=ResourceMeta(tags=["widgets"]),
        meta_read_one=OperationMeta(summary="Fetch a widget", errors=[WidgetNotFoundError]),
    ): ...
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from ._errors import HTTPError, WiringError

__all__ = ["EndpointMeta", "OperationMeta", "ResourceMeta"]

type ErrorClasses = Sequence[type[HTTPError[Any]]]
type ExtraResponses = Mapping[int, Any]
"""Status → a response annotation, as a handler would write it (`NoContent[Location]`)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class OperationMeta:
    """One operation's documentation: class option `meta_<operation>=` (`meta_read_one=`).

    `errors` lists the `HTTPError` classes the handler raises; each is documented under
    its status with its `type`, title and params schema. `responses` documents outcomes
    the return type does not show (status → response annotation). `hidden` leaves the
    operation out of the document (it is still served).

    `status` declares the success status of a plain return (a `Struct`, `str`, `bytes`,
    `JSONResponse` without `status_code=`) in place of the operation's default (201 for
    `create`, 200 otherwise): the answer, `jero routes`, the OpenAPI document and the
    typed client all follow it. Wrappers with their own status (`Created`, `NoContent`,
    `Accepted`) keep theirs.
    """

    tags: Sequence[str] = ()
    summary: str | None = None
    description: str | None = None
    operation_id: str | None = None
    deprecated: bool = False
    errors: ErrorClasses = ()
    responses: ExtraResponses = dataclasses.field(default_factory=dict[int, Any])
    hidden: bool = False
    status: int | None = None

    def __post_init__(self) -> None:
        status = typing.cast(object, self.status)
        if status is not None and (
            isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 299
        ):
            raise WiringError(
                f"OperationMeta(status={status!r}): a declared success status is 200-299; "
                f"errors are HTTPError classes (errors=), other outcomes responses="
            )
        if status in (204, 205):
            raise WiringError(
                f"OperationMeta(status={status}): a {status} has no body; return NoContent"
            )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ResourceMeta:
    """Documentation shared by every operation of a `Resource` (class option `meta=`).

    Tags, errors and responses add to each operation's own; `deprecated` and `hidden`
    apply to all of them.
    """

    tags: Sequence[str] = ()
    deprecated: bool = False
    errors: ErrorClasses = ()
    responses: ExtraResponses = dataclasses.field(default_factory=dict[int, Any])
    hidden: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class EndpointMeta:
    """Documentation of an `Endpoint` (class option `meta=`).

    An endpoint is one path, so `summary` and `description` describe that path (the
    OpenAPI path item); tags, errors and responses add to each verb's own.
    """

    tags: Sequence[str] = ()
    summary: str | None = None
    description: str | None = None
    deprecated: bool = False
    errors: ErrorClasses = ()
    responses: ExtraResponses = dataclasses.field(default_factory=dict[int, Any])
    hidden: bool = False


type RouteMeta = ResourceMeta | EndpointMeta


@dataclasses.dataclass(frozen=True, slots=True)
class OperationDocs:
    """An operation's class and method metadata merged: what the document reads."""

    tags: tuple[str, ...]
    summary: str | None
    description: str | None
    operation_id: str | None
    deprecated: bool
    errors: tuple[type[HTTPError[Any]], ...]
    responses: Mapping[int, Any]
    hidden: bool


def declared_status(owner: type, operation: str, default: int) -> int:
    """The success status `meta_<operation>=OperationMeta(status=...)` declares, or `default`."""
    metas: dict[str, OperationMeta] = getattr(owner, "operation_meta", {})
    meta = metas.get(operation)
    if meta is None or meta.status is None:
        return default
    return meta.status


def merge_meta(route: RouteMeta | None, operation: OperationMeta | None) -> OperationDocs:
    """Class-level lists first, then the operation's; the operation wins on responses."""
    route = route if route is not None else ResourceMeta()
    operation = operation if operation is not None else OperationMeta()
    return OperationDocs(
        tags=tuple(dict.fromkeys([*route.tags, *operation.tags])),
        summary=operation.summary,
        description=operation.description,
        operation_id=operation.operation_id,
        deprecated=route.deprecated or operation.deprecated,
        errors=tuple(dict.fromkeys([*route.errors, *operation.errors])),
        responses={**route.responses, **operation.responses},
        hidden=route.hidden or operation.hidden,
    )


def check_route_meta(
    owner: str,
    meta: object,
    expected: type[RouteMeta],
    operations: Sequence[str],
    options: Mapping[str, object],
) -> dict[str, OperationMeta]:
    """Validate `meta=` and the `meta_<operation>=` class options; the latter by name."""
    if meta is not None and not isinstance(meta, expected):
        raise WiringError(f"{owner}: meta= takes a {expected.__name__}, got {type(meta).__name__}")
    found: dict[str, OperationMeta] = {}
    for key, value in options.items():
        name = key.removeprefix("meta_")
        if name not in operations:
            raise WiringError(
                f"{owner}: {key}= names no operation; use meta_<operation>= with one of: "
                f"{', '.join(operations)}"
            )
        if not isinstance(value, OperationMeta):
            raise WiringError(f"{owner}: {key}= takes an OperationMeta, got {type(value).__name__}")
        found[name] = value
    return found
