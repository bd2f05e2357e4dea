"""Spans of days and times in words as people say them ("Mon 21 – Tue 22 Dec"), and runs of
single-day closures folded into one span."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


def _day(day: date, weekday: bool, month: bool, year: bool) -> str:
    text = f"{day:%a} {day.day}" if weekday else str(day.day)
    if month:
        text += f" {day:%b}"
    return f"{text} {day.year}" if year else text


def day_span(first: date, last: date, *, weekday: bool = True, today: date | None = None) -> str:
    """First..last inclusive; the month and year are said once, and the year only when the span
    does not start this year ("Mon 21 – Tue 22 Dec", "24 Dec – 1 Jan", "Fri 24 Dec 2027")."""
    today = today or date.today()
    years = first.year != today.year
    if first == last:
        return _day(first, weekday, True, years)
    same_month = (first.year, first.month) == (last.year, last.month)
    same_year = first.year == last.year
    start = _day(first, weekday, not same_month, years and not same_year)
    return f"{start} – {_day(last, weekday, True, years)}"


def moment_span(start: datetime, end: datetime, zone: ZoneInfo, today: date | None = None) -> str:
    """A stored [start, end) on a wall clock: whole days as days (the exclusive end's day before
    is the last), otherwise with the times, the day said once when it is one day."""
    start, end = start.astimezone(zone), end.astimezone(zone)
    today = today or datetime.now(zone).date()
    if start.time() == time(0) and end.time() == time(0) and end > start:
        return day_span(start.date(), end.date() - timedelta(days=1), today=today)
    first = day_span(start.date(), start.date(), today=today)
    if start.date() == end.date():
        return f"{first}, {start:%H:%M} – {end:%H:%M}"
    return f"{first}, {start:%H:%M} – {day_span(end.date(), end.date(), today=today)}, {end:%H:%M}"


def closure_runs(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Date overrides in day order with consecutive closed days of the same note folded into
    one entry; every entry gains "last" (its last day, the same as "day" for a single one)."""
    runs: list[dict[str, Any]] = []
    for entry in entries:
        prev = runs[-1] if runs else None
        if (
            prev is not None
            and entry.get("closed")
            and prev.get("closed")
            and entry["note"] == prev["note"]
            and entry["day"] == prev["last"] + timedelta(days=1)
        ):
            prev["last"] = entry["day"]
            continue
        runs.append({**entry, "last": entry["day"]})
    return runs
