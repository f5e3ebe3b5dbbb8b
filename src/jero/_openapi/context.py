"""What the builders of one operation share."""

from __future__ import annotations

import dataclasses
from typing import Any

from .._auth import AuthPlan
from .._errors import HTTPError
from .._errors_format import AppErrors
from .._meta import OperationDocs
from .._plan import HandlerPlan
from .._routes import Template
from .schema import SchemaBook
from .security import SecuritySchemes

type ErrorClass = type[HTTPError[Any]]

PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclasses.dataclass(frozen=True, slots=True)
class OperationContext:
    """What an operation's builders share: the plan, its merged docs, the schema book."""

    plan: HandlerPlan
    docs: OperationDocs
    book: SchemaBook
    security: SecuritySchemes
    where: str
    errors: AppErrors | None = None
    """How the app answers errors (its format and input statuses); None: the defaults."""

    @property
    def template(self) -> Template:
        return self.plan.template

    @property
    def auth(self) -> AuthPlan | None:
        auth = self.plan.auth
        return auth if isinstance(auth, AuthPlan) else None
