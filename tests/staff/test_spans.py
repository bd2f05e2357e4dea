"""Spans of days and times in words: whole days end the day before the exclusive end, the month
and year are said once, times only when not whole days; runs of closures fold into one."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from frontdesk.staff.spans import closure_runs, day_span, moment_span

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 12, 7)


def local(*args):
    return datetime(*args, tzinfo=LONDON)


def test_whole_days_read_as_days():
    span = moment_span(local(2026, 12, 21), local(2026, 12, 23), LONDON, TODAY)
    assert span == "Mon 21 – Tue 22 Dec"
    assert moment_span(local(2026, 12, 21), local(2026, 12, 22), LONDON, TODAY) == "Mon 21 Dec"
    across = moment_span(local(2026, 12, 30), local(2027, 1, 3), LONDON, TODAY)
    assert across == "Wed 30 Dec – Sat 2 Jan"


def test_stored_utc_is_read_on_the_owners_clock():
    sydney = ZoneInfo("Australia/Sydney")
    start = datetime(2026, 12, 21, tzinfo=sydney).astimezone(ZoneInfo("UTC"))
    end = datetime(2026, 12, 23, tzinfo=sydney).astimezone(ZoneInfo("UTC"))
    assert moment_span(start, end, sydney, TODAY) == "Mon 21 – Tue 22 Dec"


def test_part_days_show_their_times():
    same_day = moment_span(local(2026, 12, 21, 9), local(2026, 12, 21, 13), LONDON, TODAY)
    assert same_day == "Mon 21 Dec, 09:00 – 13:00"
    two = moment_span(local(2026, 12, 21, 9), local(2026, 12, 22), LONDON, TODAY)
    assert two == "Mon 21 Dec, 09:00 – Tue 22 Dec, 00:00"


def test_the_year_is_said_only_for_a_span_not_starting_this_year():
    assert (
        day_span(date(2027, 12, 24), date(2027, 12, 26), today=TODAY) == "Fri 24 – Sun 26 Dec 2027"
    )
    later = day_span(date(2027, 12, 24), date(2028, 1, 1), weekday=False, today=TODAY)
    assert later == "24 Dec 2027 – 1 Jan 2028"
    assert day_span(date(2026, 12, 21), date(2027, 1, 7), weekday=False, today=TODAY) == (
        "21 Dec – 7 Jan"
    )


def test_consecutive_closures_with_one_note_fold_into_a_run():
    def closed(d, note="Closed for the holidays"):
        return {"day": d, "ranges": [], "note": note, "closed": True}

    entries = [closed(date(2026, 12, d)) for d in range(24, 32)] + [closed(date(2027, 1, 1))]
    entries += [closed(date(2027, 1, 2), "Stocktake")]
    entries += [{"day": date(2027, 1, 3), "ranges": [(time(10), time(12))], "note": "Stocktake"}]
    entries += [closed(date(2027, 1, 5)), closed(date(2027, 1, 6))]
    runs = closure_runs(entries)
    assert [(r["day"], r["last"], r["note"]) for r in runs] == [
        (date(2026, 12, 24), date(2027, 1, 1), "Closed for the holidays"),
        (date(2027, 1, 2), date(2027, 1, 2), "Stocktake"),
        (date(2027, 1, 3), date(2027, 1, 3), "Stocktake"),
        (date(2027, 1, 5), date(2027, 1, 6), "Closed for the holidays"),
    ]
