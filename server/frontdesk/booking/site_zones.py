"""Which zone names a business may use: real place-based IANA zones, with a suggestion otherwise.

A site's hours follow the law of a place, daylight saving included. Abbreviations ("EST"), POSIX
rules ("EST5EDT"), fixed offsets ("Etc/GMT+5") and country aliases ("Japan") either freeze the
offset or hide which place is meant, so they are refused with the zone the owner most likely
wants. Visitors' browsers may still report any zone: this applies to sites only.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

ALWAYS_ALLOWED = frozenset({"UTC", "Etc/UTC"})

# Names people type (abbreviations, POSIX rules, tzdata's country aliases) -> the zone meant.
SUGGESTIONS = {
    **dict.fromkeys(("EST", "EDT", "EST5EDT", "ET"), "America/New_York"),
    **dict.fromkeys(("CST", "CDT", "CST6CDT", "CT"), "America/Chicago"),
    **dict.fromkeys(("MST", "MDT", "MST7MDT", "MT", "NAVAJO"), "America/Denver"),
    **dict.fromkeys(("PST", "PDT", "PST8PDT", "PT"), "America/Los_Angeles"),
    **dict.fromkeys(("AKST", "AKDT"), "America/Anchorage"),
    **dict.fromkeys(("HST", "HDT"), "Pacific/Honolulu"),
    **dict.fromkeys(
        ("GMT", "GMT0", "GMT+0", "GMT-0", "GREENWICH", "BST", "GB", "GB-EIRE"), "Europe/London"
    ),  # fmt: skip
    **dict.fromkeys(("UCT", "UNIVERSAL", "ZULU", "Z"), "UTC"),
    **dict.fromkeys(("CET", "CEST", "MET", "MEST"), "Europe/Paris"),
    **dict.fromkeys(("EET", "EEST"), "Europe/Athens"),
    **dict.fromkeys(("WET", "WEST", "PORTUGAL"), "Europe/Lisbon"),
    **dict.fromkeys(("IST",), "Asia/Kolkata"),
    **dict.fromkeys(("JST", "JAPAN"), "Asia/Tokyo"),
    **dict.fromkeys(("KST", "ROK"), "Asia/Seoul"),
    **dict.fromkeys(("AEST", "AEDT"), "Australia/Sydney"),
    **dict.fromkeys(("ACST", "ACDT"), "Australia/Adelaide"),
    **dict.fromkeys(("AWST",), "Australia/Perth"),
    **dict.fromkeys(("NZST", "NZDT", "NZ"), "Pacific/Auckland"),
    **dict.fromkeys(("HKT", "HONGKONG"), "Asia/Hong_Kong"),
    **dict.fromkeys(("SGT", "SINGAPORE"), "Asia/Singapore"),
    **dict.fromkeys(("MSK", "W-SU"), "Europe/Moscow"),
    "NZ-CHAT": "Pacific/Chatham",
    "CUBA": "America/Havana",
    "EGYPT": "Africa/Cairo",
    "EIRE": "Europe/Dublin",
    "ICELAND": "Atlantic/Reykjavik",
    "IRAN": "Asia/Tehran",
    "ISRAEL": "Asia/Jerusalem",
    "JAMAICA": "America/Jamaica",
    "KWAJALEIN": "Pacific/Kwajalein",
    "LIBYA": "Africa/Tripoli",
    "PRC": "Asia/Shanghai",
    "POLAND": "Europe/Warsaw",
    "ROC": "Asia/Taipei",
    "TURKEY": "Europe/Istanbul",
}


@lru_cache(maxsize=1)
def place_zones() -> frozenset[str]:
    """Every zone a site may use: Area/Place names (legacy ones like US/Eastern too) and UTC."""
    return frozenset(
        name
        for name in available_timezones()
        if name in ALWAYS_ALLOWED
        or ("/" in name and not name.startswith(("Etc/", "posix/", "right/", "SystemV/")))
    )


def site_zone_problem(name: str) -> str | None:
    """None when `name` is a zone a site may use; else why not, with the zone probably meant."""
    name = name.strip()
    if name in place_zones():
        return None
    meant = suggest_zone(name)
    hint = (
        f"Did you mean {meant}?"
        if meant
        else "Use the zone of the business's city, e.g. Europe/Paris or America/New_York."
    )
    if name in available_timezones():
        return (
            f"Time zone {name!r} is an abbreviation, offset or alias, not a place: its "
            f"daylight-saving rules would be wrong or ambiguous. {hint}"
        )
    return f"Unknown time zone {name!r}. {hint}"


def suggest_zone(name: str) -> str | None:
    """The place zone someone typing `name` most likely means, or None."""
    key = name.strip().upper()
    if key in SUGGESTIONS:
        return SUGGESTIONS[key]
    wanted = name.strip().replace(" ", "_").lower()
    if not wanted:
        return None
    by_name = {zone.lower(): zone for zone in place_zones()}
    if wanted in by_name:  # only the case was wrong: "europe/paris"
        return by_name[wanted]
    # A city on its own: "Paris", "new york"; the shortest match is the canonical one.
    cities = sorted(
        (zone for zone in place_zones() if zone.lower().rsplit("/", 1)[-1] == wanted), key=len
    )
    return cities[0] if cities else None
