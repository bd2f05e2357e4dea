"""iCalendar data to busy intervals: recurrences expanded, all-day and floating times placed in
the host's zone, Google's X-WR-TIMEZONE and Outlook's Windows zone names understood, and free
(TRANSP:TRANSPARENT) or cancelled events left out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

import recurring_ical_events
import x_wr_timezone
from icalendar import Calendar

from frontdesk.booking.zones import zone_named
from frontdesk.calendars.base import BusyInterval, CalendarRefused

# Feeds that are not iCalendar often start like this (an HTML login page, a JSON error).
NOT_ICAL_MESSAGE = "The address did not return a calendar (iCalendar data was expected)."


def parse_calendar(data: bytes | str) -> Calendar:
    """Parse iCalendar data; CalendarRefused with a clear message when it is anything else."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        raise CalendarRefused(NOT_ICAL_MESSAGE)
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as exc:
        raise CalendarRefused(f"The calendar could not be read: {exc}"[:300]) from None
    # X-WR-TIMEZONE (Google): times written in UTC are meant in that zone, as are floating ones.
    return x_wr_timezone.to_standard(calendar)


def busy_intervals(
    calendars: Iterable[Calendar], start: datetime, end: datetime, *, zone: str
) -> list[BusyInterval]:
    """Merged, sorted busy intervals of every opaque, not-cancelled event overlapping [start, end)."""
    tz = zone_named(zone)
    spans: list[BusyInterval] = []
    for calendar in calendars:
        query = recurring_ical_events.of(calendar, skip_bad_series=True)
        for event in query.between(start.astimezone(tz), end.astimezone(tz)):
            if _is_free(event):
                continue
            interval = _interval(event, tz)
            if interval and interval.start < end and interval.end > start:
                spans.append(interval)
    return merge(spans)


def merge(spans: Iterable[BusyInterval]) -> list[BusyInterval]:
    """Sorted intervals with overlapping or touching ones joined."""
    merged: list[BusyInterval] = []
    for span in sorted(spans):
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = BusyInterval(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged


def _is_free(event) -> bool:
    """Transparent ("show as free") and cancelled events do not block time."""
    transp = str(event.get("TRANSP", "OPAQUE")).upper()
    status = str(event.get("STATUS", "")).upper()
    return transp == "TRANSPARENT" or status == "CANCELLED"


def _interval(event, tz) -> BusyInterval | None:
    """The event's span in UTC; None when it has no start."""
    if event.get("DTSTART") is None:
        return None
    start = event.decoded("DTSTART")
    if event.get("DTEND") is not None:
        end = event.decoded("DTEND")
    elif event.get("DURATION") is not None:
        end = start + event.decoded("DURATION")
    else:  # RFC 5545: a date lasts the day, a date-time is an instant
        end = start + (timedelta(days=1) if not isinstance(start, datetime) else timedelta())
    start, end = _aware(start, tz), _aware(end, tz)
    if end <= start:
        return None
    return BusyInterval(start.astimezone(UTC), end.astimezone(UTC))


def _aware(value: date | datetime, tz) -> datetime:
    """A date is its day's midnight in the host's zone; a floating time is in the host's zone."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value
