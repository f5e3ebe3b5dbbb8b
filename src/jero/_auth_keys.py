"""`APIKeyAuth`: an API key read from one header, query parameter or cookie.

    class KeyAuth(APIKeyAuth[Client], header="X-API-Key"):
        async def resolve_key(self, key: str) -> Client: ...

The class option names where the key travels (`header=`, `query=` or `cookie=`, exactly
one). jero writes the subclass's `authenticate` from it, so the key is read like any
credential (absent: 401, or `None` for `APIKeyAuth[Client | None]`) and the OpenAPI
document describes it as an `apiKey` security scheme in that place.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, ClassVar

import msgspec

from ._auth import _SchemeAuth  # pyright: ignore[reportPrivateUsage]
from ._errors import WiringError

__all__ = ["APIKeyAuth"]

_HEADER = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_PLACES = {"header": "headers", "query": "params", "cookie": "cookies"}


class APIKeyAuth[U](_SchemeAuth[U]):
    """An API key in a header (`header="X-API-Key"`), the query (`query="api_key"`) or a
    cookie (`cookie="key"`). Subclass with the user type and one place, and define
    `async def resolve_key(self, key: str) -> User`; raise an `HTTPError` to reject it.
    """

    resolver: ClassVar[str] = "resolve_key"
    resolver_signature: ClassVar[str] = "async def resolve_key(self, key: str) -> User"
    key_place: ClassVar[str | None] = None
    """`header`, `query` or `cookie`."""
    key_name: ClassVar[str | None] = None
    """The header, query parameter or cookie name."""

    def __init_subclass__(
        cls,
        *,
        header: str | None = None,
        query: str | None = None,
        cookie: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        given = {p: n for p, n in (("header", header), ("query", query), ("cookie", cookie)) if n}
        if len(given) > 1:
            raise WiringError(
                f"{cls.__qualname__}: an API key travels in one place; give one of "
                f"header=, query= or cookie=, not {' and '.join(f'{p}=' for p in given)}"
            )
        if not given:
            if cls.key_place is None and not _is_generic_base(cls):
                raise WiringError(
                    f'{cls.__qualname__}: say where the key travels: header="X-API-Key", '
                    f'query="api_key" or cookie="key"'
                )
            return
        ((place, name),) = given.items()
        if not _HEADER.match(name):
            raise WiringError(f"{cls.__qualname__}: {place}={name!r} is not a valid {place} name")
        cls.key_place, cls.key_name = place, name
        _write_authenticate(cls, place, name)

    async def resolve_key(self, key: str) -> U:
        """Override: the user the key belongs to; raise an `HTTPError` to reject it."""
        raise NotImplementedError


def _is_generic_base(cls: type) -> bool:
    """`class Base[U](APIKeyAuth[U])`: an intermediate base still open over the user."""
    return bool(getattr(cls, "__type_params__", ()))


def _write_authenticate(cls: type[APIKeyAuth[Any]], place: str, name: str) -> None:
    wire = name.lower() if place == "header" else name
    credentials = msgspec.defstruct(
        f"{cls.__name__}Key", [("key", str)], rename={"key": wire}, frozen=True
    )
    source = _PLACES[place]

    async def authenticate(self: APIKeyAuth[Any], **found: Any) -> Any:
        return await self.resolve_key(found[source].key)

    (user,) = APIKeyAuth.__type_params__
    authenticate.__annotations__ = {source: credentials, "return": user}
    authenticate.__signature__ = _signature(source)  # type: ignore[attr-defined]
    authenticate.__qualname__ = f"{cls.__qualname__}.authenticate"
    authenticate.generated_by_jero = True  # type: ignore[attr-defined]
    cls.authenticate = authenticate  # type: ignore[attr-defined]


def _signature(source: str) -> inspect.Signature:
    return inspect.Signature(
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter(source, inspect.Parameter.KEYWORD_ONLY),
        ]
    )
