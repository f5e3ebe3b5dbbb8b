"""The wiring-time rules of sessions and CSRF, checked over every route's final chain
once `_wire` returns (only then are app-wide and mount middleware both known).

- A handler that takes `session: Session[S]` must run under a `Sessions(S, ...)`.
- A handler on an unsafe method that trusts a cookie (its mount's authenticator reads
  `cookies`, or it takes `session`) must run under `CSRF(...)`, or under
  `CSRF.exempt("why")` when the opt-out is deliberate.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from typing import Any, cast

from .._errors import WiringError
from .csrf import CSRF, SAFE_METHODS, CSRFExempt
from .session_source import session_data_type
from .sessions import Sessions

__all__ = ["check_protection"]


def check_protection(plans: Iterable[Any], chain_for: Callable[[Any], Sequence[object]]) -> None:
    """Raise the `WiringError` of the first route that breaks a rule above. `plans` are
    the wired `HandlerPlan`s, `chain_for(plan)` the middleware around each."""
    for plan in plans:
        parameters = plan.parameters
        takes_session = "session" in parameters
        credentials: object = getattr(plan.auth, "credentials", None) or {}
        cookie_auth = "cookies" in cast(Container[str], credentials)
        if not takes_session and not cookie_auth:
            continue
        chain = chain_for(plan)
        where = f"{plan.owner.__qualname__}.{plan.operation.name}"
        if takes_session:
            _check_sessions(where, parameters["session"], chain)
        if plan.http_method not in SAFE_METHODS and not any(
            isinstance(layer, CSRF | CSRFExempt) for layer in chain
        ):
            trusts = "takes `session`" if takes_session else "authenticates with a cookie"
            raise WiringError(
                f"{where} answers {plan.http_method} and {trusts}, so another site could make "
                f"a browser send it: add CSRF(secret=...) to its middleware (or app-wide), "
                f'or wire it with CSRF.exempt("why it is safe") if that is deliberate'
            )


def _check_sessions(where: str, annotation: Any, chain: Sequence[object]) -> None:
    data = session_data_type(annotation)
    layers: list[type] = [layer.data_type() for layer in chain if isinstance(layer, Sessions)]
    name = getattr(data, "__name__", data)
    if not layers:
        raise WiringError(
            f"{where} takes `session: Session[{name}]`, but no Sessions layer wraps it; add "
            f"Sessions({name}, secret=...) to its middleware (or app-wide)"
        )
    if not any(layer is data for layer in layers):
        wired = ", ".join(sorted({layer.__name__ for layer in layers}))
        raise WiringError(
            f"{where} takes `session: Session[{name}]`, but the Sessions layer around it "
            f"holds {wired}; annotate `session: Session[{wired}]` or wire Sessions({name}, ...)"
        )
