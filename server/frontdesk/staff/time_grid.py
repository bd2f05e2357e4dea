"""The bookings time grid: hours down, columns across (days now, hosts later), items as blocks.

A column is any (label, day, items) triple, so a day split per host is as easy as a week split
per day. Rows are five minutes of the site's wall clock; the template places items with row
classes (the dashboard's CSP forbids inline styles)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from math import ceil
from typing import NamedTuple
from zoneinfo import ZoneInfo

ROW_MINUTES = 5
ROWS_PER_HOUR = 60 // ROW_MINUTES
MAX_LANES = 4  # side-by-side items in one column; the stylesheet has classes up to this
DEFAULT_HOURS = (8, 18)
ADD_STEP_MINUTES = 30


@dataclass
class GridItem:
    """One booking or blocked time in a column, clipped to the visible hours."""

    item: object  # a booking row (staff.booking_filters.booking_rows) or a TimeBlock
    kind: str  # "booking" or "blocked"
    start: datetime  # local, unclipped (what the block says)
    end: datetime
    row_start: int = 1
    row_end: int = 2
    lane: int = 0
    lanes: int = 1
    people: list[tuple[str, int]] = field(default_factory=list)  # (name, colour) on a team

    @property
    def short(self) -> bool:
        """Half an hour or less: the template shows one line only."""
        return self.row_end - self.row_start <= ROWS_PER_HOUR // 2

    @property
    def lanes_class(self) -> str:
        """The stylesheet's class for its lane: "gc-<lanes>-<lane>"."""
        return f"gc-{self.lanes}-{self.lane}"


class AddTime(NamedTuple):
    """A future half hour of a column, where a click adds something; what its link says."""

    row: int
    start: str  # the local time as the add form takes it, "2026-12-07T09:30"
    label: str  # "Mon 7 Dec, 09:30"
    clock: str  # "09:30"


@dataclass
class GridColumn:
    """A column of the grid: its heading, the local day its rows stand for, and its items."""

    label: str
    day: date
    items: list[GridItem] = field(default_factory=list)
    today: bool = False
    now_row: int | None = None
    add_times: list[AddTime] = field(default_factory=list)


@dataclass
class TimeGrid:
    """Columns sharing one hour scale: first_hour..last_hour of the site's wall clock."""

    columns: list[GridColumn]
    first_hour: int
    last_hour: int

    @property
    def rows(self) -> int:
        """Five-minute rows in the visible hours."""
        return (self.last_hour - self.first_hour) * ROWS_PER_HOUR

    @property
    def hours(self) -> list[tuple[int, str]]:
        """(row, "09:00") for each hour line."""
        return [
            ((h - self.first_hour) * ROWS_PER_HOUR + 1, f"{h:02d}:00")
            for h in range(self.first_hour, self.last_hour)
        ]


def week_start(day: date) -> date:
    """The Monday of the week containing `day`."""
    return day - timedelta(days=day.weekday())


def items_by_day(
    bookings: Iterable, blocks: Iterable, days: Sequence[date], tz: ZoneInfo
) -> dict[date, list[GridItem]]:
    """Bookings and blocked times under each local day they touch (a long block spans days)."""
    found: dict[date, list[GridItem]] = {day: [] for day in days}
    for kind, rows in (("booking", bookings), ("blocked", blocks)):
        for row in rows:
            start, end = row.start.astimezone(tz), row.end.astimezone(tz)
            for day in days:
                lo = datetime.combine(day, time.min, tz)
                if start < lo + timedelta(days=1) and end > lo:
                    found[day].append(GridItem(row, kind, start, end))
    return found


def columns_by_host(
    day: date, items: Sequence[GridItem], hosts: Sequence, attending: Mapping[int, set[int]]
) -> list[tuple]:
    """One day split into a column per host: each booking under the people attending it
    (`attending`: booking id -> host ids; a collective booking in each of theirs), the site's
    blocked time in every column."""
    columns = []
    for host in hosts:
        mine = [
            replace(item)  # its own rows and lanes in this column
            for item in items
            if item.kind == "blocked" or host.id in attending.get(item.item.id, ())
        ]
        columns.append((host.name, day, mine))
    return columns


PERSON_COLOURS = 8  # the stylesheet's person colours: .pc0 .. .pc7


def name_people(
    found: Mapping[date, list[GridItem]], hosts: Sequence, attending: Mapping[int, set[int]]
) -> None:
    """A team's week keeps a column per day; each booking names the people attending it, each
    person in their own colour (their place on the team), as Cal.com's and Google's calendars
    show several people's bookings in one week."""
    colour = {host.id: (host.name, n % PERSON_COLOURS) for n, host in enumerate(hosts)}
    for items in found.values():
        for item in items:
            if item.kind == "booking":
                ids = attending.get(item.item.id, ())
                item.people = [colour[i] for i in colour if i in ids]


def build_grid(
    columns: Sequence[tuple[str, date, list[GridItem]]],
    tz: ZoneInfo,
    now: datetime,
    hours: tuple[int, int] | None = None,
) -> TimeGrid:
    """Lay the columns out on one hour scale: `hours` (the site's opening hours, widened to
    fit every item), rows and lanes for each item, today's now-line and the add-links."""
    first, last = _visible_hours(columns, hours)
    local_now = now.astimezone(tz)
    grid = TimeGrid([], first, last)
    for label, day, items in columns:
        column = GridColumn(label, day, today=day == local_now.date())
        for item in sorted(items, key=lambda i: (i.start, i.end)):
            item.row_start = _row(day, item.start, first, last)
            item.row_end = max(_row(day, item.end, first, last), item.row_start + 1)
            column.items.append(item)
        _assign_lanes(column.items)
        if column.today:
            column.now_row = _row(day, local_now, first, last, clip=False)
        column.add_times = _add_times(day, first, last, tz, now)
        grid.columns.append(column)
    return grid


def _visible_hours(columns, hours: tuple[int, int] | None) -> tuple[int, int]:
    first, last = hours or DEFAULT_HOURS
    for _, day, items in columns:
        for item in items:
            midnight = datetime.combine(day, time.min, item.start.tzinfo)
            starts = (item.start - midnight).total_seconds() / 3600
            ends = (item.end - midnight).total_seconds() / 3600
            first = min(first, max(0, int(starts)))
            last = max(last, min(24, ceil(ends)))
    return max(0, first), min(24, max(last, first + 1))


def _row(day: date, moment: datetime, first: int, last: int, *, clip: bool = True) -> int | None:
    """The 1-based grid line of a local moment on `day` (wall-clock minutes since first_hour)."""
    midnight = datetime.combine(day, time.min)
    minutes = (moment.replace(tzinfo=None) - midnight).total_seconds() / 60 - first * 60
    line = int(minutes // ROW_MINUTES) + 1
    top, bottom = 1, (last - first) * ROWS_PER_HOUR + 1
    if not clip:
        return line if top <= line < bottom else None
    return min(max(line, top), bottom)


def _assign_lanes(items: list[GridItem]) -> None:
    """Overlapping items sit side by side; each cluster of overlaps shares its lane count."""
    cluster: list[GridItem] = []
    lane_ends: list[int] = []
    for item in items:  # sorted by start
        if cluster and item.row_start >= max(i.row_end for i in cluster):
            _close(cluster, len(lane_ends))
            cluster, lane_ends = [], []
        free = next((n for n, end in enumerate(lane_ends) if end <= item.row_start), None)
        if free is None:
            free = min(len(lane_ends), MAX_LANES - 1)
            if free == len(lane_ends):
                lane_ends.append(item.row_end)
        lane_ends[free] = max(lane_ends[free], item.row_end)
        item.lane = free
        cluster.append(item)
    _close(cluster, len(lane_ends))


def _close(cluster: list[GridItem], lanes: int) -> None:
    for item in cluster:
        item.lanes = max(1, lanes)


def _add_times(day: date, first: int, last: int, tz: ZoneInfo, now: datetime) -> list[AddTime]:
    """Each future half hour of the column: where a click adds something. Its words are written
    here, once for the day, not per link in the template (a busy week has hundreds)."""
    out = []
    date_param, date_label = day.isoformat(), f"{day:%a} {day.day} {day:%b}"
    for minutes in range(first * 60, last * 60, ADD_STEP_MINUTES):
        local = datetime.combine(day, time(minutes // 60, minutes % 60), tz)
        if local.astimezone(UTC) > now:
            clock = f"{local.hour:02d}:{local.minute:02d}"
            row = (minutes - first * 60) // ROW_MINUTES + 1
            out.append(AddTime(row, f"{date_param}T{clock}", f"{date_label}, {clock}", clock))
    return out
