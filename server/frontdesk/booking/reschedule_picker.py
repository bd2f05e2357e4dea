"""The reschedule picker of the visitor's manage page and the dashboard: which day to show,
its free slots, and how far the day navigation goes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from frontdesk.booking.errors import BookingError
from frontdesk.booking.slots import Slot
from frontdesk.booking.zones import zone_or_utc
from frontdesk.db.models import Booking, Site
from frontdesk.db.models.host import CHOSEN

SEARCH_DAYS = 14  # how far the picker looks for the first day with a free time


@dataclass(frozen=True)
class PickerDay:
    """One day of the picker in a time zone; `prev_day` / `next_day` are None at the ends."""

    day: date
    min_day: date
    max_day: date
    prev_day: date | None
    next_day: date | None
    slots: list[Slot]


def picker_day(
    bookings,
    booking: Booking,
    site: Site,
    tz_name: str,
    wanted: date | None,
    now: datetime,
    *,
    prefer: date | None = None,
) -> PickerDay:
    """The free times `booking` could move to on the `wanted` day (kept within today and the
    booking horizon); when none is asked for, on the `prefer`red day (the booked one) if it has
    a free time, else the first day with one in the two weeks from it (or from today); days are
    in `tz_name`. The booking's own time is never offered, and a booking with a person the
    visitor chose is offered that person's times only (the reschedule keeps them)."""
    zone = zone_or_utc(tz_name)
    today = now.astimezone(zone).date()
    last = today + timedelta(days=max(site.max_days_ahead, 1))
    day = min(max(wanted, today), last) if wanted else None
    start = min(max(prefer, today), last) if prefer else today
    first, final = (day, day) if day else (start, start + timedelta(days=SEARCH_DAYS))
    try:
        slots = bookings.free_slots(
            site.id,
            booking.service.slug,
            first,
            final,
            tz=tz_name,
            now=now,
            exclude_booking_id=booking.id,
            host=staying_host(booking),
        )
    except BookingError:  # e.g. the service was withdrawn: no rescheduling online
        slots = []
    slots = [s for s in slots if s.start != booking.start]
    if day is None:
        day = slots[0].start.astimezone(zone).date() if slots else start
    return PickerDay(
        day=day,
        min_day=today,
        max_day=last,
        prev_day=day - timedelta(days=1) if day > today else None,
        next_day=day + timedelta(days=1) if day < last else None,
        slots=[s for s in slots if s.start.astimezone(zone).date() == day],
    )


def staying_host(booking: Booking) -> str | None:
    """The public id of the person a reschedule must stay with (a chosen service's host), or
    None when the service's rule decides: round-robin lets any free host take the new time
    (keeping the booked one when free) and a collective service needs all of them anyway."""
    if booking.service.assignment != CHOSEN or not booking.hosts:
        return None
    return booking.hosts[0].host.public_id
