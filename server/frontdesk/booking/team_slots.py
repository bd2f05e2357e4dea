"""The team slot engine: which hosts are free at each start the site's rules allow (plain Python).

Per host, a start s of a consultation lasting d is free when
* [s, s + d) lies inside one of the host's working windows (their weekly hours and date
  overrides in their own zone; a host without weekly hours works whenever the site is open),
* the block [s - buffer_before, s + d + buffer_after) overlaps none of the host's booking blocks
  (which already hold their own buffers, as on a single-resource site), and
* [s, s + d) overlaps none of the host's away times: time off and external busy times (a
  meeting in their own calendar needs no buffer of ours around it).
Every rule becomes a range of allowed or forbidden start instants (whole seconds) that marks
the sorted candidates it covers with one slice assignment: the cost grows with the number of
intervals, not intervals x candidates (5 hosts with 500 busy intervals over a 60-day horizon
cost a few milliseconds).

A service's slot is free when any host is (round-robin, chosen) or every host is (collective).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import compress
from typing import NamedTuple

from frontdesk.booking.slots import (
    Availability,
    Busy,
    Ranges,
    Slot,
    open_starts,
    opening_intervals,
)
from frontdesk.booking.wall_clock import MIDNIGHT, ONE_DAY
from frontdesk.booking.zones import zone_named

ALL_DAY: Ranges = ((time(0), MIDNIGHT),)


@dataclass(frozen=True)
class HostSchedule:
    """One host as the engine sees them: hours in their zone, bookings and away times (UTC)."""

    host_id: int
    timezone: str = "UTC"
    weekly: Mapping[int, Ranges] = field(default_factory=dict)  # empty: the site's hours
    overrides: Mapping[date, Ranges] = field(default_factory=dict)
    bookings: Sequence[Busy] = ()
    away: Sequence[Busy] = ()


class TeamSlot(NamedTuple):
    """A free slot and the hosts free for it (all of them, for a collective service)."""

    slot: Slot
    host_ids: tuple[int, ...]


def team_free_slots(
    availability: Availability,
    duration: timedelta,
    start_date: date,
    end_date: date,
    *,
    now: datetime,
    hosts: Sequence[HostSchedule],
    collective: bool = False,
    tz: str | None = None,
) -> list[TeamSlot]:
    """Free slots of a service on start_date..end_date (in `tz`), each with its free hosts."""
    starts = open_starts(availability, duration, start_date, end_date, now=now, tz=tz)
    free = free_hosts_at(availability, duration, starts, hosts)
    wanted = len(hosts)
    same_zone = tz is None or tz == availability.timezone
    zone = zone_named(availability.timezone if same_zone else tz)
    found = []
    for start, ids in zip(starts, free, strict=True):
        if not ids or (collective and len(ids) < wanted):
            continue
        local = start.astimezone(zone)
        if same_zone or start_date <= local.date() <= end_date:
            found.append(TeamSlot(Slot(local, (start + duration).astimezone(zone)), ids))
    return found


def free_hosts_at(
    availability: Availability,
    duration: timedelta,
    starts: Sequence[datetime],
    hosts: Sequence[HostSchedule],
) -> list[tuple[int, ...]]:
    """For each of the sorted UTC `starts`, the ids of the hosts free then (in `hosts` order)."""
    if not starts or not hosts:
        return [() for _ in starts]
    seconds = [int(s.timestamp()) for s in starts]
    masks = [_free_mask(host, availability, duration, seconds) for host in hosts]
    ids = [host.host_id for host in hosts]
    return [tuple(compress(ids, column)) for column in zip(*masks, strict=True)]


def _free_mask(host, availability, duration, seconds: list[int]) -> list[bool]:
    """Which of the sorted start seconds are free for this host. Each range marks the starts it
    covers with one slice assignment (two bisects), so nothing walks every candidate."""
    count = len(seconds)
    allowed = _allowed_starts(host, duration, seconds[0], seconds[-1])
    if allowed is None:
        mask = [True] * count
    else:
        mask = [False] * count
        for lo, hi in allowed:  # closed [lo, hi]
            i, j = bisect_left(seconds, lo), bisect_right(seconds, hi)
            mask[i:j] = [True] * (j - i)
    for lo, hi in _forbidden_starts(host, availability, duration):  # open (lo, hi)
        i, j = bisect_right(seconds, lo), bisect_left(seconds, hi)
        if i < j:
            mask[i:j] = [False] * (j - i)
    return mask


def _allowed_starts(host, duration, first: int, last: int):
    """Closed [lo, hi] ranges of start seconds that keep the consultation in the host's hours;
    None when the host has no hours of their own (the site's hours already apply)."""
    if not host.weekly and not host.overrides:
        return None
    hours = Availability(
        timezone=host.timezone,
        weekly=host.weekly or dict.fromkeys(range(7), ALL_DAY),
        overrides=host.overrides,
    )
    zone = zone_named(host.timezone)
    day = datetime.fromtimestamp(first, zone).date() - ONE_DAY
    end = datetime.fromtimestamp(last, zone).date() + ONE_DAY
    intervals: list[tuple[int, int]] = []
    while day <= end:
        intervals += [
            (int(a.timestamp()), int(b.timestamp())) for a, b in opening_intervals(hours, day)
        ]
        day += ONE_DAY
    windows: list[list[int]] = []
    for lo, hi in sorted(intervals):
        if windows and lo <= windows[-1][1]:  # back-to-back ranges make one window
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    length = int(duration.total_seconds())
    return [(lo, hi - length) for lo, hi in windows if hi - lo >= length]


def _forbidden_starts(host, availability, duration) -> list[tuple[int, int]]:
    """Open (lo, hi) ranges of start seconds that collide with a booking block (buffers on both
    sides) or an away time."""
    length = int(duration.total_seconds())
    before = int(availability.buffer_before.total_seconds())
    after = length + int(availability.buffer_after.total_seconds())
    ranges = [
        (int(b.start.timestamp()) - after, int(b.end.timestamp()) + before) for b in host.bookings
    ]
    ranges += [(int(b.start.timestamp()) - length, int(b.end.timestamp())) for b in host.away]
    return ranges
