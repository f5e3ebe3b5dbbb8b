"""Who is calling: JSON Web Tokens (HS256, RFC 7519) sent as `Authorization: Token <jwt>`.

A JWT is three base64url parts, `header.payload.signature`, the signature an HMAC-SHA256
of the first two under the app's secret. The standard library is enough for this one
algorithm; an app that needs more (key rotation, RS256) would use PyJWT. Passwords are
stored as PBKDF2-SHA256 with a salt of their own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

import msgspec

from jero import BearerAuth

from .errors import TokenInvalidError
from .models import Viewer

_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")


class Claims(msgspec.Struct):
    sub: int
    username: str
    exp: int


_decode_claims = msgspec.json.Decoder(Claims).decode


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


class Tokens:
    """Issues and checks the app's tokens with one secret."""

    def __init__(self, secret: bytes, lifetime_seconds: int = 30 * 24 * 3600) -> None:
        self._secret = secret
        self._lifetime = lifetime_seconds

    def issue(self, user_id: int, username: str) -> str:
        claims = Claims(user_id, username, int(time.time()) + self._lifetime)
        signed = _HEADER + b"." + _b64(msgspec.json.encode(claims))
        return (signed + b"." + _b64(self._sign(signed))).decode()

    def check(self, token: str) -> Claims:
        """The token's claims; `TokenInvalidError` (401) for a forged or expired one."""
        try:
            header, payload, signature = token.encode("ascii").split(b".")
            valid = hmac.compare_digest(_unb64(signature), self._sign(header + b"." + payload))
            claims = _decode_claims(_unb64(payload)) if valid and header == _HEADER else None
        except (ValueError, binascii.Error, msgspec.DecodeError):
            claims = None
        if claims is None or claims.exp < time.time():
            raise TokenInvalidError()
        return claims

    def _sign(self, data: bytes) -> bytes:
        return hmac.new(self._secret, data, hashlib.sha256).digest()


class TokenAuth(BearerAuth[Viewer]):
    """The spec's `Authorization: Token <jwt>`: `BearerAuth` with the scheme renamed."""

    scheme = "Token"

    def __init__(self, tokens: Tokens) -> None:
        self._tokens = tokens

    async def resolve_token(self, token: str) -> Viewer:
        claims = self._tokens.check(token)
        return Viewer(claims.sub, claims.username, token)


class Passwords:
    """PBKDF2-SHA256; `iterations` is the cost (tests lower it to stay fast)."""

    def __init__(self, iterations: int = 600_000) -> None:
        self._iterations = iterations

    def hash(self, password: str) -> str:
        salt = secrets.token_bytes(16)
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, self._iterations)
        return f"pbkdf2_sha256${self._iterations}${salt.hex()}${digest.hex()}"

    @staticmethod
    def verify(password: str, stored: str) -> bool:
        _, iterations, salt, digest = stored.split("$")
        found = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), bytes.fromhex(salt), int(iterations)
        )
        return hmac.compare_digest(found.hex(), digest)
