"""The team slot engine: which hosts are free at each start the site's rules allow (plain Python).

Per host, a start s of a consultation lasting d is free when
* [s, s + d) lies inside one of the host's working windows (their weekly hours and date
  overrides in their own zone; a host without weekly hours works whenever the site is open),
* the block [s - buffer_before, s + d + buffer_after) overlaps none of the host's booking blocks
  (which already hold their own buffers, as on a single-resource site), and
* [s, s + d) overlaps none of the host's away times: time off and external busy times (a
  meeting in their own calendar needs no buffer of ours around it).
Every rule becomes a range of allowed or forbidden start instants (whole seconds) that marks
the sorted candidates it covers with one slice assignment of a byte mask: the cost grows with
the number of intervals, not intervals x candidates. Away times may come as (start, end) pairs
of epoch seconds (the stored calendars give them so: no datetime per interval). The hosts' masks
are combined a byte per start (a bit per host, up to eight hosts a byte), and datetimes are made
only for the slots returned.

A service's slot is free when any host is (round-robin, chosen) or every host is (collective).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import compress
from typing import NamedTuple

from frontdesk.booking import wall_clock
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
ONE_DAY_SECONDS = 86_400


@dataclass(frozen=True)
class HostSchedule:
    """One host as the engine sees them: hours in their zone, bookings and away times (UTC);
    an away time is a Busy or a half-open (start, end) pair of epoch seconds."""

    host_id: int
    timezone: str = "UTC"
    weekly: Mapping[int, Ranges] = field(default_factory=dict)  # empty: the site's hours
    overrides: Mapping[date, Ranges] = field(default_factory=dict)
    bookings: Sequence[Busy] = ()
    away: Sequence[Busy | tuple[int, int]] = ()


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
    if not starts or not hosts:
        return []
    seconds = [int(s.timestamp()) for s in starts]
    codes, tables = _free_codes(availability, duration, seconds, hosts)
    if len(codes) == 1:  # up to eight hosts: a start is kept when its byte says so
        table, code_of = tables[0], codes[0]
        keep = [code == len(table) - 1 for code in code_of] if collective else code_of
        who = [table[code] for code in compress(code_of, keep)]
    else:
        free = _joined(codes, tables)
        keep = [len(ids) == len(hosts) if collective else bool(ids) for ids in free]
        who = list(compress(free, keep))
    chosen = list(compress(starts, keep))
    same_zone = tz is None or tz == availability.timezone
    zone = zone_named(availability.timezone if same_zone else tz)
    if not chosen:
        return []
    # Whole lists, not a loop of statements: this is the cost of every slot returned.
    local = [start.astimezone(zone) for start in chosen]
    # Away from a clock change the local end is the local start plus the duration.
    ends = [moment + duration for moment in local]
    careful = list(compress(_near_clock_changes(zone, seconds, duration), keep))
    if any(careful):
        for k in (k for k, flag in enumerate(careful) if flag):
            ends[k] = (chosen[k] + duration).astimezone(zone)
    found = [TeamSlot(Slot(a, b), ids) for a, b, ids in zip(local, ends, who, strict=True)]
    if same_zone:
        return found
    return [item for item in found if start_date <= item.slot.start.date() <= end_date]


def _near_clock_changes(zone, seconds: list[int], duration: timedelta) -> bytearray:
    """1 for the starts within a day of a change of the zone's UTC offset (a slot there may
    cross it, or start in a repeated hour): their ends are converted exactly."""
    exact = bytearray(len(seconds))
    length = int(duration.total_seconds())
    for lo, hi in wall_clock.change_windows(zone, seconds[0], seconds[-1]):
        i, j = bisect_left(seconds, lo - length), bisect_right(seconds, hi + ONE_DAY_SECONDS)
        exact[i:j] = b"\x01" * (j - i)
    return exact


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
    codes, tables = _free_codes(availability, duration, seconds, hosts)
    return _joined(codes, tables)


def _free_codes(availability, duration, seconds: list[int], hosts):
    """Per group of up to eight hosts, a byte per start whose bit k says the group's k-th host
    is free then; and per group, the tuple of host ids each byte value stands for."""
    codes, tables = [], []
    for first in range(0, len(hosts), 8):
        group = hosts[first : first + 8]
        combined = 0
        for bit, host in enumerate(group):
            # Each mask byte is 0 or 1; shifted by bit < 8 it stays inside its own byte.
            mask = _free_mask(host, availability, duration, seconds)
            combined |= int.from_bytes(mask, "little") << bit
        codes.append(combined.to_bytes(len(seconds), "little"))
        ids = [host.host_id for host in group]
        tables.append(
            [tuple(i for k, i in enumerate(ids) if code >> k & 1) for code in range(1 << len(ids))]
        )
    return codes, tables


def _joined(codes, tables) -> list[tuple[int, ...]]:
    """The free hosts of each start, from every group's bytes."""
    if len(codes) == 1:
        table = tables[0]
        return [table[code] for code in codes[0]]
    columns = [[table[code] for code in group] for group, table in zip(codes, tables, strict=True)]
    return [sum(parts, ()) for parts in zip(*columns, strict=True)]


def _free_mask(host, availability, duration, seconds: list[int]) -> bytearray:
    """Which of the sorted start seconds are free for this host (1 free, 0 not). Each range
    marks the starts it covers with one slice assignment (two bisects), so nothing walks every
    candidate."""
    count = len(seconds)
    allowed = _allowed_starts(host, duration, seconds[0], seconds[-1])
    if allowed is None:
        mask = bytearray(b"\x01") * count
    else:
        mask = bytearray(count)
        ones = memoryview(b"\x01" * count)
        for lo, hi in allowed:  # closed [lo, hi]
            i, j = bisect_left(seconds, lo), bisect_right(seconds, hi)
            if i < j:
                mask[i:j] = ones[: j - i]
    zeros = memoryview(bytes(count))
    for lo, hi in _forbidden_starts(host, availability, duration):  # open (lo, hi)
        i, j = bisect_right(seconds, lo), bisect_left(seconds, hi)
        if i < j:
            mask[i:j] = zeros[: j - i]
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
    for item in host.away:
        if isinstance(item, tuple):  # epoch seconds already
            ranges.append((item[0] - length, item[1]))
        else:
            ranges.append((int(item.start.timestamp()) - length, int(item.end.timestamp())))
    return ranges
