"""iCalendar output: one booking as an invitation (REQUEST / CANCEL) and the staff feed (PUBLISH)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

# icalendar costs a server start ~35 ms: this module is imported where a calendar is built (the
# .ics routes, the booking e-mail), and `frontdesk serve` loads it on its warm-up thread.
from icalendar import Calendar, Event, vCalAddress, vDuration

from frontdesk.booking.event_text import UID_DOMAIN, booking_uid, one_line
from frontdesk.db.models.booking import CANCELLED

PRODID = "-//Frontdesk//Bookings 1.0//EN"
FEED_REFRESH = timedelta(minutes=5)


def param_text(value: str | None) -> str:
    """A parameter value (CN): one line, and no double quotes, which a parameter can't carry
    (RFC 6868's ^' escape is not understood by every client)."""
    return one_line(value).replace('"', "'")


def booking_ics(booking, site, *, manage_url: str, now: datetime | None = None) -> bytes:
    """The booking as an iTIP message: METHOD:REQUEST while confirmed, METHOD:CANCEL once cancelled."""
    cancelled = booking.status == CANCELLED
    calendar = _calendar(method="CANCEL" if cancelled else "REQUEST")
    event = _event(booking, site, now=now)
    event.add("description", _visitor_description(booking, site, manage_url))
    event.add("url", manage_url)
    event.add("organizer", _organizer(site))
    event.add("attendee", _attendee(booking))
    calendar.add_component(event)
    return calendar.to_ical()


def calendar_feed(site, bookings: Iterable, *, now: datetime | None = None) -> bytes:
    """The staff subscription feed (METHOD:PUBLISH): one event per booking, visitor details included."""
    calendar = _calendar(method="PUBLISH")
    calendar.add("x-wr-calname", f"{one_line(site.name)} bookings")
    calendar.add("x-wr-timezone", site.timezone)
    _refresh_hints(calendar)
    for booking in bookings:
        event = _event(booking, site, now=now)
        event.add("description", _staff_description(booking))
        calendar.add_component(event)
    return calendar.to_ical()


def host_feed(host, bookings: Iterable[tuple], *, now: datetime | None = None) -> bytes:
    """One person's subscription feed: their bookings from every site, as (booking, site)."""
    calendar = _calendar(method="PUBLISH")
    calendar.add("x-wr-calname", f"{one_line(host.name)}: bookings")
    calendar.add("x-wr-timezone", host.timezone)
    _refresh_hints(calendar)
    for booking, site in bookings:
        event = _event(booking, site, now=now)
        event.add("description", _staff_description(booking))
        calendar.add_component(event)
    return calendar.to_ical()


def _refresh_hints(calendar: Calendar) -> None:
    calendar.add("refresh-interval", vDuration(FEED_REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))


def _calendar(*, method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _event(booking, site, *, now: datetime | None) -> Event:
    """The parts shared by invitations and the feed: identity, times, title and status."""
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.ics_sequence or 0)
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", booking.start.astimezone(UTC))
    event.add("dtend", booking.end.astimezone(UTC))
    event.add("summary", f"{one_line(booking.service.name)} with {one_line(site.name)}")
    if booking.updated_at:
        event.add("last-modified", booking.updated_at.astimezone(UTC))
    event.add("status", "CANCELLED" if booking.status == CANCELLED else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def _organizer(site) -> vCalAddress:
    address = site.notification_email or f"no-reply@{UID_DOMAIN}.invalid"
    organizer = vCalAddress(f"mailto:{one_line(address, 254)}")
    organizer.params["CN"] = param_text(site.name)
    return organizer


def _attendee(booking) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{one_line(booking.email, 254)}")
    attendee.params["CN"] = param_text(booking.visitor_name)
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "DECLINED" if booking.status == CANCELLED else "ACCEPTED"
    attendee.params["RSVP"] = "FALSE"
    return attendee


def _visitor_description(booking, site, manage_url: str) -> str:
    lines = [f"{booking.service.name} with {site.name}."]
    if booking.status == CANCELLED:
        lines.append("This booking has been cancelled.")
    lines.append(f"View, reschedule or cancel: {manage_url}")
    return "\n".join(lines)


def _staff_description(booking) -> str:
    lines = [
        f"Visitor: {one_line(booking.visitor_name)}",
        f"E-mail: {one_line(booking.email, 254)}",
    ]
    if booking.phone:
        lines.append(f"Phone: {one_line(booking.phone)}")
    if booking.notes:
        lines.append(f"Notes: {booking.notes[:2000]}")
    if booking.status == CANCELLED:
        reason = one_line(booking.cancel_reason, 500)
        lines.append(f"Cancelled{': ' + reason if reason else ''}")
    lines.append(f"Booking reference: {booking.public_id}")
    return "\n".join(lines)
