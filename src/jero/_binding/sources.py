"""`SOURCES`: the parameter names jero binds, each with the builder of its binder.

Adding a source is one entry here; `_wiring` looks every handler parameter up by name.
"""

from __future__ import annotations

from typing import Any

from .._conditional.preconditions import build_conditions
from .._errors import WiringError
from .._protection.session_source import build_session
from .base import BindContext, Binder, Source
from .body import build_content, build_json
from .cookies import build_cookies
from .forms import build_form
from .text import build_headers, build_params, build_path, build_raw_headers


def build_user(tp: Any, ctx: BindContext) -> Binder:
    if ctx.auth is None:
        raise WiringError(
            f"{ctx.where} is the authenticated user, but the route was included without "
            f"an authenticator; pass auth=YourAuth() to _include_resource/_include_endpoint, "
            f"or remove the `user` parameter"
        )
    return ctx.auth.user_binder(tp, ctx)


SOURCES: dict[str, Source] = {
    "path": Source(build_path),
    "params": Source(build_params),
    "headers": Source(build_headers),
    "cookies": Source(build_cookies),
    "raw_headers": Source(build_raw_headers),
    "json": Source(build_json, reads_body=True),
    "content": Source(build_content, reads_body=True),
    "form": Source(build_form, reads_body=True),
    "user": Source(build_user),
    "conditions": Source(build_conditions),
    "session": Source(build_session),
}
