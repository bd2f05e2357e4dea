"""Managing a site's hosts (plain Python, used by the dashboard): adding people, their details,
weekly hours, date overrides and time off, and which services they offer and how."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.booking.errors import InvalidBooking
from frontdesk.booking.hosts import add_site_host, new_host
from frontdesk.booking.validation import clean_email, clean_name, clean_timezone
from frontdesk.booking.zones import zone_named
from frontdesk.db.models import (
    Host,
    HostDateOverride,
    HostHours,
    HostTimeOff,
    Service,
    ServiceHost,
    Site,
    SiteHost,
    StaffUser,
)
from frontdesk.db.models.host import ASSIGNMENTS

RANGE_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
MAX_TIME_OFF_DAYS = 366


def site_host(session: Session, site_id: int, public_id: str) -> Host | None:
    """The host with this public id, when they work for the site."""
    query = select(Host).join(SiteHost, SiteHost.host_id == Host.id)
    return session.scalars(
        query.where(SiteHost.site_id == site_id, Host.public_id == public_id)
    ).first()


def create_host(session: Session, site: Site, name: str, email: str, timezone: str) -> Host:
    """A new person working for the site (no hours of their own: the site's hours apply)."""
    host = new_host(
        clean_name(name),
        email=clean_email(email) if email.strip() else "",
        timezone=clean_timezone(timezone or site.timezone),
    )
    return add_site_host(session, site, host)


def update_details(
    session: Session, host: Host, *, name: str, email: str, timezone: str, staff_email: str,
    active: bool,
) -> None:  # fmt: skip
    """A host's name, address, zone, staff account (by its e-mail; blank: none) and status."""
    host.name = clean_name(name)
    host.email = clean_email(email) if email.strip() else ""
    host.timezone = clean_timezone(timezone)
    host.active = active
    if not staff_email.strip():
        host.staff_id = None
        return
    staff = session.scalars(
        select(StaffUser).where(StaffUser.email == staff_email.strip().lower())
    ).first()
    if staff is None:
        raise InvalidBooking("There is no staff account with that e-mail.", field="staff_email")
    taken = session.scalars(
        select(Host.id).where(Host.staff_id == staff.id, Host.id != host.id)
    ).first()
    if taken:
        raise InvalidBooking("That staff account is already another host.", field="staff_email")
    host.staff_id = staff.id


def parse_ranges(text: str, *, field: str) -> list[tuple[time, time]]:
    """ "09:00-12:00, 13:00-17:00" as ranges (blank: none); InvalidBooking when unreadable."""
    ranges = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = RANGE_RE.match(part)
        if not match:
            raise InvalidBooking(f"Write hours like 09:00-12:00, not {part!r}.", field=field)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            start = time(h1, m1)
            end = time(0) if (h2, m2) in ((24, 0), (0, 0)) else time(h2, m2)
        except ValueError:
            raise InvalidBooking(f"{part!r} is not a time of day.", field=field) from None
        if not (start < end or end == time(0)):
            raise InvalidBooking(f"{part}: the end must be after the start.", field=field)
        ranges.append((start, end))
    return sorted(ranges)


def set_weekly_hours(host: Host, weekly: dict[int, list[tuple[time, time]]]) -> None:
    """Replace a host's weekly hours (none at all: they work the site's opening hours)."""
    host.weekly_hours = [
        HostHours(weekday=day, start_time=start, end_time=end)
        for day in sorted(weekly)
        for start, end in weekly[day]
    ]


def set_date_override(host: Host, day: date, ranges: list[tuple[time, time]], note: str) -> None:
    """The host's own hours on one date (no ranges: not working that day)."""
    host.date_overrides = [o for o in host.date_overrides if o.day != day]
    rows = ranges or [(None, None)]
    for start, end in rows:
        host.date_overrides.append(
            HostDateOverride(day=day, start_time=start, end_time=end, note=note[:200])
        )


def add_time_off(host: Host, first: date, last: date, note: str) -> HostTimeOff:
    """Whole days off, first..last inclusive, in the host's zone."""
    if last < first:
        raise InvalidBooking("The last day is before the first.", field="last")
    if (last - first).days >= MAX_TIME_OFF_DAYS:
        raise InvalidBooking("Time off is at most a year at a time.", field="last")
    zone = zone_named(host.timezone)
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    row = HostTimeOff(start=start, end=end, note=" ".join(note.split())[:200])
    host.time_off.append(row)
    return row


def set_service_team(
    session: Session, service: Service, assignment: str, host_ids: list[int]
) -> None:
    """Which of the site's hosts offer a service (none: all of them) and how they share it."""
    if assignment not in ASSIGNMENTS:
        raise InvalidBooking("Choose how the hosts share the service.", field="assignment")
    allowed = set(
        session.scalars(select(SiteHost.host_id).where(SiteHost.site_id == service.site_id))
    )
    if not set(host_ids) <= allowed:
        raise InvalidBooking("Only the site's own hosts can offer its services.", field="hosts")
    service.assignment = assignment
    service.host_links.clear()
    session.flush()  # the old links go before the new ones arrive (one row per pair)
    service.host_links.extend(
        ServiceHost(host_id=host_id, position=index) for index, host_id in enumerate(host_ids)
    )
