"""The slot engine: which consultation starts are free, from opening hours, bookings and the clock.

Plain Python (no Flask, no database) so the chat tools, the booking service and the widget all
apply exactly the same rules:

* Opening hours are site-local wall-clock ranges: ``weekly`` by weekday (0 = Monday, several
  ranges a day) unless the date is in ``overrides``, whose ranges then REPLACE that day's weekly
  hours (an empty sequence closes the day). Each range has start < end, except that an end of
  00:00 means midnight at the end of the day.
* Candidate starts are generated for each site-local day in the site's wall-clock time: range
  start, +step, +2·step… while before the range end. A 09:00 slot therefore stays 09:00 local on
  both sides of a DST change (its UTC time shifts).
* Local times the clocks skip (spring-forward gap) are not offered. Local times that happen twice
  (fall-back) are offered at their first occurrence (fold=0) only, so nothing is duplicated.
* A candidate fits when start + duration (real elapsed time) <= the range end instant. A range
  end that happens twice is its later occurrence; one the clocks skip is the moment they jump.
* A candidate's block [start - buffer_before, start + duration + buffer_after) must not overlap
  any Busy block. Intervals are half-open, so touching is fine. Busy blocks already include the
  buffers of the booking they stand for.
* start >= now + min_notice (so never in the past), and the slot's site-local date is at most
  site-local today + max_days_ahead.

Speed: a day without a clock change (checked once per day, assuming at most one change a day as
in every tz database zone) steps its candidates in UTC with no per-candidate zone conversion;
busy blocks are sorted once and each overlap test is one bisect.

The wall-clock arithmetic (both occurrences of a local time, DST gaps, a day's steady offset)
is in booking/wall_clock.py. Results are sorted by real instant. Python compares two aware
datetimes of the SAME zone by wall clock (fold is ignored), so around a fall-back compare
``.astimezone(UTC)`` values instead.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate

from frontdesk.booking import wall_clock
from frontdesk.booking.wall_clock import MIDNIGHT, ONE_DAY
from frontdesk.booking.zones import zone_named

MIN_STEP = timedelta(minutes=1)
MAX_DAYS_AHEAD = 3660
# A calendar day in one zone spans site-local dates at most two days either side of it.
ZONE_MARGIN = timedelta(days=2)
REASONS = ("past", "too_soon", "too_far", "outside_hours", "taken")

Ranges = Sequence[tuple[time, time]]


@dataclass(frozen=True)
class Availability:
    """A site's bookable hours and booking rules; raises ValueError when inconsistent."""

    timezone: str
    weekly: Mapping[int, Ranges]
    overrides: Mapping[date, Ranges] = field(default_factory=dict)
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(0)
    max_days_ahead: int = 60
    step: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        zone_named(self.timezone)
        if not isinstance(self.step, timedelta) or self.step < MIN_STEP:
            raise ValueError("step must be at least one minute")
        for name in ("buffer_before", "buffer_after", "min_notice"):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value < timedelta(0):
                raise ValueError(f"{name} must be a timedelta >= 0")
        days = self.max_days_ahead
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS_AHEAD:
            raise ValueError(f"max_days_ahead must be an integer from 0 to {MAX_DAYS_AHEAD}")
        for weekday, ranges in self.weekly.items():
            if isinstance(weekday, bool) or weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6, not {weekday!r}")
            _check_ranges(ranges, f"weekday {weekday}")
        for day, ranges in self.overrides.items():
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ValueError(f"override keys must be dates, not {day!r}")
            _check_ranges(ranges, day.isoformat())

    def ranges_on(self, day: date) -> Ranges:
        """The site-local opening ranges of one date (an override replaces the weekly hours)."""
        if day in self.overrides:
            return self.overrides[day]
        return self.weekly.get(day.weekday(), ())


@dataclass(frozen=True, order=True)
class Slot:
    """A free slot; both ends aware, in the zone that was asked for."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Busy:
    """A time block already taken (an existing booking including its buffers), half-open."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _check_aware(self.start, "Busy.start")
        _check_aware(self.end, "Busy.end")
        if self.end <= self.start:
            raise ValueError("Busy.end must be after Busy.start")


def free_slots(
    availability: Availability,
    duration: timedelta,
    start_date: date,
    end_date: date,
    *,
    now: datetime,
    busy: Sequence[Busy],
    tz: str | None = None,
) -> list[Slot]:
    """Free slots whose start falls on start_date..end_date (inclusive) as calendar days in `tz`
    (default: the site zone), returned in `tz`, sorted and unique."""
    taken = _BusyIndex(busy)
    before, after = availability.buffer_before, duration + availability.buffer_after
    starts = [
        start
        for start in open_starts(availability, duration, start_date, end_date, now=now, tz=tz)
        if not taken.overlaps(start - before, start + after)
    ]
    return as_slots(availability, starts, duration, start_date, end_date, tz)


def open_starts(
    availability: Availability,
    duration: timedelta,
    start_date: date,
    end_date: date,
    *,
    now: datetime,
    tz: str | None = None,
) -> list[datetime]:
    """Sorted unique UTC starts inside the opening hours, past the notice and within the horizon,
    on the dates asked (in `tz`) give or take the zones' margin; bookings not considered."""
    _check_duration(duration)
    _check_aware(now, "now")
    if end_date < start_date:
        raise ValueError("end_date is before start_date")
    zone = zone_named(availability.timezone)
    same_zone = tz is None or tz == availability.timezone
    now_utc = now.astimezone(UTC)
    earliest = now_utc + availability.min_notice
    margin = timedelta(0) if same_zone else ZONE_MARGIN
    starts: list[datetime] = []
    for day in _site_days(availability, zone, now_utc, start_date, end_date, margin):
        starts.extend(s for s in _day_starts(availability, zone, day, duration) if s >= earliest)
    return _sorted_unique(starts)


def as_slots(
    availability: Availability,
    starts: Sequence[datetime],
    duration: timedelta,
    start_date: date,
    end_date: date,
    tz: str | None = None,
) -> list[Slot]:
    """Sorted UTC starts as Slots in `tz` (default: the site zone), keeping the dates asked."""
    same_zone = tz is None or tz == availability.timezone
    out_zone = zone_named(availability.timezone if same_zone else tz)
    slots = [Slot(s.astimezone(out_zone), (s + duration).astimezone(out_zone)) for s in starts]
    if same_zone:
        return slots
    return [slot for slot in slots if start_date <= slot.start.date() <= end_date]


def check_slot(
    availability: Availability,
    duration: timedelta,
    start: datetime,
    *,
    now: datetime,
    busy: Sequence[Busy],
) -> str | None:
    """None if a slot of `duration` starting at aware `start` is bookable, else a reason code:
    "past", "too_soon" (min notice), "too_far" (horizon), "outside_hours", "taken"."""
    _check_duration(duration)
    _check_aware(start, "start")
    _check_aware(now, "now")
    zone = zone_named(availability.timezone)
    start_utc, now_utc = start.astimezone(UTC), now.astimezone(UTC)
    if start_utc < now_utc:
        return "past"
    if start_utc < now_utc + availability.min_notice:
        return "too_soon"
    day = start_utc.astimezone(zone).date()
    if day > wall_clock.site_today(now_utc, zone) + timedelta(days=availability.max_days_ahead):
        return "too_far"
    if start_utc not in set(_day_starts(availability, zone, day, duration)):
        return "outside_hours"
    block = block_for(availability, start_utc, duration)
    if _BusyIndex(busy).overlaps(block.start, block.end):
        return "taken"
    return None


def block_for(availability: Availability, start: datetime, duration: timedelta) -> Busy:
    """The UTC block [start - buffer_before, start + duration + buffer_after) a booking occupies."""
    _check_duration(duration)
    _check_aware(start, "start")
    start_utc = start.astimezone(UTC)
    return Busy(
        start_utc - availability.buffer_before,
        start_utc + duration + availability.buffer_after,
    )


def opening_intervals(availability: Availability, day: date) -> list[tuple[datetime, datetime]]:
    """The UTC [open, close) intervals of a site-local date's opening ranges, in range order."""
    zone = zone_named(availability.timezone)
    intervals = []
    for start, end in availability.ranges_on(day):
        wall_start, wall_end = wall_clock.range_walls(day, start, end)
        intervals.append(
            (wall_clock.reach_instant(wall_start, zone), wall_clock.end_instant(wall_end, zone))
        )
    return intervals


class _BusyIndex:
    """Busy blocks sorted by start with running maximum ends: an overlap test is one bisect."""

    def __init__(self, busy: Sequence[Busy]) -> None:
        blocks = sorted((b.start.astimezone(UTC), b.end.astimezone(UTC)) for b in busy)
        self.starts = [start for start, _ in blocks]
        self.max_ends = list(accumulate((end for _, end in blocks), max))

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """True when some block intersects [start, end)."""
        # Blocks left of `cut` start before `end`; one of them overlaps iff it ends after `start`.
        cut = bisect_left(self.starts, end)
        return cut > 0 and self.max_ends[cut - 1] > start


def _site_days(availability, zone, now_utc, start_date, end_date, margin) -> Iterator[date]:
    """Site-local dates worth scanning: the asked range widened by `margin`, within the horizon."""
    today = wall_clock.site_today(now_utc, zone)
    horizon = today + timedelta(days=availability.max_days_ahead)
    # Written to avoid date overflow when a caller passes dates near year 1 or 9999.
    day = today if start_date <= today + margin else start_date - margin
    last = horizon if end_date >= horizon - margin else end_date + margin
    while day <= last:
        yield day
        day += ONE_DAY


def _day_starts(availability, zone, day: date, duration: timedelta) -> Iterator[datetime]:
    """UTC starts of every candidate of one site-local day that fits its range (may repeat)."""
    step = availability.step
    offset = wall_clock.steady_offset(day, zone)
    for start, end in availability.ranges_on(day):
        wall, wall_end = wall_clock.range_walls(day, start, end)
        if offset is not None:
            # No clock change today: step in UTC, no per-candidate zone conversion.
            candidate = (wall - offset).replace(tzinfo=UTC)
            latest = (wall_end - offset).replace(tzinfo=UTC) - duration
            while candidate <= latest:
                yield candidate
                candidate += step
            continue
        range_end = wall_clock.end_instant(wall_end, zone)
        while wall < wall_end:
            candidate = wall_clock.first_instant(wall, zone)
            if candidate is not None and candidate + duration <= range_end:
                yield candidate
            wall += step


def _sorted_unique(starts: list[datetime]) -> list[datetime]:
    """Sorted without repeats; usually already so (ranges in order, none overlapping)."""
    if all(a < b for a, b in zip(starts, starts[1:], strict=False)):
        return starts
    return sorted(set(starts))


def _check_ranges(ranges: Ranges, where: str) -> None:
    for item in ranges:
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise ValueError(f"{where}: an opening range is a (start, end) pair, not {item!r}")
        start, end = item
        if not all(isinstance(t, time) and t.tzinfo is None for t in (start, end)):
            raise ValueError(f"{where}: opening times must be naive datetime.time values")
        if not (start < end or end == MIDNIGHT):
            raise ValueError(f"{where}: range {start}-{end} must start before it ends")


def _check_duration(duration: timedelta) -> None:
    if not isinstance(duration, timedelta) or duration <= timedelta(0):
        raise ValueError("duration must be a positive timedelta")


def _check_aware(moment: datetime, name: str) -> None:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
