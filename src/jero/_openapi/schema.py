"""JSON Schemas for the OpenAPI document, from the types, through msgspec.

Route builders ask a `SchemaBook` for the schema of a type and get back an empty dict:
a placeholder. `resolve()` then describes every requested type in one msgspec pass, so
shared Structs become one `components/schemas` entry each, named as msgspec names them
(honouring `rename`, `Meta` constraints and descriptions, and tagged unions with their
discriminator), and fills the placeholders in place. Error classes become components
of their own, built once the Struct names are known so no name is taken twice.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from .._binding.text_fields import is_scalar_info, members_of
from .._errors import HTTPError, WiringError
from .._types import type_name

type Schema = dict[str, Any]
type SchemaHook = Callable[[type], Schema]

REF_PREFIX = "#/components/schemas/"


@dataclasses.dataclass(slots=True)
class _Wanted:
    type: Any
    where: str
    placeholder: Schema
    adapt: Callable[[Schema], Schema] | None


@dataclasses.dataclass(slots=True)
class _ErrorUnion:
    classes: tuple[type[HTTPError[Any]], ...]
    placeholder: Schema


class SchemaBook:
    """Collects the schemas a document needs; `resolve()` fills them all at once."""

    def __init__(self, schema_hook: SchemaHook | None = None) -> None:
        self._hook = schema_hook
        self._wanted: list[_Wanted] = []
        self._errors: dict[type[HTTPError[Any]], Schema | None] = {}
        self._error_unions: list[_ErrorUnion] = []

    def schema(
        self, tp: Any, where: str, adapt: Callable[[Schema], Schema] | None = None
    ) -> Schema:
        """A placeholder for `tp`'s schema, transformed by `adapt` once known."""
        placeholder: Schema = {}
        self._wanted.append(_Wanted(tp, where, placeholder, adapt))
        return placeholder

    def errors(self, classes: Sequence[type[HTTPError[Any]]], where: str) -> Schema:
        """A placeholder for the body of any of `classes`, discriminated by `type`."""
        for cls in classes:
            if cls not in self._errors:
                params = cls.params_type if cls.detail_template is not None else None
                self._errors[cls] = (
                    self.schema(params, f"{where}: params of {cls.__qualname__}")
                    if params is not None
                    else None
                )
        placeholder: Schema = {}
        self._error_unions.append(_ErrorUnion(tuple(classes), placeholder))
        return placeholder

    def resolve(self) -> dict[str, Schema]:
        """Fill every placeholder; the components/schemas mapping, sorted by name."""
        components = self._describe_types()
        names = _error_names(list(self._errors), set(components))
        for cls, params in self._errors.items():
            components[names[cls]] = error_schema(cls, params)
        for union in self._error_unions:
            union.placeholder.update(_error_union(union.classes, names))
        return dict(sorted(components.items()))

    def _describe_types(self) -> dict[str, Schema]:
        types = [wanted.type for wanted in self._wanted]
        try:
            schemas, components = msgspec.json.schema_components(
                types, schema_hook=self._hook, ref_template=REF_PREFIX + "{name}"
            )
        except (TypeError, ValueError) as error:
            raise self._culprit() from error
        for wanted, found in zip(self._wanted, schemas, strict=True):
            wanted.placeholder.update(wanted.adapt(found) if wanted.adapt else found)
        return components

    def _culprit(self) -> WiringError:
        """Describe the types one by one to name the declaration msgspec refused."""
        for wanted in self._wanted:
            try:
                msgspec.json.schema(wanted.type, schema_hook=self._hook)
            except (TypeError, ValueError) as error:
                reason = " ".join(str(error).split())
                return WiringError(
                    f"{wanted.where}: {type_name(wanted.type)} cannot be described in OpenAPI "
                    f"({reason}); {_fix_for(reason)}"
                )
        return WiringError("the OpenAPI schemas cannot be generated")  # pragma: no cover


def _fix_for(reason: str) -> str:
    if "tagged" in reason:
        return (
            "clients could not tell the Structs apart: declare each with a tag "
            "(class A(Struct, tag=True)), or answer them with different statuses"
        )
    if "custom types" in reason:
        return (
            "describe the type with Annotated[T, Meta(extra_json_schema={...})] or pass "
            "schema_hook= to _include_openapi"
        )
    return "use types msgspec can describe"


def chain_hooks(*hooks: SchemaHook | None) -> SchemaHook:
    """One schema hook asking each in turn; NotImplementedError means "not mine"."""
    found = [hook for hook in hooks if hook is not None]

    def hook(tp: type) -> Schema:
        for each in found:
            try:
                return each(tp)
            except NotImplementedError:
                continue
        raise NotImplementedError

    return hook


def error_schema(cls: type[HTTPError[Any]], params: Schema | None) -> Schema:
    """The problem-details body `cls` is answered with: its `type` is a constant."""
    properties: Schema = {
        "type": {"const": cls.type},
        "title": {"type": "string", "examples": [cls.title]},
        "status": {"type": "integer", "const": cls.status},
    }
    required = ["type", "title", "status"]
    if params is not None and cls.detail_template is not None:
        properties["detail"] = {
            "type": "string",
            "description": f"Rendered from the template {cls.detail_template!r}",
        }
        properties["params"] = params
        required += ["detail", "params"]
    return {
        "title": cls.__name__,
        "description": f"{cls.title} (problem type {cls.type!r}).",
        "type": "object",
        "properties": properties,
        "required": required,
    }


def _error_union(classes: tuple[type[HTTPError[Any]], ...], names: dict[Any, str]) -> Schema:
    refs = [{"$ref": REF_PREFIX + names[cls]} for cls in classes]
    if len(refs) == 1:
        return refs[0]
    codes = [cls.type for cls in classes]
    if len(set(codes)) < len(codes):
        return {"anyOf": refs}  # two classes share a `type`: clients cannot tell them apart
    mapping = {cls.type: REF_PREFIX + names[cls] for cls in classes}
    return {"oneOf": refs, "discriminator": {"propertyName": "type", "mapping": mapping}}


def _error_names(classes: list[type[HTTPError[Any]]], taken: set[str]) -> dict[Any, str]:
    """Class names, or module-qualified ones where two would collide (as msgspec does)."""
    short = [component_name(cls.__name__) for cls in classes]
    names: dict[Any, str] = {}
    for cls, name in zip(classes, short, strict=True):
        clash = name in taken or short.count(name) > 1
        names[cls] = component_name(f"{cls.__module__}.{cls.__qualname__}") if clash else name
    return names


def component_name(name: str) -> str:
    """`name` as a components key: what OpenAPI does not allow there becomes `_`."""
    return re.sub(r"[^a-zA-Z0-9.\-_]", "_", name)


def is_scalar_type(tp: Any) -> bool:
    """True for the types a header value carries as plain text (`X | None` included)."""
    return all(
        is_scalar_info(member) or isinstance(member, msgspec.inspect.NoneType)
        for member in members_of(tp)
    )


def may_be_none(tp: Any) -> bool:
    return any(isinstance(member, msgspec.inspect.NoneType) for member in members_of(tp))


def drop_null(schema: Schema) -> Schema:
    """`X | None` described as `X`: for values whose absence stands for None."""
    options = schema.get("anyOf")
    if not isinstance(options, list):
        return dict(schema)
    kept = [o for o in typing.cast(list[Schema], options) if o != {"type": "null"}]
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    if len(kept) == 1:
        return {**rest, **kept[0]}
    return {**rest, "anyOf": kept}


def sent_or_absent(field: msgspec.structs.FieldInfo) -> Callable[[Schema], Schema]:
    """For a value that is sent or left out (a query value, a form part), never null:
    `X | None` is described as `X`, and the field's default is shown if it has one."""

    def adapt(schema: Schema) -> Schema:
        schema = drop_null(schema)
        schema.pop("default", None)
        if field.default is not msgspec.NODEFAULT and field.default is not None:
            schema["default"] = msgspec.to_builtins(field.default)
        elif field.default_factory is not msgspec.NODEFAULT:
            schema["default"] = msgspec.to_builtins(field.default_factory())
        return schema

    return adapt
