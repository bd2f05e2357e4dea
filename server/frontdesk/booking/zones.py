"""IANA time zones: the one check of a zone name that every layer uses, and a display fallback."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo


def zone_named(name: object) -> ZoneInfo:
    """The ZoneInfo of an IANA zone name; ValueError for anything else (unknown, malformed, a
    path, not text)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"unknown time zone: {name!r}")
    return _load(name)


@lru_cache(maxsize=512)
def _load(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    # ZoneInfoNotFoundError is a KeyError; odd names can raise ValueError or an OSError
    # (a folder such as "Europe", a name the file system refuses).
    except (KeyError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone: {name!r}") from exc


def is_zone(name: object) -> bool:
    """True when `name` is an IANA zone name this system knows."""
    try:
        zone_named(name)
    except ValueError:
        return False
    return True


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The named zone, or UTC when the name is missing or unknown (for display, never for rules)."""
    try:
        return zone_named(name or "UTC")
    except ValueError:
        return zone_named("UTC")
