"""Daylight-saving changes, seen from the site's zone and from the visitor's zone (2026 dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from frontdesk.booking.slots import Availability, check_slot, free_slots, opening_intervals

MIN = timedelta(minutes=1)
SYDNEY, NEW_YORK = "Australia/Sydney", "America/New_York"
SYDNEY_DST_START = date(2026, 10, 4)  # first Sunday of October: 02:00 AEST -> 03:00 AEDT
SYDNEY_DST_END = date(2026, 4, 5)  # first Sunday of April: 03:00 AEDT -> 02:00 AEST
NY_DST_START = date(2026, 3, 8)  # 02:00 EST -> 03:00 EDT
NY_DST_END = date(2026, 11, 1)  # 02:00 EDT -> 01:00 EST
SMALL_HOURS = [(time(1), time(4))]


def open_on(zone: str, day: date, ranges=SMALL_HOURS, **rules) -> Availability:
    """A site open only on `day` (an override), so weekly hours cannot interfere."""
    return Availability(zone, {}, {day: ranges}, **rules)


def slots_on(av: Availability, day: date, minutes: int = 30, tz: str | None = None):
    now = datetime.combine(day - timedelta(days=3), time(0), tzinfo=UTC)
    return free_slots(av, minutes * MIN, day, day, now=now, busy=[], tz=tz)


def walls(slots) -> list[str]:
    """Local wall time and UTC offset of each slot start, e.g. '01:30-0400'."""
    return [slot.start.strftime("%H:%M%z") for slot in slots]


def utc(slots) -> list[str]:
    return [slot.start.astimezone(UTC).strftime("%m-%d %H:%M") for slot in slots]


def test_the_2026_dates_really_are_clock_changes():
    for zone, day in [
        (SYDNEY, SYDNEY_DST_START),
        (SYDNEY, SYDNEY_DST_END),
        (NEW_YORK, NY_DST_START),
        (NEW_YORK, NY_DST_END),
    ]:
        at = ZoneInfo(zone)
        before = datetime.combine(day, time(0, 30), at).utcoffset()
        assert datetime.combine(day, time(5), at).utcoffset() != before, (zone, day)


# --- In the site's zone ---------------------------------------------------------------------


def test_sydney_spring_forward_skips_the_missing_hour():
    slots = slots_on(open_on(SYDNEY, SYDNEY_DST_START), SYDNEY_DST_START)
    assert walls(slots) == ["01:00+1000", "01:30+1000", "03:00+1100", "03:30+1100"]
    assert utc(slots) == ["10-03 15:00", "10-03 15:30", "10-03 16:00", "10-03 16:30"]


def test_sydney_fall_back_offers_the_repeated_hour_once():
    slots = slots_on(open_on(SYDNEY, SYDNEY_DST_END), SYDNEY_DST_END)
    assert walls(slots) == [
        "01:00+1100",
        "01:30+1100",
        "02:00+1100",
        "02:30+1100",  # the second 02:00-03:00 (+1000) is not offered again
        "03:00+1000",
        "03:30+1000",
    ]
    assert utc(slots)[3:] == ["04-04 15:30", "04-04 17:00", "04-04 17:30"]


def test_new_york_spring_forward_small_hours_and_real_elapsed_time():
    av = open_on(NEW_YORK, NY_DST_START)
    assert walls(slots_on(av, NY_DST_START)) == [
        "01:00-0500",
        "01:30-0500",
        "03:00-0400",
        "03:30-0400",
    ]
    # 01:00-04:00 that night lasts two real hours: a 90-minute slot fits only before the gap.
    assert walls(slots_on(av, NY_DST_START, minutes=90)) == ["01:00-0500", "01:30-0500"]
    assert walls(slots_on(av, NY_DST_START, minutes=150)) == []
    # A 45-minute step lands on 02:15, which does not exist: it is skipped, not moved to 03:15.
    av = open_on(NEW_YORK, NY_DST_START, [(time(1, 30), time(4))], step=45 * MIN)
    assert walls(slots_on(av, NY_DST_START)) == ["01:30-0500", "03:00-0400"]


def test_new_york_fall_back_small_hours_and_real_elapsed_time():
    av = open_on(NEW_YORK, NY_DST_END)
    slots = slots_on(av, NY_DST_END)
    assert walls(slots) == [
        "01:00-0400",
        "01:30-0400",
        "02:00-0500",
        "02:30-0500",
        "03:00-0500",
        "03:30-0500",
    ]
    assert len({s.start.astimezone(UTC) for s in slots}) == len(slots)
    # That night 01:00-04:00 lasts four real hours, so a 4-hour slot fits.
    assert walls(slots_on(av, NY_DST_END, minutes=240)) == ["01:00-0400"]


def test_a_range_ending_in_the_repeated_hour_ends_at_its_later_occurrence():
    av = open_on(NEW_YORK, NY_DST_END, [(time(0), time(1, 30))])
    # 01:00 EDT + 60 minutes is 01:00 EST, before the later 01:30.
    assert walls(slots_on(av, NY_DST_END, minutes=60)) == ["00:00-0400", "00:30-0400", "01:00-0400"]
    close = opening_intervals(av, NY_DST_END)[0][1]
    assert close == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_a_range_ending_in_the_missing_hour_ends_when_the_clocks_jump():
    av = open_on(NEW_YORK, NY_DST_START, [(time(0), time(2, 30))])
    # Open until "02:30", which never comes: the clock jumps from 02:00 EST to 03:00 EDT.
    assert walls(slots_on(av, NY_DST_START, minutes=60)) == [
        "00:00-0500",
        "00:30-0500",
        "01:00-0500",
    ]
    assert opening_intervals(av, NY_DST_START) == [
        (datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 8, 7, tzinfo=UTC))
    ]


def test_a_range_starting_in_the_missing_hour_opens_when_the_clocks_jump():
    av = open_on(NEW_YORK, NY_DST_START, [(time(2, 30), time(4))])
    assert walls(slots_on(av, NY_DST_START)) == ["03:00-0400", "03:30-0400"]
    assert opening_intervals(av, NY_DST_START)[0][0] == datetime(2026, 3, 8, 7, tzinfo=UTC)


def test_chatham_skips_a_quarter_past_hour():
    # Chatham Islands jump 02:45 -> 03:45 on the last Sunday of September.
    day = date(2026, 9, 27)
    av = open_on("Pacific/Chatham", day, [(time(2), time(4))], step=15 * MIN)
    assert walls(slots_on(av, day)) == ["02:00+1245", "02:15+1245", "02:30+1245"]


def test_santiago_changes_at_midnight():
    spring, autumn = date(2026, 9, 6), date(2026, 4, 4)  # 00:00 -> 01:00; 24:00 -> 23:00
    av = Availability("America/Santiago", {}, {spring: [(time(0), time(2))]})
    assert walls(slots_on(av, spring)) == ["01:00-0300", "01:30-0300"]
    # Open "until midnight" on the eve of the jump: until the jump, four slots.
    eve = spring - timedelta(days=1)
    av = Availability("America/Santiago", {}, {eve: [(time(22), time(0))]})
    assert walls(slots_on(av, eve)) == ["22:00-0400", "22:30-0400", "23:00-0400", "23:30-0400"]
    # The evening before clocks go back has 23:00-24:00 twice: offered once, open two hours.
    av = Availability("America/Santiago", {}, {autumn: [(time(23), time(0))]})
    assert walls(slots_on(av, autumn)) == ["23:00-0300", "23:30-0300"]
    assert walls(slots_on(av, autumn, minutes=120)) == ["23:00-0300"]


def test_nine_am_stays_nine_am_the_week_before_and_after_each_change():
    thursdays = [date(2026, 10, 1), date(2026, 10, 8), date(2026, 4, 2), date(2026, 4, 9)]
    av = Availability(SYDNEY, {3: [(time(9), time(9, 30))]}, {})
    for day in thursdays:
        assert walls(slots_on(av, day)) == [
            "09:00+1000" if date(2026, 4, 5) <= day < date(2026, 10, 4) else "09:00+1100"
        ]
    assert utc(slots_on(av, thursdays[0])) == ["09-30 23:00"]
    assert utc(slots_on(av, thursdays[1])) == ["10-07 22:00"]
    ny = Availability(NEW_YORK, {3: [(time(9), time(9, 30))]}, {})
    assert utc(slots_on(ny, date(2026, 3, 5))) == ["03-05 14:00"]
    assert utc(slots_on(ny, date(2026, 3, 12))) == ["03-12 13:00"]


# --- In the visitor's zone ------------------------------------------------------------------


def test_new_york_visitor_sees_sydney_nine_am_shift_with_both_changes():
    av = Availability(SYDNEY, {3: [(time(9), time(9, 30))]}, {})
    cases = {
        # Sydney change on 4 Oct: 09:00 AEST Thu 1 Oct, 09:00 AEDT Thu 8 Oct.
        date(2026, 9, 30): "09-30 19:00-0400",
        date(2026, 10, 7): "10-07 18:00-0400",
        # New York change on 1 Nov: both 09:00 AEDT.
        date(2026, 10, 28): "10-28 18:00-0400",
        date(2026, 11, 4): "11-04 17:00-0500",
    }
    for visitor_day, expected in cases.items():
        slots = slots_on(av, visitor_day, tz=NEW_YORK)
        assert [s.start.strftime("%m-%d %H:%M%z") for s in slots] == [expected]
        assert slots[0].start.tzinfo == ZoneInfo(NEW_YORK)
        assert slots[0].end - slots[0].start == 30 * MIN


def test_visitor_fall_back_hour_shows_repeated_wall_times_in_real_order():
    # A UTC site open 05:00-07:00 on 1 Nov: in New York that is 01:00-01:59 twice.
    av = open_on("UTC", NY_DST_END, [(time(5), time(7))])
    slots = slots_on(av, NY_DST_END, tz=NEW_YORK)
    assert walls(slots) == ["01:00-0400", "01:30-0400", "01:00-0500", "01:30-0500"]
    assert [s.start.fold for s in slots] == [0, 0, 1, 1]
    assert utc(slots) == ["11-01 05:00", "11-01 05:30", "11-01 06:00", "11-01 06:30"]


def test_visitor_spring_forward_reads_site_slots_with_the_new_offset():
    # A London site (no change that day) open 06:00-08:00 UTC, seen from New York on 8 March.
    av = open_on("Europe/London", NY_DST_START, [(time(6), time(8))], step=60 * MIN)
    slots = slots_on(av, NY_DST_START, tz=NEW_YORK)
    assert walls(slots) == ["01:00-0500", "03:00-0400"]  # 02:00 never appears on NY clocks


def test_sydney_site_change_seen_from_new_york_small_hours():
    av = open_on(SYDNEY, SYDNEY_DST_START)
    slots = slots_on(av, date(2026, 10, 3), tz=NEW_YORK)
    assert walls(slots) == ["11:00-0400", "11:30-0400", "12:00-0400", "12:30-0400"]


# --- Overrides and check_slot on change days ---------------------------------------------


def test_closed_day_override_on_a_change_day():
    av = Availability(NEW_YORK, {6: SMALL_HOURS}, {NY_DST_END: []})
    assert slots_on(av, NY_DST_END) == []
    assert walls(slots_on(av, NY_DST_END + timedelta(days=7))) == [
        "01:00-0500",
        "01:30-0500",
        "02:00-0500",
        "02:30-0500",
        "03:00-0500",
        "03:30-0500",
    ]


def test_special_hours_override_replaces_the_weekly_hours_on_a_change_day():
    av = Availability(SYDNEY, {6: [(time(9), time(17))]}, {SYDNEY_DST_START: SMALL_HOURS})
    assert walls(slots_on(av, SYDNEY_DST_START))[-1] == "03:30+1100"
    assert len(slots_on(av, SYDNEY_DST_START)) == 4


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (datetime(2026, 11, 1, 1, 30, fold=0, tzinfo=ZoneInfo(NEW_YORK)), None),
        (datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo(NEW_YORK)), "outside_hours"),
        (datetime(2026, 11, 1, 2, 0, tzinfo=ZoneInfo(NEW_YORK)), None),
        (datetime(2026, 11, 1, 6, 0, tzinfo=UTC), "outside_hours"),  # 01:00 EST, repeated
        (datetime(2026, 11, 1, 7, 0, tzinfo=UTC), None),  # 02:00 EST seen in UTC
    ],
)
def test_check_slot_on_the_fall_back_day(start, expected):
    av = open_on(NEW_YORK, NY_DST_END)
    now = datetime(2026, 10, 30, tzinfo=UTC)
    assert check_slot(av, 30 * MIN, start, now=now, busy=[]) == expected
