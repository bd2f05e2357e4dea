"""Booking cards (message.card) and the human time labels they and the tools show.

Every card carries the time twice: in the visitor's zone and in the business's zone, so nobody
has to do time-zone arithmetic in their head (see docs/protocol.md "Cards").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

PROPOSAL_TYPES = {
    "book": "booking_proposal",
    "reschedule": "reschedule_proposal",
    "cancel": "cancel_proposal",
}
RESULT_TYPES = {
    "book": "booking_confirmed",
    "reschedule": "booking_rescheduled",
    "cancel": "booking_cancelled",
}


def iso_utc(moment: datetime) -> str:
    """An aware datetime as ISO 8601 UTC with a Z suffix, to the second."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _clock(moment: datetime) -> tuple[str, str]:
    """("6:30", "pm") for a local time."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d}", "am" if moment.hour < 12 else "pm"


def range_label(start: datetime, end: datetime, tz_name: str) -> str:
    """'Tue 1 Dec 2026, 6:00–6:30 pm (America/New_York)' for a UTC range shown in a zone."""
    zone = ZoneInfo(tz_name)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    start_clock, start_half = _clock(local_start)
    end_clock, end_half = _clock(local_end)
    day = f"{local_start:%a} {local_start.day} {local_start:%b %Y}"
    if local_end.date() != local_start.date():
        end_day = f"{local_end:%a} {local_end.day} {local_end:%b}"
        times = f"{start_clock} {start_half} – {end_day} {end_clock} {end_half}"
    elif start_half == end_half:
        times = f"{start_clock}–{end_clock} {end_half}"
    else:
        times = f"{start_clock} {start_half}–{end_clock} {end_half}"
    return f"{day}, {times} ({tz_name})"


def slot_label(start: datetime, tz_name: str) -> str:
    """A short chip label such as 'Tue 1 Dec 10:00' in the given zone."""
    local = start.astimezone(ZoneInfo(tz_name))
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def slot_phrase(start: datetime, tz_name: str) -> str:
    """The unambiguous form chips send back: 'Tue 1 Dec 2026 at 10:00' (parsed by the engines)."""
    local = start.astimezone(ZoneInfo(tz_name))
    return f"{local:%a} {local.day} {local:%b %Y} at {local:%H:%M}"


def _times(start: datetime, end: datetime, visitor_tz: str, business_tz: str) -> dict[str, str]:
    return {
        "start": iso_utc(start),
        "end": iso_utc(end),
        "visitor_time": range_label(start, end, visitor_tz),
        "business_time": range_label(start, end, business_tz),
    }


def proposal_card(
    kind: str,
    proposal_id: str,
    *,
    service: str,
    start: datetime,
    end: datetime,
    visitor_tz: str,
    business_tz: str,
    name: str,
    email: str,
    booking_id: str | None = None,
    previous: tuple[datetime, datetime] | None = None,
) -> dict[str, Any]:
    """A booking/reschedule/cancel proposal card with Confirm and Change actions."""
    card: dict[str, Any] = {"type": PROPOSAL_TYPES[kind], "proposal": proposal_id}
    if booking_id:
        card["booking"] = booking_id
    card["service"] = service
    card.update(_times(start, end, visitor_tz, business_tz))
    if previous is not None:
        card["previous_visitor_time"] = range_label(*previous, visitor_tz)
    card.update(name=name, email=email)
    card["actions"] = [
        {"label": "Confirm", "action": "confirm", "value": proposal_id},
        {"label": "Change", "action": "change", "value": proposal_id},
    ]
    return card


def result_card(
    kind: str,
    booking: Any,
    *,
    visitor_tz: str,
    business_tz: str,
    ics_url: str | None,
    manage_url: str | None,
) -> dict[str, Any]:
    """The card shown once a proposal is committed (confirmed, rescheduled or cancelled)."""
    card: dict[str, Any] = {
        "type": RESULT_TYPES[kind],
        "booking": booking.public_id,
        "service": booking.service.name,
    }
    card.update(_times(booking.start, booking.end, visitor_tz, business_tz))
    card.update(name=booking.visitor_name, email=booking.email)
    if kind != "cancel":
        card.update(ics_url=ics_url, manage_url=manage_url)
    return card
