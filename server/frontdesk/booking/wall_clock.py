"""Wall-clock arithmetic in a time zone, for the slot engine: a day's steady UTC offset, the
first occurrence of a local time (None when the clocks skip it), range ends around clock changes.

Plain Python. A local time that happens twice (fall-back) has two UTC instants, fold=0 and
fold=1; one the clocks skip (spring-forward gap) maps, by PEP 495, to fold=0 AFTER fold=1.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

MIDNIGHT = time(0)
ONE_DAY = timedelta(days=1)
ONE_SECOND = timedelta(seconds=1)


@lru_cache(maxsize=8192)  # the same days are asked about again and again
def steady_offset(day: date, zone: ZoneInfo) -> timedelta | None:
    """The zone's UTC offset for the whole local day, or None when the clocks change that day."""
    # Assumes at most one clock change a day, as in every tz database zone.
    midnight = datetime.combine(day, MIDNIGHT)
    early, late = both_occurrences(midnight, zone)
    next_early, next_late = both_occurrences(midnight + ONE_DAY, zone)
    if early == late and next_early == next_late and next_early - early == ONE_DAY:
        return midnight - early.replace(tzinfo=None)
    return None


def range_walls(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """Naive local datetimes of a range on a day; an end of 00:00 is the following midnight."""
    end_day = day + ONE_DAY if end == MIDNIGHT else day
    return datetime.combine(day, start), datetime.combine(end_day, end)


def both_occurrences(wall: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC of a wall time read with fold=0 and fold=1 (equal unless near a clock change)."""
    return (
        wall.replace(tzinfo=zone, fold=0).astimezone(UTC),
        wall.replace(tzinfo=zone, fold=1).astimezone(UTC),
    )


def first_instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The first occurrence of a wall time, or None when the clocks skip it."""
    early, late = both_occurrences(wall, zone)
    # In a gap PEP 495 maps fold=0 with the old offset, which lands AFTER fold=1.
    return None if early > late else early


def reach_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """When the wall clock first reaches a time: its first occurrence, or the jump over it."""
    early, late = both_occurrences(wall, zone)
    return early if early <= late else jump_between(late, early, zone)


def end_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """A range end: the later occurrence of a repeated time, or the jump over a skipped one."""
    early, late = both_occurrences(wall, zone)
    return late if early <= late else jump_between(late, early, zone)


def jump_between(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The instant in (before, after] at which the zone's offset changes (transitions are whole
    seconds in the tz database); only needed when a range edge lies in a DST gap."""
    new_offset = after.astimezone(zone).utcoffset()
    while after - before > ONE_SECOND:
        middle = before + (after - before) / 2
        if middle.astimezone(zone).utcoffset() == new_offset:
            after = middle
        else:
            before = middle
    return after.replace(microsecond=0)


def site_today(now_utc: datetime, zone: ZoneInfo) -> date:
    """The zone's calendar date at a UTC instant."""
    return now_utc.astimezone(zone).date()


def change_windows(zone: ZoneInfo, lo: int, hi: int) -> list[tuple[int, int]]:
    """Epoch-second windows [a, b] of a day each, covering every change of the zone's UTC
    offset between lo and hi (at most one change a day, as in every tz database zone). Outside
    them, a local time plus a duration is the same instant as the UTC sum converted."""
    day = int(ONE_DAY.total_seconds())
    windows = []
    before = datetime.fromtimestamp(lo - day, zone).utcoffset()
    for moment in range(lo, hi + 2 * day, day):
        after = datetime.fromtimestamp(moment, zone).utcoffset()
        if after != before:
            windows.append((moment - day, moment))
        before = after
    return windows
