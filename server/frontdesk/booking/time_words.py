"""Times in words, one way everywhere (widget cards and chips, e-mails, the manage page, the
dashboard): the clock style of the reader's locale, zones named as people say them, day and
month names in the reader's language (frontdesk.i18n.dates)."""

from __future__ import annotations

from datetime import datetime

from frontdesk.booking.zones import zone_label, zone_or_utc, zones_differ
from frontdesk.i18n import dates

# Locales that read a 12-hour clock (CLDR's preferred hour cycle): English as written in these
# regions (bare "en" is American English, as browsers take it), and these languages.
TWELVE_HOUR_ENGLISH = {"", "US", "CA", "AU", "NZ", "IN", "PH", "PK", "MY", "SG", "EG", "SA"}
TWELVE_HOUR_LANGUAGES = {"hi", "bn", "ur", "ar", "ko", "fil", "tl"}


def uses_12_hour(lang: str | None) -> bool:
    """True when the locale (a BCP 47 tag such as "en-US", "en_GB", "fr") reads a 12-hour clock."""
    parts = (lang or "en").replace("_", "-").split("-")
    base = parts[0].lower()
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), "")
    if base == "en":
        return region in TWELVE_HOUR_ENGLISH
    return base in TWELVE_HOUR_LANGUAGES


def clock(moment: datetime, lang: str | None, *, suffix: bool = True) -> str:
    """ "14:30", or "2:30 pm" where the locale reads a 12-hour clock (suffix=False: "2:30")."""
    if not uses_12_hour(lang):
        return f"{moment:%H:%M}"
    text = f"{moment.hour % 12 or 12}:{moment.minute:02d}"
    return f"{text} {'am' if moment.hour < 12 else 'pm'}" if suffix else text


def short_day(moment: datetime, lang: str | None = None, *, year: bool = False) -> str:
    """ "Tue 8 Dec" (with year: "Tue 8 Dec 2026"; in French "mar. 8 déc.")."""
    return dates.short_day(moment, lang, year=year)


def long_day(moment: datetime, lang: str | None = None) -> str:
    """ "Tuesday 8 December 2026" (in French "mardi 8 décembre 2026")."""
    return dates.long_day(moment, lang)


def clock_range(local_start: datetime, local_end: datetime, lang: str | None) -> str:
    """ "6:00–6:30 pm" (am/pm said once when both share it), "18:00–18:30", or with the end's
    day when it falls on the next: "11:30 pm – Tue 8 Dec 12:15 am"."""
    if local_end.date() != local_start.date():
        end_day = short_day(local_end, lang)
        return f"{clock(local_start, lang)} – {end_day} {clock(local_end, lang)}"
    same_half = uses_12_hour(lang) and (local_start.hour < 12) == (local_end.hour < 12)
    return f"{clock(local_start, lang, suffix=not same_half)}–{clock(local_end, lang)}"


def span(start: datetime, end: datetime, tz_name: str | None, lang: str | None) -> str:
    """ "Tue 1 Dec 2026, 6:00–6:30 pm (New York time)": a UTC range in a zone, one day named."""
    zone = zone_or_utc(tz_name)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    times = clock_range(local_start, local_end, lang)
    return f"{short_day(local_start, lang, year=True)}, {times} ({zone_label(tz_name, lang)})"


def moment_words(moment: datetime, tz_name: str | None, lang: str | None = "en-GB") -> str:
    """ "Tuesday 8 December 2026, 14:30 (London time)"."""
    local = moment.astimezone(zone_or_utc(tz_name))
    return f"{long_day(local, lang)}, {clock(local, lang)} ({zone_label(tz_name, lang)})"


def beside(moment: datetime, visitor_tz: str | None, business_tz: str | None, lang=None) -> str:
    """The business's clock for a visitor, "" when their zones agree: "19:30 London time"."""
    if not zones_differ(visitor_tz, business_tz):
        return ""
    local = moment.astimezone(zone_or_utc(business_tz))
    visitor_day = moment.astimezone(zone_or_utc(visitor_tz)).date()
    day = "" if local.date() == visitor_day else f"{short_day(local, lang)}, "
    return f"{day}{clock(local, lang)} {zone_label(business_tz, lang)}"
