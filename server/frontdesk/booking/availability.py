"""Bridge from the database rows of a site to the slot engine (no Flask here): the site's
availability, its busy blocks, and whether a slot is free inside a transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.booking.errors import (
    SLOT_TAKEN_MESSAGE,
    InvalidBooking,
    SlotTaken,
    slot_problem_message,
)
from frontdesk.booking.slots import (
    Availability,
    Busy,
    block_for,
    check_slot,
    opening_intervals,
)
from frontdesk.booking.zones import zone_named
from frontdesk.db.models import Booking, DateOverride, OpeningHours, Service, Site, TimeBlock
from frontdesk.db.models.booking import CONFIRMED

# check_slot's reasons a booking made by staff overrides (the past and taken time stay refused).
STAFF_MAY_OVERRIDE = frozenset({"too_soon", "too_far", "outside_hours"})


def availability_for(site: Site) -> Availability:
    """The slot engine's view of a site: opening hours, date overrides and booking rules."""
    return Availability(
        timezone=site.timezone,
        weekly=_weekly_hours(site.opening_hours),
        overrides=_date_overrides(site.date_overrides),
        buffer_before=timedelta(minutes=site.buffer_before_min),
        buffer_after=timedelta(minutes=site.buffer_after_min),
        min_notice=timedelta(minutes=site.min_notice_min),
        max_days_ahead=site.max_days_ahead,
        step=timedelta(minutes=site.slot_step_min),
    )


def busy_blocks(
    session: Session,
    site_id: int,
    start: datetime,
    end: datetime,
    *,
    exclude_booking_id: int | None = None,
) -> list[Busy]:
    """Blocks (buffers included) of the site's confirmed bookings, and the time staff blocked
    out, that overlap [start, end)."""
    query = select(Booking.block_start, Booking.block_end).where(
        Booking.site_id == site_id,
        Booking.status == CONFIRMED,
        Booking.block_start < end,
        Booking.block_end > start,
    )
    if exclude_booking_id is not None:
        # A reschedule must not collide with the booking it replaces.
        query = query.where(Booking.id != exclude_booking_id)
    blocked = select(TimeBlock.start, TimeBlock.end).where(
        TimeBlock.site_id == site_id, TimeBlock.start < end, TimeBlock.end > start
    )
    rows = session.execute(query).all() + session.execute(blocked).all()
    return sorted((Busy(lo, hi) for lo, hi in rows), key=lambda busy: busy.start)


def check_free(
    session: Session,
    site: Site,
    service: Service,
    start: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
    *,
    by_staff: bool = False,
) -> Busy:
    """The busy block a booking of `service` at `start` would occupy; SlotTaken or InvalidBooking
    (with the sentence for the visitor) when that slot can't be booked now. The one slot check:
    the booking service commits with it and the assistant's proposals ask it first. Staff
    (`by_staff`, a booking taken by phone) may book outside the offered slots, notice and
    horizon: only the past and taken time are refused."""
    availability = availability_for(site)
    duration = timedelta(minutes=service.duration_min)
    block = block_for(availability, start, duration)
    # Only blocks overlapping this one can make it "taken".
    busy = busy_blocks(
        session, site.id, block.start, block.end, exclude_booking_id=exclude_booking_id
    )
    reason = check_slot(availability, duration, start, now=now, busy=busy)
    if by_staff and reason in STAFF_MAY_OVERRIDE:
        reason = "taken" if any(b.start < block.end and b.end > block.start for b in busy) else None
    if reason == "taken":
        raise SlotTaken(SLOT_TAKEN_MESSAGE, field="start")
    if reason is not None:
        message = slot_problem_message(
            reason, min_notice_min=site.min_notice_min, max_days_ahead=site.max_days_ahead
        )
        raise InvalidBooking(message, field="start")
    return block


def is_open_now(site: Site, now: datetime) -> bool:
    """True when `now` falls inside the site's opening hours (overrides and closures apply)."""
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    availability = availability_for(site)
    today = now.astimezone(zone_named(site.timezone)).date()
    return any(opened <= now < closed for opened, closed in opening_intervals(availability, today))


def _weekly_hours(rows: Iterable[OpeningHours]) -> dict[int, list[tuple[time, time]]]:
    weekly: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for row in rows:
        weekly[row.weekday].append((row.start_time, row.end_time))
    return dict(weekly)


def _date_overrides(rows: Iterable[DateOverride]) -> dict[date, list[tuple[time, time]]]:
    """Rows grouped by day; a row without times closes its day whatever else is there."""
    overrides: dict[date, list[tuple[time, time]]] = {}
    closed: set[date] = set()
    for row in rows:
        ranges = overrides.setdefault(row.day, [])
        if row.start_time is None:
            closed.add(row.day)
        elif row.end_time is None:
            raise ValueError(f"date override on {row.day} has a start time but no end time")
        else:
            ranges.append((row.start_time, row.end_time))
    return {day: [] if day in closed else ranges for day, ranges in overrides.items()}
