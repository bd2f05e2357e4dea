"""Calendar passwords encrypted at rest (Fernet), with the key from the server's configuration.

CALENDAR_KEYS (comma-separated Fernet keys, newest first) lets an operator rotate keys: new
secrets use the first, old ones still open with the others. Without it, a key is derived from
SECRET_KEY, so a stolen database alone does not reveal any password."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from frontdesk.calendars.base import CalendarRefused


class Credentials:
    """Encrypts and decrypts calendar passwords with the configured keys."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Credentials:
        """Keys from CALENDAR_KEYS, else one derived from SECRET_KEY."""
        configured = config.get("CALENDAR_KEYS") or ""
        if isinstance(configured, str):
            configured = configured.split(",")
        keys = [key.strip().encode() for key in configured if key and key.strip()]
        if not keys:
            digest = hashlib.sha256(b"frontdesk calendar credentials\0" + _secret(config)).digest()
            keys = [base64.urlsafe_b64encode(digest)]
        return cls(keys)

    def seal(self, password: str) -> bytes:
        """The encrypted password (empty for no password)."""
        return self._fernet.encrypt(password.encode()) if password else b""

    def open(self, sealed: bytes) -> str:
        """The password; CalendarRefused when the key that sealed it is gone."""
        if not sealed:
            return ""
        try:
            return self._fernet.decrypt(bytes(sealed)).decode()
        except InvalidToken:
            raise CalendarRefused(
                "The saved password cannot be read with this server's key; enter it again."
            ) from None


def _secret(config: Mapping[str, Any]) -> bytes:
    secret = config.get("SECRET_KEY")
    if not secret:
        raise ValueError("SECRET_KEY is needed to encrypt calendar passwords")
    return str(secret).encode()
