"""Bridge from the database rows of a site to the slot engine (no Flask here): the site's
availability (opening hours, overrides, rules), the time staff blocked out, and whether it is
open now. Which hosts are free for a slot is booking/assignment.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.booking.slots import Availability, Busy, opening_intervals
from frontdesk.booking.zones import zone_named
from frontdesk.db.models import Site, TimeBlock


def availability_for(site: Site) -> Availability:
    """The slot engine's view of a site: opening hours, date overrides and booking rules."""
    return Availability(
        timezone=site.timezone,
        weekly=weekly_ranges(site.opening_hours),
        overrides=override_ranges(site.date_overrides),
        buffer_before=timedelta(minutes=site.buffer_before_min),
        buffer_after=timedelta(minutes=site.buffer_after_min),
        min_notice=timedelta(minutes=site.min_notice_min),
        max_days_ahead=site.max_days_ahead,
        step=timedelta(minutes=site.slot_step_min),
    )


def blocked_time(session: Session, site_id: int, start: datetime, end: datetime) -> list[Busy]:
    """The time staff blocked out on the site that overlaps [start, end): no host of the site
    takes a booking in it."""
    blocked = select(TimeBlock.start, TimeBlock.end).where(
        TimeBlock.site_id == site_id, TimeBlock.start < end, TimeBlock.end > start
    )
    return [Busy(lo, hi) for lo, hi in session.execute(blocked)]


def is_open_now(site: Site, now: datetime) -> bool:
    """True when `now` falls inside the site's opening hours (overrides and closures apply)."""
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    availability = availability_for(site)
    today = now.astimezone(zone_named(site.timezone)).date()
    return any(opened <= now < closed for opened, closed in opening_intervals(availability, today))


def weekly_ranges(rows: Iterable) -> dict[int, list[tuple[time, time]]]:
    """Weekly rows (a site's or a host's) grouped by weekday."""
    weekly: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for row in rows:
        weekly[row.weekday].append((row.start_time, row.end_time))
    return dict(weekly)


def override_ranges(rows: Iterable) -> dict[date, list[tuple[time, time]]]:
    """Date override rows (a site's or a host's) grouped by day; a row without times closes its
    day whatever else is there."""
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
