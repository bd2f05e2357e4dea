"""Tests of the booking web pages, .ics files, staff feed and e-mail; shared helpers below."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta

import vobject
from icalendar import Calendar

from frontdesk.audit import Actor
from frontdesk.booking.service import BookingRequest, BookingResult, Bookings

VISITOR = Actor("visitor", id="visitor-1")
VISITOR_TZ = "Europe/London"
PUBLIC_URL = "http://frontdesk.test"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
SLOT_RE = re.compile(r'name="slot" value="([^"]+)"')


def upcoming_slots(bookings: Bookings, site, *, service: str = "consult", days: int = 14):
    """Free slots from tomorrow (UTC) on, as the service computes them."""
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    return bookings.free_slots(site.id, service, tomorrow, tomorrow + timedelta(days=days))


def book(
    bookings: Bookings,
    site,
    start: datetime | None = None,
    *,
    name: str = "Ana Visitor",
    email: str = "ana@example.test",
    visitor_tz: str = VISITOR_TZ,
    **extra,
) -> BookingResult:
    """Book the "consult" service through the real service (first free slot by default)."""
    start = start or upcoming_slots(bookings, site)[0].start
    request = BookingRequest(
        service="consult", start=start, name=name, email=email, visitor_tz=visitor_tz, **extra
    )
    return bookings.create(site.id, request, VISITOR)


def parse_both(data: bytes):
    """Parse iCalendar bytes with icalendar and, independently, with vobject."""
    text = data.decode("utf-8")
    return Calendar.from_ical(data), vobject.readOne(text)


def events(calendar: Calendar) -> list:
    """The VEVENT components of an icalendar Calendar."""
    return [c for c in calendar.walk() if c.name == "VEVENT"]


def free_port() -> int:
    """A loopback TCP port nobody is listening on (at the time of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
