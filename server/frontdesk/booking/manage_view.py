"""What the visitor's manage page shows: times in words in their language (their zone, the
business's beside it when different, their clock style), the day picker, and the site's own
colours."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from frontdesk.booking import time_words
from frontdesk.booking.reschedule_picker import picker_day
from frontdesk.booking.zones import zone_label, zone_or_utc, zones_differ
from frontdesk.db.models import Booking, Site

HEX = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
DEFAULT_ACCENT = "#1f5fbf"


def when(moment: datetime, tz_name: str, lang: str) -> dict[str, str]:
    """A moment as display parts in one zone: date, clock (the reader's style), zone name."""
    local = moment.astimezone(zone_or_utc(tz_name))
    return {
        "date": time_words.long_day(local, lang),
        "time": time_words.clock(local, lang),
        "zone": zone_label(tz_name, lang),
    }


def times(booking: Booking, site: Site, lang: str) -> dict:
    """The booking's start and end in the visitor's zone and, when it differs, the business's;
    each range written as the widget's cards write it ("5:00–5:45 pm")."""
    visitor_zone, business_zone = zone_or_utc(booking.visitor_tz), zone_or_utc(site.timezone)
    return {
        "visitor_range": time_words.clock_range(
            booking.start.astimezone(visitor_zone), booking.end.astimezone(visitor_zone), lang
        ),
        "business_range": time_words.clock_range(
            booking.start.astimezone(business_zone), booking.end.astimezone(business_zone), lang
        ),
        "visitor_time": when(booking.start, booking.visitor_tz, lang),
        "visitor_end": when(booking.end, booking.visitor_tz, lang),
        "business_time": when(booking.start, site.timezone, lang),
        "business_end": when(booking.end, site.timezone, lang),
        "same_zone": not zones_differ(booking.visitor_tz, site.timezone),
    }


def slot_choices(
    bookings, booking: Booking, site: Site, wanted: date | None, lang: str, now: datetime
) -> dict:
    """The day picker in the visitor's zone, opening on the booked day (when it is still ahead)
    with previous / next; each free time shown in both zones."""
    zone = zone_or_utc(booking.visitor_tz)
    booked_day = booking.start.astimezone(zone).date() if booking.start > now else None
    picker = picker_day(bookings, booking, site, booking.visitor_tz, wanted, now, prefer=booked_day)
    return {
        "day": picker.day,
        "day_text": time_words.long_day(datetime.combine(picker.day, datetime.min.time()), lang),
        "prev_day": picker.prev_day,
        "next_day": picker.next_day,
        "min_day": picker.min_day,
        "max_day": picker.max_day,
        "slots": [
            {
                "value": s.start.astimezone(UTC).isoformat(),
                "visitor": when(s.start, booking.visitor_tz, lang)["time"],
                "business": when(s.start, site.timezone, lang)["time"],
            }
            for s in picker.slots
        ],
    }


def theme_css(appearance: dict | None) -> str:
    """The site's accent as CSS custom properties (a stylesheet: the page's CSP forbids inline
    styles). Only a hex colour is taken; text on it is black or white, whichever reads better,
    and links use it only when it is dark enough to read on white."""
    accent = str((appearance or {}).get("accent") or "")
    accent = accent if HEX.fullmatch(accent) else DEFAULT_ACCENT
    if len(accent) == 4:
        accent = "#" + "".join(c * 2 for c in accent[1:])
    light = _luminance(accent)
    ink = "#000000" if (light + 0.05) / 0.05 >= 1.05 / (light + 0.05) else "#ffffff"
    link = accent if 1.05 / (light + 0.05) >= 4.5 else "#1b1f24"
    return (
        f":root{{--accent:{accent};--accent-text:{ink};--link:{link};"
        f"--color-primary:{accent};--color-primary-hover:{accent};--color-on-primary:{ink}}}\n"
        ".site-header{background:var(--accent);border-color:var(--accent)}\n"
        ".site-header .brand{color:var(--accent-text)}\n"
        "a{color:var(--link)}\n"
    )


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    total = 0.0
    for weight, index in zip((0.2126, 0.7152, 0.0722), (1, 3, 5), strict=True):
        channel = int(hex_colour[index : index + 2], 16) / 255
        channel = channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
        total += weight * channel
    return total
