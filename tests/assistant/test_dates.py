"""Date understanding of the offline engine, with a fixed "now" and the visitor's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from frontdesk.assistant.offline.dates import (
    in_part,
    local_instant,
    parse_day,
    parse_slot_phrase,
    parse_time,
    parse_when,
)
from frontdesk.assistant.tools import cards

# Wednesday 25 Nov 2026, 10:00 in Tokyo; still Tuesday 24 Nov (20:00) in New York.
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
TOKYO = "Asia/Tokyo"
NEW_YORK = "America/New_York"


@pytest.mark.parametrize(
    ("text", "day", "part", "at"),
    [
        ("can I book a call next Tuesday afternoon?", date(2026, 12, 1), "afternoon", None),
        ("tomorrow morning", date(2026, 11, 26), "morning", None),
        ("Dec 3", date(2026, 12, 3), None, None),
        ("how about 3rd of December at 10:30am", date(2026, 12, 3), None, time(10, 30)),
        ("Friday at 2pm", date(2026, 11, 27), None, time(14)),
        ("this afternoon", date(2026, 11, 25), "afternoon", None),
        ("tonight", date(2026, 11, 25), "evening", None),
        ("next week", date(2026, 11, 30), None, None),
        ("in 3 days", date(2026, 11, 28), None, None),
        ("2026-12-04 14:30", date(2026, 12, 4), None, time(14, 30)),
        ("wed 2 dec at noon", date(2026, 12, 2), None, time(12)),
    ],
)
def test_parse_when_in_the_visitors_zone(text, day, part, at):
    when = parse_when(text, NOW, TOKYO)
    assert (when.day, when.part, when.at) == (day, part, at)


def test_relative_days_depend_on_the_visitors_zone():
    # It is already Wednesday in Tokyo but still Tuesday evening in New York.
    assert parse_day("tomorrow", NOW, TOKYO) == date(2026, 11, 26)
    assert parse_day("tomorrow", NOW, NEW_YORK) == date(2026, 11, 25)


def test_past_month_day_means_next_year():
    assert parse_day("Nov 20", NOW, TOKYO) == date(2027, 11, 20)


@pytest.mark.parametrize("text", ["hello", "may I ask something", "what does it cost?", ""])
def test_no_timing_in_ordinary_messages(text):
    assert parse_when(text, NOW, TOKYO).empty


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2pm", time(14)),
        ("2:30 p.m.", time(14, 30)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("14:05", time(14, 5)),
        ("at 3", time(15)),
        ("at 10", time(10)),
        ("13pm", None),
        ("Dec 3", None),
    ],
)
def test_clock_times(text, expected):
    assert parse_time(text) == expected


def test_slot_chip_phrase_round_trips_in_the_visitors_zone():
    start = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    value = f"Book Consultation on {cards.slot_phrase(start, TOKYO)}"
    assert value == "Book Consultation on Tue 1 Dec 2026 at 14:00"
    assert parse_slot_phrase(value, TOKYO) == start
    assert parse_slot_phrase("Book something on Tue 31 Feb 2026 at 14:00", TOKYO) is None
    assert parse_slot_phrase("next Tuesday", TOKYO) is None


def test_day_parts_and_local_instants():
    two_pm_tokyo = local_instant(date(2026, 12, 1), time(14), TOKYO)
    assert two_pm_tokyo == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert in_part(two_pm_tokyo, "afternoon", TOKYO)
    assert not in_part(two_pm_tokyo, "morning", TOKYO)
    assert in_part(two_pm_tokyo, "morning", "Europe/London")  # 05:00 there
    assert not in_part(two_pm_tokyo, "evening", NEW_YORK)  # midnight there
    assert in_part(two_pm_tokyo, None, TOKYO)


@pytest.mark.parametrize(
    ("clock", "part"),
    [
        (time(4, 59), None),
        (time(5), "morning"),
        (time(11, 30), "morning"),
        (time(12), None),  # noon is neither morning nor afternoon
        (time(12, 30), "afternoon"),
        (time(16, 59), "afternoon"),
        (time(17), "evening"),
        (time(23, 59), "evening"),  # the evening runs until midnight
    ],
)
def test_a_slot_start_is_in_at_most_one_of_morning_afternoon_evening(clock, part):
    start = local_instant(date(2026, 12, 3), clock, TOKYO)
    found = [p for p in ("morning", "afternoon", "evening") if in_part(start, p, TOKYO)]
    assert found == ([part] if part else [])


def test_lunchtime_includes_noon():
    assert parse_when("Thursday lunchtime", NOW, TOKYO).part == "lunchtime"
    assert in_part(local_instant(date(2026, 12, 3), time(12), TOKYO), "lunchtime", TOKYO)
    assert in_part(local_instant(date(2026, 12, 3), time(13, 30), TOKYO), "lunchtime", TOKYO)
    assert not in_part(local_instant(date(2026, 12, 3), time(14), TOKYO), "lunchtime", TOKYO)


def test_card_labels_show_both_zones():
    start = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    end = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert cards.range_label(start, end, NEW_YORK) == (
        "Tue 1 Dec 2026, 6:00–6:30 pm (New York time)"
    )
    assert cards.range_label(start, end, "Australia/Sydney") == (
        "Wed 2 Dec 2026, 10:00–10:30 am (Sydney time)"
    )
    noon = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    assert cards.range_label(noon, start, NEW_YORK) == (
        "Tue 1 Dec 2026, 11:30 am–6:00 pm (New York time)"
    )
    assert cards.slot_label(start, NEW_YORK) == "Tue 1 Dec 6:00 pm"
    assert cards.slot_label(start, NEW_YORK, "en-GB") == "Tue 1 Dec 18:00"
    assert cards.range_label(start, end, NEW_YORK, "de") == (
        "Di., 1. Dez. 2026, 18:00–18:30 (Zeit in New York)"  # the visitor's language
    )
