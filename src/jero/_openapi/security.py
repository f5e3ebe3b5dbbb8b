"""Security schemes, read off the authenticators mounts were included with (`auth=`).

An authenticator that declares an HTTP authentication `scheme` and reads only the
`Authorization` header is an `http` scheme (`BearerAuth`: bearer, `BasicAuth`: basic).
Any other is described by the credentials it reads: one `apiKey` scheme per required
header or cookie field, all needed together. Optional authentication (`-> U | None`)
adds the empty requirement: the operation may be called without credentials.
"""

from __future__ import annotations

from typing import Any

from .._auth import AuthPlan, BasicAuth, BearerAuth, InvalidCredentialsError
from .._errors import AuthenticationRequiredError, HTTPError
from .._types import header_wire_name, struct_fields
from .schema import Schema, component_name

type Requirement = dict[str, list[str]]

_HTTP_SCHEMES = frozenset(
    {
        "basic",
        "bearer",
        "concealed",
        "digest",
        "dpop",
        "gnap",
        "hoba",
        "mutual",
        "negotiate",
        "oauth",
        "privatetoken",
        "scram-sha-1",
        "scram-sha-256",
        "vapid",
    }
)
"""The IANA HTTP Authentication Scheme Registry: what OpenAPI's `http` type may name."""


class SecuritySchemes:
    """`components/securitySchemes`, filled as operations ask for their requirements."""

    def __init__(self) -> None:
        self.schemes: dict[str, Schema] = {}

    def requirements(self, auth: AuthPlan) -> list[Requirement]:
        requirement: Requirement = {}
        for suffix, scheme in _schemes_of(auth):
            requirement[self._register(type(auth.authenticator), suffix, scheme)] = []
        return [requirement, {}] if auth.optional else [requirement]

    def _register(self, owner: type, suffix: str, scheme: Schema) -> str:
        """The class name, or the qualified one if another scheme already holds it."""
        name = owner.__name__ + suffix
        if self.schemes.get(name, scheme) != scheme:
            name = component_name(f"{owner.__module__}.{owner.__qualname__}{suffix}")
        self.schemes[name] = scheme
        return name


def _schemes_of(auth: AuthPlan) -> list[tuple[str, Schema]]:
    """(name suffix, scheme) for each credential the authenticator needs."""
    if auth.scheme is not None and _reads_only_authorization(auth):
        scheme = auth.scheme.lower()
        if scheme in _HTTP_SCHEMES:
            return [("", {"type": "http", "scheme": scheme})]
        # Not an IANA-registered HTTP scheme (`Token`): OpenAPI's `http` type cannot name
        # it, so the header itself is the key, its form said in the description.
        description = f"`Authorization: {auth.scheme} <credentials>`"
        scheme_object = {"type": "apiKey", "in": "header", "name": "Authorization"}
        return [("", {**scheme_object, "description": description})]
    keys: list[tuple[str, str]] = []
    for source, struct in auth.credentials.items():
        fields = struct_fields(struct)
        required = [f for f in fields if f.required] or list(fields)
        for field in required:
            if source == "headers":
                keys.append(("header", header_wire_name(field.encode_name)))
            elif source == "params":
                keys.append(("query", field.encode_name))
            else:
                keys.append(("cookie", field.encode_name))
    single = len(keys) == 1
    return [
        ("" if single else f".{name}", {"type": "apiKey", "in": where, "name": name})
        for where, name in keys
    ]


def _reads_only_authorization(auth: AuthPlan) -> bool:
    headers = auth.credentials.get("headers")
    if headers is None or len(auth.credentials) != 1:
        return False
    names = [header_wire_name(f.encode_name) for f in struct_fields(headers)]
    return names == ["authorization"]


def auth_errors(auth: AuthPlan) -> list[type[HTTPError[Any]]]:
    """What authentication itself answers: 401 without (or with unusable) credentials."""
    found: list[type[HTTPError[Any]]] = [AuthenticationRequiredError]
    if isinstance(auth.authenticator, BearerAuth | BasicAuth):  # an unusable Authorization
        found.append(InvalidCredentialsError)
    return found


def challenge_header(auth: AuthPlan) -> Schema | None:
    """The documented `WWW-Authenticate` header of authentication's 401s, if any."""
    if auth.challenge is None:
        return None
    return {
        "description": "The challenge: how to authenticate.",
        "schema": {"type": "string", "examples": [auth.challenge]},
        "required": False,
    }
