"""A booking's calendar identity and header-safe text: what e-mails, .ics files and calendar
write-backs share, kept apart from booking/ics.py so using them does not load icalendar."""

from __future__ import annotations

UID_DOMAIN = "frontdesk"


def booking_uid(booking) -> str:
    """The event UID: derived from the public id only, so it survives every reschedule."""
    return f"{booking.public_id}@{UID_DOMAIN}"


def one_line(value: str | None, limit: int = 200) -> str:
    """Collapse CR/LF and other control characters so a value stays one header-safe line."""
    text = "".join(ch if ch.isprintable() else " " for ch in (value or ""))
    return " ".join(text.split())[:limit]
