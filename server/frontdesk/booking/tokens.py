"""Booking public ids and manage-link tokens (HMAC-derived, only their hash is stored)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# A token is 43 characters (32 bytes, base64 without padding); anything much longer is junk.
MAX_TOKEN_CHARS = 100


def new_public_id() -> str:
    """A fresh, unguessable booking id such as ``bk_Xy3...``."""
    return "bk_" + secrets.token_urlsafe(9)


def manage_token(secret_key: str, public_id: str, version: int) -> str:
    """The manage-link token for one version of a booking.

    Deterministic, so an idempotent retry can hand back the same link without the token being
    stored; bumping `version` invalidates every earlier link.
    """
    message = f"{public_id}:{version}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_hash(token: str) -> str:
    """The SHA-256 hex digest of a token: what the database stores and is searched by."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_plausible(token: object) -> bool:
    """True when `token` is worth a database look-up (a short URL-safe string)."""
    return (
        isinstance(token, str)
        and 0 < len(token) <= MAX_TOKEN_CHARS
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in token)
    )


def matches(token: str, expected: str) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(token.encode(), expected.encode())
