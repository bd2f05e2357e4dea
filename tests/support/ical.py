"""Reading iCalendar in tests: with icalendar and, independently, with vobject."""

from __future__ import annotations

import vobject
from icalendar import Calendar


def parse_both(data: bytes):
    """Parse iCalendar bytes with icalendar and, independently, with vobject."""
    text = data.decode("utf-8")
    return Calendar.from_ical(data), vobject.readOne(text)


def events(calendar: Calendar) -> list:
    """The VEVENT components of an icalendar Calendar."""
    return [c for c in calendar.walk() if c.name == "VEVENT"]
