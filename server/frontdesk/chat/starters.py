"""The chips under an empty conversation's greeting: a first step without typing."""

from __future__ import annotations

from typing import Any

# The offline engine's own chips send the same words; any engine understands them.
BOOK = {
    "label": "Book a consultation",
    "action": "reply",
    "value": "I'd like to book a consultation",
}
HUMAN = {"label": "Talk to a person", "action": "reply", "value": "I'd like to talk to a person"}


def starter_choices(site: Any) -> list[dict[str, str]]:
    """Book (only when the site offers a service) and talk to a person."""
    bookable = any(getattr(service, "active", True) for service in site.services or ())
    return [dict(BOOK), dict(HUMAN)] if bookable else [dict(HUMAN)]
