"""A booking as the event written to a host's calendar: the same UID as its .ics, no METHOD
(a stored CalDAV object), the visitor's details for the host, and shown as free once cancelled."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event

from frontdesk.booking.event_text import booking_uid, one_line
from frontdesk.booking.ics import PRODID
from frontdesk.db.models.booking import CANCELLED


def host_event(booking, site, *, now: datetime | None = None, cancelled=None) -> bytes:
    """The VCALENDAR holding the booking's event for the host's own calendar; `cancelled`
    overrides the booking's status (a reassigned host's copy is cancelled)."""
    cancelled = booking.status == CANCELLED if cancelled is None else cancelled
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.ics_sequence or 0)
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", booking.start.astimezone(UTC))
    event.add("dtend", booking.end.astimezone(UTC))
    title = f"{one_line(booking.service.name)}: {one_line(booking.visitor_name)}"
    event.add("summary", ("Cancelled: " if cancelled else "") + title)
    event.add("description", _description(booking, site))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # A cancelled booking stays visible to the host, struck out, but no longer blocks time.
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return calendar.to_ical()


def _description(booking, site) -> str:
    lines = [
        f"Booked through {one_line(site.name)}.",
        f"Visitor: {one_line(booking.visitor_name)}",
        f"E-mail: {one_line(booking.email, 254)}",
    ]
    if booking.phone:
        lines.append(f"Phone: {one_line(booking.phone)}")
    if booking.notes:
        lines.append(f"Notes: {booking.notes[:2000]}")
    if booking.status == CANCELLED:  # the visitor's reason, not a reassignment
        reason = one_line(booking.cancel_reason, 500)
        lines.append(f"Cancelled{': ' + reason if reason else ''}")
    lines.append(f"Booking reference: {booking.public_id}")
    return "\n".join(lines)
