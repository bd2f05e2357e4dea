"""Booking test data: a fixed week in Sydney, valid requests, and bookings made through the real
booking service (its first free slots by default)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from frontdesk.audit import Actor
from frontdesk.booking.service import BookingRequest, BookingResult, Bookings
from frontdesk.db.models import AuditEvent, Booking
from tests.support.apps import PUBLIC_URL, TEST_SECRET

SYDNEY = ZoneInfo("Australia/Sydney")  # the zone of tests.support.factories.make_site
NOW = datetime(2030, 3, 1, 0, 0, tzinfo=UTC)  # Friday 11:00 in Sydney
MONDAY = date(2030, 3, 4)
VISITOR = Actor("visitor", id="visitor-1")
VISITOR_TZ = "Europe/London"

# One city per hour of offset: the grid tests put their site where it is mid-morning now, so the
# bookings around "now" (three hours back to six ahead) fall on today in the grid whatever the
# hour the suite runs (from London, an evening run put the later bookings on tomorrow).
CITIES = (
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Chicago", "America/New_York", "America/Halifax", "America/Sao_Paulo",
    "Atlantic/South_Georgia", "Atlantic/Azores", "Europe/London", "Europe/Paris",
    "Europe/Athens", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Dhaka",
    "Asia/Bangkok", "Asia/Singapore", "Asia/Tokyo", "Australia/Brisbane", "Pacific/Noumea",
    "Pacific/Fiji", "Pacific/Tongatapu",
)  # fmt: skip


def mid_morning_zone() -> str:
    """The city whose wall clock is nearest 10:30 now."""
    utc = datetime.now(UTC)

    def distance(name: str) -> float:
        local = utc.astimezone(ZoneInfo(name))
        return abs(local.hour + local.minute / 60 - 10.5)

    return min(CITIES, key=distance)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the test site's zone (Sydney)."""
    return datetime.combine(day, time(hour, minute), SYDNEY)


def make_bookings(db, mailer=None) -> Bookings:
    """The real booking service on a database (no mailer unless given)."""
    return Bookings(db, secret_key=TEST_SECRET, public_url=PUBLIC_URL, mailer=mailer)


def booking_request(start: datetime, **fields) -> BookingRequest:
    """A valid request for a 30-minute consultation; `fields` override."""
    values = {
        "service": "consult",
        "start": start,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+61 2 9999 1234",
        "notes": "About the roof.\nThanks!",
        "visitor_tz": VISITOR_TZ,
        "visitor_id": "visitor-1",
    }
    values.update(fields)
    return BookingRequest(**values)


def row_counts(db) -> tuple[int, int]:
    """(bookings, audit events) in the database."""
    with db.session() as session:
        bookings = session.scalar(select(func.count()).select_from(Booking))
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    return bookings, events


def upcoming_slots(bookings: Bookings, site, *, service: str = "consult", days: int = 14):
    """Free slots of the coming `days` days from tomorrow in the site's zone, as the service
    computes them (none of them today: a slot minutes away could pass before it is booked)."""
    tomorrow = datetime.now(ZoneInfo(site.timezone)).date() + timedelta(days=1)
    return bookings.free_slots(site.id, service, tomorrow, tomorrow + timedelta(days=days))


def book(
    bookings: Bookings,
    site,
    start: datetime | None = None,
    *,
    service: str = "consult",
    name: str = "Ada Lovelace",
    email: str = "ada@example.com",
    visitor_tz: str = VISITOR_TZ,
    **extra,
) -> BookingResult:
    """Book through the real service as a visitor (the first free slot by default)."""
    start = start or upcoming_slots(bookings, site, service=service)[0].start
    request = BookingRequest(
        service=service, start=start, name=name, email=email, visitor_tz=visitor_tz, **extra
    )
    return bookings.create(site.id, request, VISITOR)


def upcoming_starts(bookings: Bookings, site, *, service: str = "consult", days: int = 14):
    """The start times of upcoming_slots."""
    return [slot.start for slot in upcoming_slots(bookings, site, service=service, days=days)]
