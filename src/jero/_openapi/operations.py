"""One OpenAPI operation per wired handler, read off its `HandlerPlan`."""

from __future__ import annotations

import inspect

from .context import OperationContext
from .responses import responses_of
from .schema import Schema
from .sources import source_doc


def build_operation(op: OperationContext, docstrings: bool) -> Schema:
    """The OpenAPI operation object of one handler."""
    plan, docs = op.plan, op.docs
    operation: Schema = {
        "operationId": docs.operation_id or f"{plan.owner.__name__}.{plan.operation.name}"
    }
    summary, description = docs.summary, docs.description
    if docstrings:
        doc_summary, doc_description = _docstring(getattr(plan.owner, plan.operation.name))
        summary = summary or doc_summary
        description = description or doc_description
    if summary:
        operation["summary"] = summary
    if description:
        operation["description"] = description
    if docs.tags:
        operation["tags"] = list(docs.tags)
    if docs.deprecated:
        operation["deprecated"] = True
    parameters: list[Schema] = []
    for name, tp in plan.parameters.items():
        source = source_doc(name, op)
        if source.parameters is not None:
            parameters.extend(source.parameters(tp, op))
        if source.body is not None:
            operation["requestBody"] = source.body(tp, op)
    if parameters:
        operation["parameters"] = parameters
    operation["responses"] = responses_of(op)
    if op.auth is not None:
        operation["security"] = op.security.requirements(op.auth)
    return operation


def _docstring(function: object) -> tuple[str | None, str | None]:
    text = inspect.getdoc(function)
    if not text:
        return None, None
    head, _, rest = text.partition("\n\n")
    return " ".join(head.split()), rest.strip() or None
