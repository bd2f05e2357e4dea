"""Visitor identity: a random visitor id carried by the widget as a signed token."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "frontdesk-visitor"
MAX_TOKEN_CHARS = 200


def new_visitor_id() -> str:
    """A fresh, unguessable visitor id."""
    return "v_" + secrets.token_urlsafe(16)


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def issue_token(secret_key: str, visitor_id: str) -> str:
    """The signed token the widget keeps (in localStorage) and sends back in `hello`."""
    return _serializer(secret_key).dumps(visitor_id)


def read_token(secret_key: str, token: object) -> str | None:
    """The visitor id in a token, or None when it is missing, malformed or forged."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        visitor_id = _serializer(secret_key).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(visitor_id, str) or not visitor_id.startswith("v_") or len(visitor_id) > 64:
        return None
    return visitor_id
