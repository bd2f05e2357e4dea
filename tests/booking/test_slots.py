"""The slot engine's rules, and properties checked against a slow, obviously-correct reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.booking.slots import (
    REASONS,
    Availability,
    Busy,
    block_for,
    check_slot,
    free_slots,
)

MIN = timedelta(minutes=1)
ZONES = [
    "Australia/Sydney",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Santiago",
    "UTC",
]
WEEKDAYS_9_TO_5 = {d: [(time(9), time(12)), (time(13), time(17))] for d in range(5)}
MONDAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 14, 12, tzinfo=UTC)  # Sunday 22:00 in Sydney


def utc_starts(slots) -> list[datetime]:
    return [slot.start.astimezone(UTC) for slot in slots]


def sydney(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo("Australia/Sydney"))


def weekday_site(**rules) -> Availability:
    return Availability("Australia/Sydney", WEEKDAYS_9_TO_5, {}, **rules)


# --- A slow reference: every wall time converted on its own, range ends found by scanning. ---


def _exists(wall: datetime, zone: ZoneInfo, fold: int) -> datetime | None:
    instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
    back = instant.astimezone(zone)
    return instant if back.replace(tzinfo=None) == wall and back.fold == fold else None


def _existing_end(wall_end: datetime, zone: ZoneInfo) -> datetime | None:
    """Latest occurrence of a wall time, or None if skipped (fold 1 exists only when repeated)."""
    late = _exists(wall_end, zone, 1)
    if late is not None:
        return late
    return _exists(wall_end, zone, 0)


def reference_end(wall_end: datetime, zone: ZoneInfo) -> datetime:
    """When the local clock passes a skipped time: scan minute by minute to the jump."""
    existing = _existing_end(wall_end, zone)
    if existing is not None:
        return existing
    instant = wall_end.replace(tzinfo=zone, fold=1).astimezone(UTC)
    while instant.astimezone(zone).replace(tzinfo=None) < wall_end:
        instant += MIN
    return instant


def reference_ranges(av: Availability, day: date) -> list[tuple[datetime, datetime, datetime]]:
    """(first wall time, wall end, UTC end instant) of each opening range of a site day."""
    zone = ZoneInfo(av.timezone)
    ranges = av.overrides[day] if day in av.overrides else av.weekly.get(day.weekday(), [])
    out = []
    for start, end in ranges:
        wall_end = datetime.combine(day + timedelta(days=end == time(0)), end)
        out.append((datetime.combine(day, start), wall_end, reference_end(wall_end, zone)))
    return out


def reference_slots(av, duration, start_date, end_date, now, busy, tz) -> list[datetime]:
    """UTC starts of every free slot, straight from the rules."""
    zone, out_zone = ZoneInfo(av.timezone), ZoneInfo(tz or av.timezone)
    today = now.astimezone(zone).date()
    found = set()
    for offset in range(av.max_days_ahead + 1):
        day = today + timedelta(days=offset)
        for wall, wall_end, range_end in reference_ranges(av, day):
            while wall < wall_end:
                start = _exists(wall, zone, 0)
                wall += av.step
                if start is None or start + duration > range_end:
                    continue
                if start < now + av.min_notice:
                    continue
                block_start, block_end = (
                    start - av.buffer_before,
                    start + duration + av.buffer_after,
                )
                if any(b.start < block_end and b.end > block_start for b in busy):
                    continue
                if start_date <= start.astimezone(out_zone).date() <= end_date:
                    found.add(start)
    return sorted(found)


# --- Strategies ---------------------------------------------------------------------------


@lru_cache
def clock_change_days(zone_name: str) -> tuple[date, ...]:
    zone, day, days, previous = ZoneInfo(zone_name), date(2026, 1, 1), [], None
    while day.year == 2026:
        offset = datetime.combine(day, time(12), zone).utcoffset()
        if previous is not None and offset != previous:
            days.append(day)
        previous, day = offset, day + timedelta(days=1)
    return tuple(days) or (date(2026, 3, 29),)


# Clock changes happen at 00:00, 02:00, 02:45, 03:00: bias times towards them.
TIMES = st.one_of(
    st.sampled_from([time(h, m) for h in (0, 1, 2, 3, 4, 23) for m in (0, 15, 30, 45)]),
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 10, 15, 20, 30, 45, 50])),
)


@st.composite
def opening_range(draw):
    first, second = draw(TIMES), draw(TIMES)
    if first == second or draw(st.integers(0, 4)) == 0:
        return (min(first, second), time(0))  # open until midnight
    return (min(first, second), max(first, second))


RANGES = st.lists(opening_range(), max_size=3)


@lru_cache
def times_near_change(zone_name: str, day: date) -> tuple[time, ...]:
    """Wall times within half an hour of both sides of the clock change near `day`."""
    zone = ZoneInfo(zone_name)
    instant = datetime.combine(day - timedelta(days=1), time(12), zone).astimezone(UTC)
    old = instant.astimezone(zone).utcoffset()
    for _ in range(4 * 48):  # changes are on quarter hours; zones without DST have none
        if instant.astimezone(zone).utcoffset() != old:
            break
        instant += 15 * MIN
    new = instant.astimezone(zone).utcoffset()
    walls = {instant + offset + k * 15 * MIN for offset in (old, new) for k in range(-2, 3)}
    return tuple(sorted({wall.time() for wall in walls} | {time(0)}))


@st.composite
def range_around_change(draw, zone_name: str, day: date):
    """An opening range that starts or ends close to the day's clock change."""
    near = times_near_change(zone_name, day)
    if draw(st.booleans()):
        end = draw(st.sampled_from(near))
        start = draw(st.sampled_from([t for t in near if t < end or end == time(0)]) | TIMES)
        return (start, end) if start < end or end == time(0) else (start, time(0))
    start = draw(st.sampled_from(near))
    end = draw(st.sampled_from(near) | TIMES)
    return (start, end) if start < end else (start, time(0))


@st.composite
def scenarios(draw):
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    horizon = draw(st.integers(0, 9))
    change = draw(st.sampled_from(clock_change_days(zone_name)))
    # The change is within the horizon and, unless the horizon is today, still ahead.
    today = change - timedelta(days=draw(st.integers(min(1, horizon), horizon)))
    local_now = datetime.combine(today, time(0)) + draw(st.integers(0, 1439)) * MIN
    now = local_now.replace(tzinfo=zone).astimezone(UTC)
    window = [today + timedelta(days=i) for i in range(-1, horizon + 2)]
    overrides = draw(st.dictionaries(st.sampled_from(window), RANGES, max_size=4))
    # Opening hours that meet the clock change (Santiago's is at midnight, so also the eve).
    around = range_around_change(zone_name, change)
    overrides[change] = draw(st.lists(around | opening_range(), min_size=1, max_size=3))
    if draw(st.booleans()):
        overrides[change - timedelta(days=1)] = draw(st.lists(around, max_size=2))
    av = Availability(
        zone_name,
        draw(st.dictionaries(st.integers(0, 6), RANGES, max_size=7)),
        overrides,
        buffer_before=draw(st.sampled_from([0, 5, 15, 30])) * MIN,
        buffer_after=draw(st.sampled_from([0, 10, 15, 45])) * MIN,
        min_notice=draw(st.sampled_from([0, 30, 120, 24 * 60])) * MIN,
        max_days_ahead=horizon,
        step=draw(st.sampled_from([10, 15, 20, 25, 30, 40, 45, 60, 90])) * MIN,
    )
    # Busy blocks on the same 5-minute grid as the slots, so touching blocks happen often.
    midnight = datetime.combine(today, time(0), zone).astimezone(UTC)
    busy = [
        Busy(start, start + draw(st.integers(1, 60)) * 5 * MIN)
        for start in draw(
            st.lists(
                st.integers(-24 * 12, (horizon + 2) * 24 * 12).map(
                    lambda n: midnight + n * 5 * MIN
                ),
                max_size=12,
            )
        )
    ]
    duration = draw(st.sampled_from([5, 15, 30, 45, 60, 90, 150])) * MIN
    start_date = today + timedelta(days=draw(st.integers(-2, horizon + 1) | st.just(-1)))
    end_date = start_date + timedelta(days=draw(st.integers(0, horizon + 2) | st.just(horizon + 2)))
    tz = draw(st.one_of(st.none(), st.sampled_from(ZONES)))
    return av, duration, start_date, end_date, now, busy, tz


PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(scenarios())
def test_free_slots_match_the_reference_and_keep_every_rule(scenario):
    av, duration, start_date, end_date, now, busy, tz = scenario
    slots = free_slots(av, duration, start_date, end_date, now=now, busy=busy, tz=tz)
    starts = utc_starts(slots)
    assert starts == reference_slots(av, duration, start_date, end_date, now, busy, tz)

    zone, out_zone = ZoneInfo(av.timezone), ZoneInfo(tz or av.timezone)
    today = now.astimezone(zone).date()
    assert starts == sorted(set(starts))  # sorted by real instant and unique
    for slot, start in zip(slots, starts, strict=True):
        assert slot.start.tzinfo == out_zone and slot.end.tzinfo == out_zone
        assert slot.end.astimezone(UTC) - start == duration
        assert start_date <= slot.start.date() <= end_date
        assert start >= now + av.min_notice
        local = start.astimezone(zone)
        assert local.date() <= today + timedelta(days=av.max_days_ahead)
        block = block_for(av, start, duration)
        assert not any(b.start < block.end and b.end > block.start for b in busy)
        assert any(
            wall <= local.replace(tzinfo=None) < wall_end and start + duration <= range_end
            for wall, wall_end, range_end in reference_ranges(av, local.date())
        )


@st.composite
def clock_change_scenarios(draw):
    """Only the days of a clock change are open, all of it bookable: dense DST coverage."""
    zone_name = draw(st.sampled_from([z for z in ZONES if z not in ("UTC", "Asia/Kolkata")]))
    change = draw(st.sampled_from(clock_change_days(zone_name)))
    around = range_around_change(zone_name, change)
    overrides = {
        change: draw(st.lists(around, min_size=1, max_size=3)),
        change - timedelta(days=1): draw(st.lists(around, max_size=2)),
    }
    av = Availability(
        zone_name,
        {},
        overrides,
        max_days_ahead=4,
        step=draw(st.sampled_from([10, 15, 20, 25, 30, 40, 45, 60])) * MIN,
    )
    now = datetime.combine(change - timedelta(days=2), time(0), ZoneInfo(zone_name))
    duration = draw(st.sampled_from([5, 15, 30, 45, 60, 75, 90, 120])) * MIN
    tz = draw(st.one_of(st.none(), st.sampled_from(ZONES)))
    first, last = change - timedelta(days=3), change + timedelta(days=2)
    return av, duration, first, last, now.astimezone(UTC), [], tz


@PROPERTY
@given(clock_change_scenarios())
def test_clock_change_days_match_the_reference(scenario):
    av, duration, start_date, end_date, now, busy, tz = scenario
    slots = free_slots(av, duration, start_date, end_date, now=now, busy=busy, tz=tz)
    assert utc_starts(slots) == reference_slots(av, duration, start_date, end_date, now, busy, tz)
    assert {check_slot(av, duration, slot.start, now=now, busy=busy) for slot in slots} <= {None}


@PROPERTY
@given(scenarios(), st.data())
def test_check_slot_agrees_with_free_slots(scenario, data):
    av, duration, _, _, now, busy, _ = scenario
    zone = ZoneInfo(av.timezone)
    today = now.astimezone(zone).date()
    days = [today + timedelta(days=i) for i in range(-1, av.max_days_ahead + 2)]
    offered = {
        day: set(utc_starts(free_slots(av, duration, day, day, now=now, busy=busy))) for day in days
    }
    for start in offered[today]:
        assert check_slot(av, duration, start, now=now, busy=busy) is None
    grid = [
        datetime.combine(day, time(0), zone).astimezone(UTC) + n * 5 * MIN
        for day in days
        for n in range(0, 24 * 12 + 12, 3)
    ]
    for start in data.draw(st.lists(st.sampled_from(grid), max_size=40)):
        reason = check_slot(av, duration, start.astimezone(zone), now=now, busy=busy)
        assert reason in (*REASONS, None)
        site_day = start.astimezone(zone).date()
        assert (reason is None) == (start in offered.get(site_day, set()))
        if reason == "past":
            assert start < now
        elif reason == "too_soon":
            assert now <= start < now + av.min_notice
        elif reason == "too_far":
            assert site_day > today + timedelta(days=av.max_days_ahead)
        elif reason == "taken":
            block = block_for(av, start, duration)
            assert any(b.start < block.end and b.end > block.start for b in busy)


# --- Plain rules ---------------------------------------------------------------------------


def test_weekday_hours_give_step_aligned_slots_that_fit_each_range():
    slots = free_slots(weekday_site(), 60 * MIN, MONDAY, MONDAY, now=NOW, busy=[])
    local = [s.start.strftime("%H:%M") for s in slots]
    assert local == ["09:00", "09:30", "10:00", "10:30", "11:00", "13:00", "13:30"] + [
        "14:00",
        "14:30",
        "15:00",
        "15:30",
        "16:00",
    ]
    assert all(s.start.tzinfo == ZoneInfo("Australia/Sydney") for s in slots)
    assert slots[0].end == sydney(MONDAY, 10)


def test_busy_blocks_with_buffers_exclude_overlaps_but_touching_is_fine():
    av = weekday_site(buffer_before=15 * MIN, buffer_after=15 * MIN)
    # An existing 10:00-10:30 booking with 15-minute buffers blocks 09:45-10:45.
    busy = [Busy(sydney(MONDAY, 9, 45), sydney(MONDAY, 10, 45))]
    slots = free_slots(av, 30 * MIN, MONDAY, MONDAY, now=NOW, busy=busy)
    local = [s.start.strftime("%H:%M") for s in slots if s.start.hour < 12]
    # 09:00 block ends 09:45 (touches); 11:00 block starts 10:45 (touches).
    assert local == ["09:00", "11:00", "11:30"]
    assert check_slot(av, 30 * MIN, sydney(MONDAY, 9, 30), now=NOW, busy=busy) == "taken"
    assert check_slot(av, 30 * MIN, sydney(MONDAY, 11), now=NOW, busy=busy) is None


def test_overlapping_busy_blocks_in_any_order_are_all_respected():
    busy = [
        Busy(sydney(MONDAY, 9), sydney(MONDAY, 15)),  # long block hides the short ones
        Busy(sydney(MONDAY, 10), sydney(MONDAY, 10, 30)),
        Busy(sydney(MONDAY, 16), sydney(MONDAY, 16, 30)),
    ]
    slots = free_slots(weekday_site(), 30 * MIN, MONDAY, MONDAY, now=NOW, busy=busy[::-1])
    assert [s.start.strftime("%H:%M") for s in slots] == ["15:00", "15:30", "16:30"]


def test_min_notice_and_the_past_are_never_offered():
    now = sydney(MONDAY, 10, 10)
    av = weekday_site(min_notice=2 * 60 * MIN)
    slots = free_slots(av, 30 * MIN, MONDAY, MONDAY, now=now, busy=[])
    assert slots[0].start == sydney(MONDAY, 13)  # 12:10 is the earliest; 12-13 is lunch
    assert check_slot(av, 30 * MIN, sydney(MONDAY, 10), now=now, busy=[]) == "past"
    assert check_slot(av, 30 * MIN, sydney(MONDAY, 11), now=now, busy=[]) == "too_soon"


def test_horizon_counts_site_local_days_from_today():
    av = weekday_site(max_days_ahead=3)  # today is Sunday in Sydney: Mon..Wed
    slots = free_slots(av, 30 * MIN, MONDAY, MONDAY + timedelta(days=30), now=NOW, busy=[])
    assert {s.start.date() for s in slots} == {MONDAY + timedelta(days=i) for i in range(3)}
    thursday = MONDAY + timedelta(days=3)
    assert check_slot(av, 30 * MIN, sydney(thursday, 9), now=NOW, busy=[]) == "too_far"


def test_overrides_replace_weekly_hours_and_can_close_a_day():
    tuesday = MONDAY + timedelta(days=1)
    av = Availability(
        "Australia/Sydney", WEEKDAYS_9_TO_5, {MONDAY: [], tuesday: [(time(18), time(19))]}
    )
    slots = free_slots(av, 30 * MIN, MONDAY, tuesday, now=NOW, busy=[])
    assert [s.start for s in slots] == [sydney(tuesday, 18), sydney(tuesday, 18, 30)]
    assert check_slot(av, 30 * MIN, sydney(MONDAY, 9), now=NOW, busy=[]) == "outside_hours"


def test_overlapping_unsorted_ranges_give_sorted_unique_slots():
    ranges = [(time(13), time(15)), (time(9), time(14)), (time(9), time(10))]
    av = Availability("UTC", {0: ranges}, {})
    slots = free_slots(av, 60 * MIN, MONDAY, MONDAY, now=NOW, busy=[])
    assert [s.start.hour * 60 + s.start.minute for s in slots] == list(
        range(9 * 60, 14 * 60 + 1, 30)
    )


def test_step_that_does_not_divide_the_range_and_a_midnight_end():
    av = Availability("UTC", {0: [(time(22), time(0))]}, {}, step=25 * MIN)
    slots = free_slots(av, 30 * MIN, MONDAY, MONDAY, now=NOW, busy=[])
    assert [s.start.strftime("%H:%M") for s in slots] == ["22:00", "22:25", "22:50", "23:15"]
    assert slots[-1].end == datetime(2026, 6, 15, 23, 45, tzinfo=UTC)
    assert check_slot(
        av, 30 * MIN, datetime(2026, 6, 15, 22, 10, tzinfo=UTC), now=NOW, busy=[]
    ) == ("outside_hours")


def test_visitor_zone_chooses_the_calendar_days_and_the_output_zone():
    # A site at UTC-11 seen from UTC+14 (25 hours apart): 09:00 on 9 June is 10:00 on 10 June.
    av = Availability("Pacific/Pago_Pago", {d: [(time(9), time(10))] for d in range(7)}, {})
    now = datetime(2026, 6, 1, tzinfo=UTC)
    day = date(2026, 6, 10)
    slots = free_slots(av, 30 * MIN, day, day, now=now, busy=[], tz="Pacific/Kiritimati")
    assert [s.start.isoformat() for s in slots] == [
        "2026-06-10T10:00:00+14:00",
        "2026-06-10T10:30:00+14:00",
    ]
    site_side = free_slots(av, 30 * MIN, day, day, now=now, busy=[])
    assert utc_starts(site_side)[0] - utc_starts(slots)[0] == timedelta(days=1)


def test_block_for_adds_the_buffers_in_utc():
    av = weekday_site(buffer_before=10 * MIN, buffer_after=20 * MIN)
    block = block_for(av, sydney(MONDAY, 9), 30 * MIN)
    assert block == Busy(
        datetime(2026, 6, 14, 22, 50, tzinfo=UTC), datetime(2026, 6, 14, 23, 50, tzinfo=UTC)
    )
    assert block.start.tzinfo is UTC


def test_extreme_dates_are_clamped_to_today_and_the_horizon():
    slots = free_slots(weekday_site(), 30 * MIN, date.min, date.max, now=NOW, busy=[])
    # Today is Sunday 14 June in Sydney; the horizon is 13 August: 44 weekdays of 14 slots.
    assert len(slots) == 44 * 14
    assert slots[0].start == sydney(MONDAY, 9)
    assert slots[-1].start == sydney(date(2026, 8, 13), 16, 30)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"timezone": ""}, "unknown time zone"),
        ({"timezone": "../../etc/passwd"}, "unknown time zone"),
        ({"step": timedelta(0)}, "step"),
        ({"step": timedelta(seconds=10)}, "step"),
        ({"buffer_before": -MIN}, "buffer_before"),
        ({"min_notice": 5}, "min_notice"),
        ({"max_days_ahead": -1}, "max_days_ahead"),
        ({"max_days_ahead": 10**6}, "max_days_ahead"),
        ({"weekly": {7: []}}, "weekday"),
        ({"weekly": {0: [(time(12), time(9))]}}, "start before"),
        ({"weekly": {0: [(time(9), time(9))]}}, "start before"),
        ({"weekly": {0: [(time(9),)]}}, "pair"),
        ({"weekly": {0: [("09:00", "10:00")]}}, "naive"),
        ({"overrides": {"2026-06-15": []}}, "dates"),
        ({"overrides": {MONDAY: [(time(9, tzinfo=UTC), time(10))]}}, "naive"),
    ],
)
def test_inconsistent_availability_is_refused(changes, message):
    fields = {"timezone": "UTC", "weekly": {}, "overrides": {}} | changes
    with pytest.raises(ValueError, match=message):
        Availability(**fields)


def test_bad_arguments_are_refused_with_a_clear_error():
    av = weekday_site()
    naive = datetime(2026, 6, 15, 9)
    with pytest.raises(ValueError, match="now"):
        free_slots(av, 30 * MIN, MONDAY, MONDAY, now=naive, busy=[])
    with pytest.raises(ValueError, match="duration"):
        free_slots(av, timedelta(0), MONDAY, MONDAY, now=NOW, busy=[])
    with pytest.raises(ValueError, match="end_date"):
        free_slots(av, 30 * MIN, MONDAY, MONDAY - timedelta(days=1), now=NOW, busy=[])
    with pytest.raises(ValueError, match="unknown time zone"):
        free_slots(av, 30 * MIN, MONDAY, MONDAY, now=NOW, busy=[], tz="Nowhere/Land")
    with pytest.raises(ValueError, match="start"):
        check_slot(av, 30 * MIN, naive, now=NOW, busy=[])
    with pytest.raises(ValueError, match="Busy.start"):
        Busy(naive, NOW)
    with pytest.raises(ValueError, match="after"):
        Busy(NOW, NOW)
