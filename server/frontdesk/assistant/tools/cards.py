"""Booking cards (message.card) and the human time labels they and the tools show.

Every card carries the time twice: in the visitor's zone and in the business's zone, so nobody
has to do time-zone arithmetic in their head (see docs/protocol.md "Cards").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from frontdesk.booking import time_words
from frontdesk.booking.assignment import host_names
from frontdesk.booking.hosts import offered_by
from frontdesk.booking.zones import zones_differ
from frontdesk.db.models.host import ROUND_ROBIN
from frontdesk.i18n import text
from frontdesk.i18n.dates import names_list

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


def range_label(start: datetime, end: datetime, tz_name: str, lang: str = "en") -> str:
    """'Tue 1 Dec 2026, 6:00–6:30 pm (New York time)' for a UTC range shown in a zone."""
    return time_words.span(start, end, tz_name, lang)


def slot_day(start: datetime, tz_name: str, lang: str = "en") -> str:
    """The day a chip's time falls on in the given zone: 'Tue 1 Dec' (chips are grouped by it)."""
    return time_words.short_day(start.astimezone(ZoneInfo(tz_name)), lang)


def slot_clock(start: datetime, tz_name: str, lang: str = "en") -> str:
    """A chip's own label: its time alone, '10:00' or '10:00 am' as the locale reads clocks."""
    return time_words.clock(start.astimezone(ZoneInfo(tz_name)), lang)


def slot_label(start: datetime, tz_name: str, lang: str = "en") -> str:
    """A slot named on its own, such as 'Tue 1 Dec 10:00 am', in the given zone."""
    return f"{slot_day(start, tz_name, lang)} {slot_clock(start, tz_name, lang)}"


def slot_phrase(start: datetime, tz_name: str) -> str:
    """The unambiguous form chips send back: 'Tue 1 Dec 2026 at 10:00' (parsed by the engines)."""
    local = start.astimezone(ZoneInfo(tz_name))
    return f"{local:%a} {local.day} {local:%b %Y} at {local:%H:%M}"


def _times(
    start: datetime, end: datetime, visitor_tz: str, business_tz: str, lang: str
) -> dict[str, str]:
    visitor_time = range_label(start, end, visitor_tz, lang)
    # The widget shows the business's time only when it differs; zones that agree all year
    # (Europe/London and Europe/Lisbon) need no second line.
    differ = zones_differ(visitor_tz, business_tz)
    return {
        "start": iso_utc(start),
        "end": iso_utc(end),
        "visitor_time": visitor_time,
        "business_time": range_label(start, end, business_tz, lang) if differ else visitor_time,
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
    lang: str = "en",
) -> dict[str, Any]:
    """A booking/reschedule/cancel proposal card with Confirm and Change actions."""
    card: dict[str, Any] = {"type": PROPOSAL_TYPES[kind], "proposal": proposal_id}
    if booking_id:
        card["booking"] = booking_id
    card["service"] = service
    card.update(_times(start, end, visitor_tz, business_tz, lang))
    if previous is not None:
        card["previous_visitor_time"] = range_label(*previous, visitor_tz, lang)
    card.update(name=name, email=email)
    # A cancellation's buttons say what they do: "Confirm" / "Change" would be ambiguous there.
    yes, no = ("cancelBooking", "keepBooking") if kind == "cancel" else ("confirm", "change")
    yes, no = text(lang, yes), text(lang, no)
    card["actions"] = [
        {"label": yes, "action": "confirm", "value": proposal_id},
        {"label": no, "action": "change", "value": proposal_id},
    ]
    return card


def meeting(
    session,
    service,
    host_ids,
    *,
    asked: str | None = None,
    kept=(),
    settled: bool = False,
    lang: str = "en",
) -> dict[str, Any]:
    """Whom the visitor will meet, for a card: {"host": "Mia"} ("Mia and Tom" together).
    A round-robin pick the visitor didn't ask for says so (`host_note`): it is settled on
    Confirm. Nothing for a one-person service, whose host is the business itself."""
    team = offered_by(session, service.site_id).get(service.id, [])
    if len(team) <= 1 and service.assignment == ROUND_ROBIN:
        return {}
    names = host_names(session, host_ids)
    card: dict[str, Any] = {"host": names_list([names[h] for h in host_ids if h in names], lang)}
    if settled or asked or service.assignment != ROUND_ROBIN:
        return card
    if kept and set(kept) != set(host_ids):
        busy = names_list(list(host_names(session, kept).values()), lang)
        card["host_note"] = text(lang, "hostBusy", names=busy)
    elif not kept:
        card["host_note"] = text(lang, "hostAnyone")
    return card


def result_card(
    kind: str,
    booking: Any,
    *,
    visitor_tz: str,
    business_tz: str,
    ics_url: str | None,
    manage_url: str | None,
    lang: str = "en",
) -> dict[str, Any]:
    """The card shown once a proposal is committed (confirmed, rescheduled or cancelled)."""
    card: dict[str, Any] = {
        "type": RESULT_TYPES[kind],
        "booking": booking.public_id,
        "service": booking.service.name,
    }
    card.update(_times(booking.start, booking.end, visitor_tz, business_tz, lang))
    card.update(name=booking.visitor_name, email=booking.email)
    if kind != "cancel":
        card.update(ics_url=ics_url, manage_url=manage_url)
    return card
