"""Authentication: the `auth=` object of a mount, checked once at wiring.

An authenticator is any object with one method,

    def authenticate(self, headers: H) -> U        # and/or cookies: C; sync or async

whose credentials Structs bind like the `headers` / `cookies` sources. `inspect_auth`
reads that signature when the route is included and returns an `AuthPlan`: the request
binder for the `user` parameter (phase BEFORE_BODY, so nothing is read before the
caller is known) and the checks each handler's `user` annotation must pass.

`BearerAuth` and `BasicAuth` parse the `Authorization` header (RFC 6750 / RFC 7617) and
hand a subclass the token, or the user-id and password, to resolve.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import inspect
import re
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar

import msgspec

from ._asgi import HeaderList, Receive, Scope
from ._binding.base import BEFORE_BODY, BindContext, Binder, list_fields, struct_converter
from ._binding.cookies import cookie_collector
from ._binding.text import collect_query, header_collector, parse_query
from ._errors import AuthenticationRequiredError, HTTPError, WiringError
from ._types import is_struct_type, is_union, struct_fields, type_name, union_of

__all__ = ["AuthPlan", "AuthorizationHeader", "BasicAuth", "BearerAuth", "inspect_auth"]

type Authenticate = Callable[[Scope], Awaitable[Any]]
"""Request time: `await authenticate(scope)` → the user, or raises an `HTTPError`."""


def _query_collector(struct: type[msgspec.Struct]) -> Callable[[Scope], dict[str, Any]]:
    lists = list_fields(struct)
    names = frozenset(f.encode_name for f in struct_fields(struct))

    def collect_params(scope: Scope) -> dict[str, Any]:
        query: bytes = scope["query_string"]
        return collect_query(parse_query(query), lists, names) if query else {}

    return collect_params


def _from_headers(
    collector: Callable[[type[msgspec.Struct]], Callable[[HeaderList], dict[str, Any]]],
) -> Callable[[type[msgspec.Struct]], Callable[[Scope], dict[str, Any]]]:
    def build(struct: type[msgspec.Struct]) -> Callable[[Scope], dict[str, Any]]:
        collect = collector(struct)
        return lambda scope: collect(scope["headers"])

    return build


_COLLECTORS = {
    "headers": _from_headers(header_collector),
    "cookies": _from_headers(cookie_collector),
    "params": _query_collector,
}
"""The credential sources an authenticator may take, each read as its handler source is."""
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_ABSENT = object()


# --- the wiring-time plan ----------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class AuthPlan:
    """One mount's authenticator, introspected: implements `_binding.UserSource`."""

    where: str
    """`TokenAuth.authenticate`, for error messages."""
    user_type: Any
    """The resolved return annotation; handlers must declare `user` with exactly it."""
    optional: bool
    """`-> U | None`: absent credentials bind `None` instead of a 401."""
    credentials: Mapping[str, type[msgspec.Struct]]
    """Credential source name (`headers`, `cookies`) → its Struct, for OpenAPI."""
    scheme: str | None
    """The HTTP authentication scheme the authenticator declares, if any."""
    challenge: str | None
    """The `WWW-Authenticate` value of the 401s authentication produces, if a scheme is known."""
    authenticate: Authenticate
    authenticator: object = None
    """The `auth=` object itself (OpenAPI names its security scheme after the class)."""

    def user_binder(self, annotation: Any, ctx: BindContext) -> Binder:
        if annotation != self.user_type:
            raise WiringError(self.__mismatch(annotation, ctx.where))
        authenticate = self.authenticate

        async def bind_user(scope: Scope, receive: Receive, values: Sequence[str]) -> Any:
            return await authenticate(scope)

        return Binder(bind_user, awaits=True, phase=BEFORE_BODY)

    def for_public(self) -> AuthPlan:
        return optional_plan(self)

    def __mismatch(self, annotation: Any, where: str) -> str:
        returns, declared = type_name(self.user_type), type_name(annotation)
        if self.optional and annotation == _without_none(self.user_type):
            return (
                f"{where} is annotated `{declared}`, but {self.where} returns `{returns}`: "
                f"authentication is optional on this mount, so the user may be None; "
                f"annotate `user: {returns}` and handle the anonymous caller"
            )
        also = ""
        if not self.optional and annotation == self.user_type | None:
            also = " (or name the operation in public= to serve it without credentials)"
        return (
            f"{where} is annotated `{declared}`, but the mount's authenticator "
            f"{self.where} returns `{returns}`; annotate `user: {returns}`{also}"
        )


def inspect_auth(auth: object, mount: str) -> AuthPlan:
    """Check an `auth=` object against the authenticator contract; build its plan."""
    owner = type(auth).__qualname__
    if isinstance(auth, type):
        raise WiringError(
            f"{mount}: auth={auth.__qualname__} is a class; pass an instance: "
            f"auth={auth.__qualname__}()"
        )
    method = getattr(auth, "authenticate", None)
    where = f"{owner}.authenticate"
    if method is None or not callable(method):
        raise WiringError(
            f"{mount}: auth={owner}() has no `authenticate` method; define "
            f"`async def authenticate(self, headers: Credentials) -> User` "
            f"(sync or async; `headers` and/or `cookies`)"
        )
    _check_resolver(auth, owner)
    callable_method = typing.cast(Callable[..., Any], method)
    hints = _resolve_hints(callable_method, type(auth), where)
    arguments = _type_arguments(type(auth))
    credentials = _credential_types(callable_method, hints, arguments, where)
    user_type = _user_type(hints, arguments, where)
    scheme, challenge = _challenge(auth, owner)
    optional = _is_optional(user_type)
    return AuthPlan(
        where=where,
        user_type=user_type,
        optional=optional,
        credentials=credentials,
        scheme=scheme,
        challenge=challenge,
        authenticate=_build_authenticate(
            callable_method,
            inspect.iscoroutinefunction(callable_method),
            credentials,
            optional,
            challenge,
        ),
        authenticator=auth,
    )


def _resolve_hints(method: Callable[..., Any], owner: type, where: str) -> dict[str, Any]:
    # A generic class's type parameters are not module globals: under postponed
    # annotations `-> U` only resolves with the defining class's parameters in scope.
    defining = next((k for k in owner.__mro__ if "authenticate" in vars(k)), owner)
    scope = {p.__name__: p for p in getattr(defining, "__type_params__", ())}
    try:
        return typing.get_type_hints(method, localns=scope, include_extras=True)
    except (NameError, TypeError, AttributeError) as error:
        raise WiringError(
            f"{where}: cannot resolve its annotations ({error}); define the types at module "
            f"level or import them where the authenticator is defined"
        ) from error


def _credential_types(
    method: Callable[..., Any], hints: dict[str, Any], arguments: TypeArguments, where: str
) -> dict[str, type[msgspec.Struct]]:
    credentials: dict[str, type[msgspec.Struct]] = {}
    for parameter in inspect.signature(method).parameters.values():
        name = parameter.name
        if name not in _COLLECTORS:
            raise WiringError(
                f"{where}: parameter `{name}` is not a credential source; an authenticator "
                f"takes `headers`, `cookies` and/or `params` (the query), each annotated "
                f"with a msgspec Struct"
            )
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.VAR_POSITIONAL):
            raise WiringError(f"{where}: parameter `{name}` must be passable by keyword")
        if name not in hints:
            raise WiringError(
                f"{where}: parameter `{name}` has no annotation; annotate it with a msgspec "
                f"Struct whose fields are the credentials"
            )
        tp = _substitute(hints[name], arguments)
        if not is_struct_type(tp):
            raise WiringError(
                f"{where}: parameter `{name}` must be annotated with a msgspec Struct, got "
                f"`{type_name(tp)}`"
            )
        credentials[name] = tp
    if not credentials:
        raise WiringError(
            f"{where} takes no credentials; give it `headers: H` and/or `cookies: C` "
            f"(msgspec Structs naming the header / cookie fields it reads)"
        )
    return credentials


def _user_type(hints: dict[str, Any], arguments: TypeArguments, where: str) -> Any:
    if "return" not in hints:
        raise WiringError(
            f"{where} has no return annotation; annotate the user it returns, e.g. -> User "
            f"(or -> User | None to make authentication optional)"
        )
    user_type = _substitute(hints["return"], arguments)
    if _has_type_variable(user_type):
        raise WiringError(
            f"{where} returns `{type_name(user_type)}`, a type variable its class leaves "
            f"open; name the user type when subclassing, e.g. class MyAuth(BearerAuth[User])"
        )
    if user_type is None or user_type is type(None) or user_type is Any:
        raise WiringError(
            f"{where} returns `{type_name(user_type)}`; annotate the user type it returns "
            f"(e.g. -> User, or -> User | None when authentication is optional)"
        )
    if typing.get_origin(user_type) in (Awaitable, typing.Awaitable):
        raise WiringError(
            f"{where}: annotate the user itself, not an awaitable of it; make the method "
            f"`async def` instead"
        )
    return user_type


def _challenge(auth: object, owner: str) -> tuple[str | None, str | None]:
    """The `WWW-Authenticate` value from the authenticator's `scheme` and `realm`."""
    scheme: object = getattr(auth, "scheme", None)
    realm: object = getattr(auth, "realm", None)
    if scheme is None:
        return None, None
    if not isinstance(scheme, str) or not _TOKEN.match(scheme):
        raise WiringError(
            f"{owner}.scheme = {scheme!r} is not an HTTP authentication scheme; use a "
            f'token such as "Bearer", or remove it'
        )
    if realm is None:
        return scheme, scheme
    if not isinstance(realm, str) or not realm.isprintable():
        raise WiringError(f"{owner}.realm = {realm!r} must be a printable string or None")
    quoted = realm.replace("\\", "\\\\").replace('"', '\\"')
    return scheme, f'{scheme} realm="{quoted}"'


# --- types ---------------------------------------------------------------------------

type TypeArguments = dict[Any, Any]


def _type_arguments(cls: type) -> TypeArguments:
    """Type parameter → argument, from the generic bases (`class A(BearerAuth[User])`)."""
    arguments: TypeArguments = {}
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            origin = typing.get_origin(base)
            params: tuple[Any, ...] = getattr(origin, "__type_params__", ()) or getattr(
                origin, "__parameters__", ()
            )
            for param, arg in zip(params, typing.get_args(base), strict=False):
                arguments.setdefault(param, _substitute(arg, arguments))
    return arguments


def _substitute(tp: Any, arguments: TypeArguments) -> Any:
    if isinstance(tp, typing.TypeVar):
        return arguments.get(tp, tp)
    params: tuple[Any, ...] = getattr(tp, "__parameters__", ())
    if params and not isinstance(tp, type):
        return tp[tuple(arguments.get(p, p) for p in params)]
    return tp


def _has_type_variable(tp: Any) -> bool:
    return isinstance(tp, typing.TypeVar) or bool(getattr(tp, "__parameters__", ()))


def _is_optional(tp: Any) -> bool:
    return is_union(tp) and type(None) in typing.get_args(tp)


def _without_none(tp: Any) -> Any:
    return union_of(a for a in typing.get_args(tp) if a is not type(None))


# --- request time --------------------------------------------------------------------

type CredentialReader = Callable[[Scope], Any]
"""`read(scope)` → the converted credentials Struct, or `_ABSENT` if a field is missing."""


def _build_authenticate(
    method: Callable[..., Any],
    is_async: bool,
    credentials: Mapping[str, type[msgspec.Struct]],
    optional: bool,
    challenge: str | None,
) -> Authenticate:
    readers = tuple((name, _credential_reader(name, tp)) for name, tp in credentials.items())
    challenge_headers = {"www-authenticate": challenge} if challenge is not None else None

    def arguments(scope: Scope) -> dict[str, Any] | None:
        kwargs: dict[str, Any] = {}
        for name, read in readers:
            value = read(scope)
            if value is _ABSENT:
                return None
            kwargs[name] = value
        return kwargs

    async def authenticate(scope: Scope) -> Any:
        kwargs = arguments(scope)
        if kwargs is None:
            if optional:
                return None
            raise AuthenticationRequiredError(headers=challenge_headers)
        try:
            user = method(**kwargs)
            return await user if is_async else user
        except HTTPError as error:
            if challenge is not None and error.status == 401 and not _has_challenge(error):
                error.with_headers({"www-authenticate": challenge})
            raise

    return authenticate


def _has_challenge(error: HTTPError[Any]) -> bool:
    return any(name.lower() == "www-authenticate" for name in error.headers)


def _credential_reader(source: str, struct: type[msgspec.Struct]) -> CredentialReader:
    """Collect one credentials Struct; a missing required field means "no credentials"."""
    convert = struct_converter(struct, source)
    required = frozenset(f.encode_name for f in struct_fields(struct) if f.required)
    collect = _COLLECTORS[source](struct)

    def read(scope: Scope) -> Any:
        found = collect(scope)
        return _ABSENT if not required <= found.keys() else convert(found)

    return read


# --- ready-made schemes ----------------------------------------------------------------


class AuthorizationHeader(msgspec.Struct, frozen=True):
    """The credentials of `BearerAuth` and `BasicAuth`: the `Authorization` header."""

    authorization: str


class CredentialsProblem(msgspec.Struct):
    """Why an `Authorization` header was unusable (never its value)."""

    scheme: str
    reason: str


class InvalidCredentialsError(
    AuthenticationRequiredError[CredentialsProblem],
    detail="Unusable {scheme} credentials: {reason}",
):
    """401 for an `Authorization` header that does not parse for the mount's scheme."""


def _credentials_for(scheme: str, authorization: str) -> str:
    """The credentials after `scheme` in an `Authorization` value (scheme case-insensitive)."""
    name, _, rest = authorization.strip().partition(" ")
    if name.lower() != scheme.lower():
        raise InvalidCredentialsError(
            CredentialsProblem(scheme, f"the Authorization header does not use {scheme}")
        )
    return rest.lstrip(" ")


_B64TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


class _SchemeAuth[U]:
    """Shared by `BearerAuth` / `BasicAuth`: the `scheme`/`realm` class options."""

    scheme: ClassVar[str]
    realm: ClassVar[str | None] = None
    resolver: ClassVar[str]
    """The method a subclass must define (checked at wiring)."""
    resolver_signature: ClassVar[str]


class BearerAuth[U](_SchemeAuth[U]):
    """`Authorization: Bearer <token>` (RFC 6750). Subclass with the user type and define
    `async def resolve_token(self, token: str) -> User`; raise an `HTTPError` to reject.

        class TokenAuth(BearerAuth[User]):
            async def resolve_token(self, token: str) -> User: ...

    `BearerAuth[User | None]` makes authentication optional. Set `realm = "..."` on the
    subclass to name it in the `WWW-Authenticate` challenge, and `scheme = "Token"` for an
    API whose contract spells the scheme another way (`Authorization: Token <jwt>`): the
    header is then read, challenged and documented with that scheme.
    """

    scheme: ClassVar[str] = "Bearer"
    resolver: ClassVar[str] = "resolve_token"
    resolver_signature: ClassVar[str] = "async def resolve_token(self, token: str) -> User"

    async def authenticate(self, headers: AuthorizationHeader) -> U:
        scheme = type(self).scheme
        token = _credentials_for(scheme, headers.authorization)
        if not _B64TOKEN.match(token):
            raise InvalidCredentialsError(
                CredentialsProblem(scheme, "the token is not an RFC 6750 b64token")
            )
        return await self.resolve_token(token)

    async def resolve_token(self, token: str) -> U:
        """Override: the user the token belongs to; raise an `HTTPError` to reject it."""
        raise NotImplementedError


class BasicAuth[U](_SchemeAuth[U]):
    """`Authorization: Basic <base64(user-id:password)>` (RFC 7617). Subclass with the
    user type and define `async def resolve_credentials(self, username: str, password:
    str) -> User`; raise an `HTTPError` to reject. The pair is decoded as UTF-8.

    `realm` (default `"api"`) appears in the `WWW-Authenticate` challenge.
    """

    scheme: ClassVar[str] = "Basic"
    realm: ClassVar[str | None] = "api"
    resolver: ClassVar[str] = "resolve_credentials"
    resolver_signature: ClassVar[str] = (
        "async def resolve_credentials(self, username: str, password: str) -> User"
    )

    async def authenticate(self, headers: AuthorizationHeader) -> U:
        encoded = _credentials_for("Basic", headers.authorization)
        try:
            decoded = base64.b64decode(encoded.encode("latin-1"), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeError):
            raise InvalidCredentialsError(
                CredentialsProblem("Basic", "the credentials are not base64-encoded UTF-8")
            ) from None
        username, sep, password = decoded.partition(":")
        if not sep:
            raise InvalidCredentialsError(
                CredentialsProblem("Basic", "the decoded credentials lack the ':' separator")
            )
        return await self.resolve_credentials(username, password)

    async def resolve_credentials(self, username: str, password: str) -> U:
        """Override: the user these credentials belong to; raise an `HTTPError` to reject."""
        raise NotImplementedError


def _check_resolver(auth: object, owner: str) -> None:
    """A `BearerAuth` / `BasicAuth` subclass must define its async resolver."""
    if not isinstance(auth, _SchemeAuth):
        return
    cls = type(typing.cast(_SchemeAuth[Any], auth))
    if isinstance(auth, BasicAuth) and cls.scheme.lower() != "basic":
        raise WiringError(
            f'{owner}.scheme = "{cls.scheme}": BasicAuth reads RFC 7617 credentials, whose '
            f'scheme is "Basic"; remove it, or subclass BearerAuth for a token scheme'
        )
    resolver = getattr(cls, cls.resolver)
    # The ready-made class that declares the resolver (BearerAuth, BasicAuth, APIKeyAuth).
    base = next(
        k for k in reversed(cls.__mro__) if k is not _SchemeAuth and cls.resolver in vars(k)
    )
    below = cls.__mro__[: cls.__mro__.index(base)]
    if any(_defines_authenticate(k) for k in below):
        return  # the subclass parses the header itself
    if resolver is getattr(base, cls.resolver):
        raise WiringError(
            f"{owner} subclasses {base.__name__} but does not define {cls.resolver}; add "
            f"`{cls.resolver_signature}`"
        )
    if not inspect.iscoroutinefunction(resolver):
        raise WiringError(f"{owner}.{cls.resolver} must be `async def`: `{cls.resolver_signature}`")


def _defines_authenticate(klass: type) -> bool:
    method = vars(klass).get("authenticate")
    return method is not None and not getattr(method, "generated_by_jero", False)


def optional_plan(plan: AuthPlan) -> AuthPlan:
    """The plan of a public operation that still takes `user` (`public=` on an include):
    absent credentials bind `None`, invalid ones are still a 401, and the handler must
    declare `user: U | None`."""
    if plan.optional:
        return plan
    method = typing.cast(Callable[..., Any], getattr(plan.authenticator, "authenticate"))  # noqa: B009
    return dataclasses.replace(
        plan,
        where=f"{plan.where} (optional on public operations)",
        user_type=plan.user_type | None,
        optional=True,
        authenticate=_build_authenticate(
            method, inspect.iscoroutinefunction(method), plan.credentials, True, plan.challenge
        ),
    )
