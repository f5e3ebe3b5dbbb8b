"""Signed random tokens: what session and CSRF cookies carry.

A token is `<random>.<signature>`: 32 random bytes and an HMAC-SHA256 of them under the
app's secret, both URL-safe base64. Only the app can mint one, so a cookie that was
guessed, forged or cut is refused by one HMAC, before any store is asked about it
(which also keeps a flood of made-up cookies from costing a store round trip each).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from .._errors import WiringError

__all__ = ["Signer"]

TOKEN_LENGTH = 87
"""43 characters of random part, a dot, 43 of signature."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Signer:
    """Mints and checks signed tokens under one secret, for one purpose (the purpose is
    part of what is signed: a session token is never a valid CSRF token)."""

    __slots__ = ("_key",)

    def __init__(self, secret: str | bytes, purpose: str, *, where: str) -> None:
        key = secret.encode() if isinstance(secret, str) else secret
        if len(key) < 32:
            raise WiringError(
                f"{where}: the secret must be at least 32 bytes of randomness (for example "
                f"secrets.token_urlsafe(32), kept out of the source)"
            )
        self._key = hmac.new(key, purpose.encode(), hashlib.sha256).digest()

    def _sign(self, part: str) -> str:
        return _b64(hmac.new(self._key, part.encode("ascii"), hashlib.sha256).digest())

    def mint(self) -> str:
        """A fresh token."""
        part = _b64(secrets.token_bytes(32))
        return f"{part}.{self._sign(part)}"

    def check(self, token: str) -> str | None:
        """The random part of `token` when its signature holds, else None."""
        if len(token) != TOKEN_LENGTH or token[43] != "." or not token.isascii():
            return None
        part, signature = token[:43], token[44:]
        return part if hmac.compare_digest(self._sign(part), signature) else None
