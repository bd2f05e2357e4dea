"""Whether this server sends e-mail, and where to: what the dashboard's banner and buttons say."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MailState:
    """`sends`: an SMTP server is configured; `caught`: it is the demo's local mail catcher, so
    nothing reaches a real inbox (then `catcher` is its host:port)."""

    sends: bool
    caught: bool = False
    catcher: str = ""


def sends_mail() -> bool:
    """Whether the current app sends e-mail at all (staff messages promise one only then)."""
    from flask import current_app

    return mail_state(current_app.config).sends


def mail_state(config: Mapping[str, Any]) -> MailState:
    """The app's e-mail situation, from its configuration."""
    url = config.get("SMTP_URL") or ""
    catcher = config.get("MAIL_CATCHER") or ""
    if not url:
        return MailState(False)
    caught = bool(catcher) and url == f"smtp://{catcher}"
    return MailState(True, caught, catcher if caught else "")
