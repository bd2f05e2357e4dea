"""The chips under an empty conversation's greeting: a first step without typing."""

from __future__ import annotations

from typing import Any

from frontdesk.i18n import text


def starter_choices(site: Any, lang: str | None = None) -> list[dict[str, str]]:
    """Book (only when the site offers a service) and talk to a person, in the visitor's
    language. The offline engine's own chips send the same English words, and it reads the
    other languages' ones as those (i18n.english_equivalent)."""
    human = _chip(lang, "human")
    bookable = any(getattr(service, "active", True) for service in site.services or ())
    return [_chip(lang, "book"), human] if bookable else [human]


def _chip(lang: str | None, name: str) -> dict[str, str]:
    return {"label": text(lang, name), "action": "reply", "value": text(lang, f"{name}Value")}
