"""The dashboard's booking filters: parsed from the query string, and the query they narrow."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from frontdesk.booking.validation import parse_day as parse_iso_day
from frontdesk.db.models import Booking, BookingHost, Host, Service
from frontdesk.db.models.booking import CANCELLED, COMPLETED, CONFIRMED, NO_SHOW

STATUSES = (CONFIRMED, COMPLETED, NO_SHOW, CANCELLED)


class FilterError(ValueError):
    """A filter in the query string is not valid (the message says which)."""


@dataclass(frozen=True)
class Filters:
    """What the bookings list, the week view and the export are narrowed to."""

    service: str = ""
    status: str = ""
    start: date | None = None
    end: date | None = None
    cancelled: bool = False  # cancelled bookings are left out unless asked for
    host: str = ""  # a host's public id: the bookings that person attends

    def query_args(self) -> dict[str, str]:
        """The filters as GET parameters (empty ones left out), for links."""
        args = {"service": self.service, "status": self.status}
        args["from"] = self.start.isoformat() if self.start else ""
        args["to"] = self.end.isoformat() if self.end else ""
        args["cancelled"] = "1" if self.cancelled else ""
        args["host"] = self.host
        return {k: v for k, v in args.items() if v}

    @property
    def shows_cancelled(self) -> bool:
        """True when cancelled bookings are listed (asked for, or the status filter says so)."""
        return self.cancelled or self.status == CANCELLED


# Dates the dashboard pages accept: week and day arithmetic, time zones and the databases
# all stay well inside these (date.max + a day, or 0001-01-01 in a zone east of UTC, overflow).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def parse_day(raw: str | None, label: str) -> date | None:
    """`YYYY-MM-DD` between 1900 and 2999, or None; FilterError names the field otherwise."""
    try:
        day = parse_iso_day(raw)
    except ValueError:
        raise FilterError(f"{label} must be a date like 2026-12-01.") from None
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise FilterError(f"{label} must be between 1900 and 2999.")
    return day


def parse_filters(
    args: Mapping[str, str], service_slugs: Iterable[str], host_keys: Iterable[str] = ()
) -> Filters:
    """Filters from request.args; unknown services, people, statuses or dates are
    FilterErrors."""
    host = (args.get("host") or "").strip()
    if host and host not in set(host_keys):
        raise FilterError("There is no such person here.")
    service = (args.get("service") or "").strip()
    if service and service not in set(service_slugs):
        raise FilterError("There is no such service.")
    status = (args.get("status") or "").strip()
    if status and status not in STATUSES:
        raise FilterError("Status must be confirmed, completed, no_show or cancelled.")
    start = parse_day(args.get("from"), "The start date")
    end = parse_day(args.get("to"), "The end date")
    if start and end and end < start:
        raise FilterError("The end date is before the start date.")
    cancelled = args.get("cancelled") == "1"
    return Filters(service, status, start, end, cancelled=cancelled, host=host)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC moment a local date starts."""
    return datetime.combine(day, datetime.min.time(), tz).astimezone(UTC)


def booking_query(site_id: int, filters: Filters, tz: ZoneInfo):
    """Bookings of the site matching the filters, by start time (ORM objects: the export)."""
    return narrowed(select(Booking).join(Service), site_id, filters, tz)


def booking_rows(site_id: int, filters: Filters, tz: ZoneInfo):
    """The same bookings as plain rows of what the list and the grids show (no ORM objects:
    loading each booking's every column, service and hosts cost more than the query)."""
    columns = (
        Booking.id,
        Booking.public_id,
        Booking.start,
        Booking.end,
        Booking.status,
        Booking.visitor_name,
        Booking.email,
        Booking.phone,
        Service.name.label("service_name"),
    )
    return narrowed(select(*columns).join(Service), site_id, filters, tz)


def narrowed(query, site_id: int, filters: Filters, tz: ZoneInfo):
    """`query` (over bookings joined to services) narrowed to the site and the filters."""
    query = query.where(Booking.site_id == site_id)
    if filters.service:
        query = query.where(Service.slug == filters.service)
    if filters.host:
        attending = select(BookingHost.booking_id).join(Host, Host.id == BookingHost.host_id)
        query = query.where(Booking.id.in_(attending.where(Host.public_id == filters.host)))
    if filters.status:
        query = query.where(Booking.status == filters.status)
    elif not filters.cancelled:
        query = query.where(Booking.status != CANCELLED)
    if filters.start:
        query = query.where(Booking.start >= local_midnight(filters.start, tz))
    if filters.end:
        query = query.where(Booking.start < local_midnight(filters.end + timedelta(days=1), tz))
    return query.order_by(Booking.start, Booking.id)
