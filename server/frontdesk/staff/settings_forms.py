"""Parsing and validating the settings forms: each parser returns clean values or raises FormError."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from typing import Any
from urllib.parse import urlsplit

from frontdesk.booking.validation import MAX_EMAIL, is_email
from frontdesk.sites import SiteError, normalize_origin, validate_timezone

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
COLOR_RE = re.compile(r"#[0-9a-fA-F]{6}")
RANGE_RE = re.compile(r"(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})")
MIDNIGHT = time(0)
MAX_ORIGINS = 50
MAX_BLOCKED_TERMS = 200
MAX_PROMPT_ADDITIONS = 2000
ENGINES = ("auto", "llm", "offline")
MODERATION_MODES = ("off", "local", "provider")
POSITIONS = ("right", "left")


class FormError(ValueError):
    """Invalid form input; the message is shown to the staff member as is."""


def text(form: Mapping[str, str], name: str, label: str, limit: int, *, required=False) -> str:
    """A trimmed text field of at most `limit` characters."""
    value = (form.get(name) or "").strip()
    if required and not value:
        raise FormError(f"{label} is required.")
    if len(value) > limit:
        raise FormError(f"{label} is too long (at most {limit} characters).")
    return value


def integer(form: Mapping[str, str], name: str, label: str, low: int, high: int) -> int:
    """A whole number between low and high (inclusive)."""
    raw = (form.get(name) or "").strip()
    try:
        value = int(raw)
    except ValueError:
        raise FormError(f"{label} must be a whole number.") from None
    if not low <= value <= high:
        raise FormError(f"{label} must be between {low} and {high}.")
    return value


def optional_integer(form: Mapping[str, str], name: str, label: str, low: int, high: int):
    """A whole number in range, or None when the field is blank."""
    if not (form.get(name) or "").strip():
        return None
    return integer(form, name, label, low, high)


def optional_number(form: Mapping[str, str], name: str, label: str, low: float, high: float):
    """A decimal number in range, or None when the field is blank."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise FormError(f"{label} must be a number.") from None
    if not low <= value <= high:  # also refuses NaN
        raise FormError(f"{label} must be between {low:g} and {high:g}.")
    return value


def choice(form: Mapping[str, str], name: str, label: str, options: tuple[str, ...]) -> str:
    """One of the allowed values."""
    value = (form.get(name) or "").strip()
    if value not in options:
        raise FormError(f"{label} must be one of: {', '.join(options)}.")
    return value


def parse_profile(form: Mapping[str, str]) -> dict[str, Any]:
    """Site name, description, greeting, notification e-mail and time zone."""
    email = text(form, "notification_email", "Notification e-mail", MAX_EMAIL)
    if email and not is_email(email):
        raise FormError("Notification e-mail is not a valid e-mail address.")
    try:
        timezone = validate_timezone(text(form, "timezone", "Time zone", 64, required=True))
    except SiteError as exc:
        raise FormError(str(exc)) from None
    return {
        "name": text(form, "name", "Site name", 200, required=True),
        "profile": text(form, "profile", "Business profile", 5000),
        "greeting": text(form, "greeting", "Greeting", 500, required=True),
        "notification_email": email or None,
        "timezone": timezone,
    }


def parse_service(form: Mapping[str, str]) -> dict[str, Any]:
    """A service's name, slug, description, duration, price text and active flag."""
    slug = text(form, "slug", "Slug", 64, required=True).lower()
    if not SLUG_RE.fullmatch(slug):
        raise FormError("Slug may use only a-z, 0-9 and '-', starting with a letter or digit.")
    return {
        "name": text(form, "name", "Service name", 200, required=True),
        "slug": slug,
        "description": text(form, "description", "Description", 2000),
        "duration_min": integer(form, "duration_min", "Duration (minutes)", 5, 720),
        "price_text": text(form, "price_text", "Price", 100),
        "active": form.get("active") == "on",
    }


def parse_clock(raw: str, context: str) -> time:
    """'09:30' -> time(9, 30)."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise FormError(f"{context}: {raw!r} is not a time like 09:30.")
    return time(int(match[1]), int(match[2]))


def parse_ranges(raw: str, context: str) -> list[tuple[time, time]]:
    """'09:00-12:00, 13:00-17:00' -> sorted ranges; start < end (end 00:00 = midnight), no overlap."""
    ranges = []
    for piece in filter(None, (p.strip() for p in re.split(r"[,;\n]", raw))):
        match = RANGE_RE.fullmatch(piece)
        if not match:
            raise FormError(f"{context}: {piece!r} is not a range like 09:00-12:00.")
        start = parse_clock(f"{match[1]}:{match[2]}", context)
        end = parse_clock(f"{match[3]}:{match[4]}", context)
        if end != MIDNIGHT and end <= start:
            raise FormError(f"{context}: {piece} ends before it starts.")
        ranges.append((start, end))
    ranges.sort()
    for (_, end), (next_start, _) in zip(ranges, ranges[1:], strict=False):
        if end == MIDNIGHT or next_start < end:
            raise FormError(f"{context}: the ranges overlap.")
    return ranges


def format_ranges(ranges: list[tuple[time, time]]) -> str:
    """The inverse of parse_ranges, for showing stored hours."""
    return ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in ranges)


def parse_hours(form: Mapping[str, str]) -> dict[int, list[tuple[time, time]]]:
    """Weekly hours: one ranges field per weekday (`day0` = Monday ... `day6`)."""
    return {
        weekday: parse_ranges(form.get(f"day{weekday}") or "", WEEKDAY_NAMES[weekday])
        for weekday in range(7)
    }


def parse_override(form: Mapping[str, str]) -> tuple[date, list[tuple[time, time]], str]:
    """A date override: the day, its special ranges ([] = closed) and a note."""
    try:
        day = date.fromisoformat((form.get("day") or "").strip())
    except ValueError:
        raise FormError("Date must be a date like 2026-12-24.") from None
    closed = form.get("closed") == "on"
    ranges = [] if closed else parse_ranges(form.get("ranges") or "", day.isoformat())
    if not closed and not ranges:
        raise FormError("Give special hours like 10:00-14:00, or tick 'Closed all day'.")
    return day, ranges, text(form, "note", "Note", 200)


def parse_rules(form: Mapping[str, str]) -> dict[str, int]:
    """Buffers, minimum notice, booking horizon and slot step (minutes / days)."""
    return {
        "buffer_before_min": integer(form, "buffer_before_min", "Buffer before", 0, 480),
        "buffer_after_min": integer(form, "buffer_after_min", "Buffer after", 0, 480),
        "min_notice_min": integer(form, "min_notice_min", "Minimum notice", 0, 60 * 24 * 60),
        "max_days_ahead": integer(form, "max_days_ahead", "Days ahead", 1, 730),
        "slot_step_min": integer(form, "slot_step_min", "Slot step", 5, 240),
    }


def parse_origins(form: Mapping[str, str]) -> list[str]:
    """Allowed origins, one per line, normalised and de-duplicated."""
    origins: list[str] = []
    lines = [line.strip() for line in (form.get("origins") or "").splitlines()]
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        try:
            origin = normalize_origin(line)
        except SiteError as exc:
            raise FormError(f"Line {number}: {exc}") from None
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise FormError(f"At most {MAX_ORIGINS} origins.")
    return origins


def parse_appearance(form: Mapping[str, str]) -> dict[str, str]:
    """Widget accent colour, title, launcher label and position."""
    accent = (form.get("accent") or "").strip()
    if not COLOR_RE.fullmatch(accent):
        raise FormError("Accent colour must look like #0f5c8c.")
    return {
        "accent": accent.lower(),
        "title": text(form, "title", "Panel title", 80),
        "launcher": text(form, "launcher", "Launcher label", 40, required=True),
        "position": choice(form, "position", "Position", POSITIONS),
    }


def readable_ink(accent: str) -> str:
    """Black or white, whichever contrasts more with the accent (WCAG luminance, as the widget)."""
    channels = [int(accent[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    lum = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def parse_llm(form: Mapping[str, str]) -> dict[str, Any]:
    """Assistant engine and model parameters; api_key only when a new one was typed."""
    base_url = text(form, "base_url", "Base URL", 500)
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FormError("Base URL must be an http:// or https:// address.")
    values: dict[str, Any] = {
        "engine": choice(form, "engine", "Engine", ENGINES),
        "model": text(form, "model", "Model", 100) or None,
        "temperature": optional_number(form, "temperature", "Temperature", 0, 2),
        "top_p": optional_number(form, "top_p", "Top p", 0, 1),
        "top_k": optional_integer(form, "top_k", "Top k", 0, 1000),
        "max_tokens": optional_integer(form, "max_tokens", "Max tokens", 1, 128000),
        "system_prompt_additions": text(
            form, "system_prompt_additions", "System prompt additions", MAX_PROMPT_ADDITIONS
        )
        or None,
        "base_url": base_url or None,
    }
    api_key = (form.get("api_key") or "").strip()
    if len(api_key) > 500:
        raise FormError("API key is too long.")
    if api_key:
        values["api_key"] = api_key
    return values


def parse_budget(form: Mapping[str, str]) -> int | None:
    """Daily token budget: blank means the server default."""
    return optional_integer(form, "daily_token_budget", "Daily token budget", 0, 10**9)


def parse_moderation(form: Mapping[str, str]) -> dict[str, Any]:
    """Moderation mode, blocked terms (one per line) and PII redaction."""
    terms: list[str] = []
    for line in (form.get("blocked_terms") or "").splitlines():
        term = line.strip().lower()
        if len(term) > 100:
            raise FormError(f"Blocked term {term[:20]!r}... is too long (at most 100 characters).")
        if term and term not in terms:
            terms.append(term)
    if len(terms) > MAX_BLOCKED_TERMS:
        raise FormError(f"At most {MAX_BLOCKED_TERMS} blocked terms.")
    return {
        "mode": choice(form, "mode", "Moderation mode", MODERATION_MODES),
        "blocked_terms": terms,
        "redact_pii": form.get("redact_pii") == "on",
    }
