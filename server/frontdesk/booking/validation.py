"""Checks on what a visitor typed, before anything touches the database."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from frontdesk.booking.errors import InvalidBooking
from frontdesk.booking.zones import is_zone

MAX_NAME = 200
MAX_EMAIL = 254
MAX_PHONE = 40
MAX_NOTES = 2000
MAX_REASON = 2000
MAX_TZ = 64
MAX_SLUG = 64
MAX_VISITOR_ID = 64
MAX_IDEMPOTENCY_KEY = 100
MAX_RANGE_DAYS = 366

# Deliberately simple: one @, a dot-atom local part, and a domain of DNS labels with a dot.
EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
PHONE_RE = re.compile(r"\+?[0-9 ()./-]+(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?", re.IGNORECASE)


@dataclass(frozen=True)
class CleanRequest:
    """A BookingRequest after validation: trimmed text, a UTC start, bounded identifiers."""

    service: str
    start: datetime
    name: str
    email: str
    phone: str
    notes: str
    visitor_tz: str
    visitor_id: str | None
    conversation_id: int | None
    idempotency_key: str | None


def _has_control_chars(text: str, allowed: str = "") -> bool:
    return any(unicodedata.category(c)[0] == "C" and c not in allowed for c in text)


def _require_str(value: Any, field: str, label: str) -> str:
    if not isinstance(value, str):
        raise InvalidBooking(f"{label} must be text.", field=field)
    return value


def clean_name(value: Any) -> str:
    """The visitor's name: 1..200 printable characters."""
    name = " ".join(_require_str(value, "name", "Name").split())
    if not name:
        raise InvalidBooking("Please give a name for the booking.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidBooking(f"The name is too long (at most {MAX_NAME} characters).", field="name")
    if _has_control_chars(name):
        raise InvalidBooking("The name contains characters that aren't allowed.", field="name")
    return name


def is_email(text: str) -> bool:
    """True for an e-mail address of sane syntax, at most 254 characters (the one rule)."""
    return len(text) <= MAX_EMAIL and EMAIL_RE.fullmatch(text) is not None


def clean_email(value: Any) -> str:
    """An e-mail address of sane syntax, at most 254 characters, trimmed (the one cleaner)."""
    email = _require_str(value, "email", "E-mail").strip()
    if not email:
        raise InvalidBooking("Please give an e-mail address.", field="email")
    if not is_email(email):
        raise InvalidBooking(
            "That e-mail address doesn't look right. Please check it.", field="email"
        )
    return email


def clean_phone(value: Any) -> str:
    """An optional phone number: digits and the usual separators, at most 40 characters."""
    phone = " ".join(_require_str(value, "phone", "Phone").split())
    if not phone:
        return ""
    digits = sum(c.isdigit() for c in phone)
    if len(phone) > MAX_PHONE or not PHONE_RE.fullmatch(phone) or not 4 <= digits <= 20:
        raise InvalidBooking(
            "That phone number doesn't look right: use digits, spaces, + ( ) - only.",
            field="phone",
        )
    return phone


def clean_long_text(value: Any, *, field: str, label: str, limit: int) -> str:
    """Free text (notes, a cancellation reason): at most `limit` characters, lines kept."""
    text = _require_str(value, field, label).replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise InvalidBooking(f"{label} is too long (at most {limit} characters).", field=field)
    # NUL and other control characters corrupt e-mails and PostgreSQL refuses NUL outright.
    if _has_control_chars(text, allowed="\n\t"):
        raise InvalidBooking(f"{label} contains characters that aren't allowed.", field=field)
    return text


def clean_timezone(value: Any, *, field: str = "visitor_tz") -> str:
    """A valid IANA time zone name."""
    name = _require_str(value, field, "Time zone").strip()
    if not name or len(name) > MAX_TZ:
        raise InvalidBooking("Please give a valid time zone, e.g. Europe/Berlin.", field=field)
    if not is_zone(name):
        raise InvalidBooking(f"Unknown time zone {name!r}.", field=field)
    return name


def clean_start(value: Any, *, field: str = "start") -> datetime:
    """A timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise InvalidBooking("The start time must be a date and time.", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidBooking("The start time must include a time zone.", field=field)
    return value


def clean_slug(value: Any) -> str:
    """A service slug as given; existence is checked against the database later."""
    slug = _require_str(value, "service", "Service").strip()
    if not slug or len(slug) > MAX_SLUG:
        raise InvalidBooking("Please choose a consultation type.", field="service")
    return slug


def clean_optional_key(value: Any, *, field: str, limit: int) -> str | None:
    """An optional opaque identifier (visitor id, idempotency key) of bounded length."""
    if value is None:
        return None
    key = _require_str(value, field, field.replace("_", " ").capitalize()).strip()
    if not key:
        return None
    if len(key) > limit or _has_control_chars(key):
        raise InvalidBooking(f"Invalid {field.replace('_', ' ')}.", field=field)
    return key


def clean_optional_int(value: Any, *, field: str) -> int | None:
    """An optional integer id."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidBooking(f"Invalid {field.replace('_', ' ')}.", field=field)
    return value


def clean_request(request: Any, *, email_optional: bool = False) -> CleanRequest:
    """Validate every field of a BookingRequest; raises InvalidBooking naming the bad field.
    `email_optional`: an empty e-mail is allowed (staff booking someone by phone)."""
    no_email = email_optional and isinstance(request.email, str) and not request.email.strip()
    return CleanRequest(
        service=clean_slug(request.service),
        start=clean_start(request.start).astimezone(UTC),
        name=clean_name(request.name),
        email="" if no_email else clean_email(request.email),
        phone=clean_phone(request.phone),
        notes=clean_long_text(request.notes, field="notes", label="The note", limit=MAX_NOTES),
        visitor_tz=clean_timezone(request.visitor_tz),
        visitor_id=clean_optional_key(request.visitor_id, field="visitor_id", limit=MAX_VISITOR_ID),
        conversation_id=clean_optional_int(request.conversation_id, field="conversation_id"),
        idempotency_key=clean_optional_key(
            request.idempotency_key, field="idempotency_key", limit=MAX_IDEMPOTENCY_KEY
        ),
    )


MAX_SLOT_CHARS = 40  # an ISO datetime with offset and microseconds fits easily


def parse_slot(raw: str | None) -> datetime:
    """An aware datetime from a slot form field (ISO 8601); ValueError for anything else."""
    if not raw or len(raw) > MAX_SLOT_CHARS:
        raise ValueError("missing slot")
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise ValueError("naive slot")
    return moment


def parse_day(raw: str | None) -> date | None:
    """`YYYY-MM-DD` from a form or query field, None when empty; ValueError otherwise."""
    if not raw:
        return None
    if len(raw) != 10:
        raise ValueError(raw)
    return date.fromisoformat(raw)


def check_date_range(start_date: date, end_date: date) -> None:
    """Refuse anything but an ordered range of calendar dates at most MAX_RANGE_DAYS long."""
    if not (isinstance(start_date, date) and isinstance(end_date, date)):
        raise InvalidBooking("Dates must be calendar dates.", field="start_date")
    if start_date.year < 2 or end_date.year > 9998:
        raise InvalidBooking("That date is out of range.", field="start_date")
    if end_date < start_date:
        raise InvalidBooking("The end date is before the start date.", field="end_date")
    if (end_date - start_date).days > MAX_RANGE_DAYS:
        raise InvalidBooking("That date range is too long.", field="end_date")
