"""IANA time zones: the one check of a zone name that every layer uses, and a display fallback."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from frontdesk.i18n import dates


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


# Zones people don't call by a city: the name they do use.
_SPOKEN = {"UTC": "UTC", "Etc/UTC": "UTC", "GMT": "GMT", "Etc/GMT": "GMT"}


def zone_label(name: str | None, lang: str | None = None) -> str:
    """A zone as people say it: "America/New_York" is "New York time" ("heure de New York" in
    French), "UTC" stays "UTC"."""
    key = getattr(name, "key", name) or "UTC"
    if key in _SPOKEN:
        return _SPOKEN[key]
    city = key.rsplit("/", 1)[-1].replace("_", " ")
    if key.startswith("Etc/") or not city:  # Etc/GMT+5 and friends have no city to name
        return key.removeprefix("Etc/")
    return dates.city_time(key, city, lang)


def zones_differ(first: str | None, second: str | None) -> bool:
    """True when two zones disagree on the clock now or at some point of the year."""
    if (first or "UTC") == (second or "UTC"):
        return False
    a, b = zone_or_utc(first), zone_or_utc(second)
    year = datetime.now(UTC).year
    probes = [datetime(year, month, 15, 12, tzinfo=UTC) for month in (1, 4, 7, 10)]
    return any(p.astimezone(a).utcoffset() != p.astimezone(b).utcoffset() for p in probes)
