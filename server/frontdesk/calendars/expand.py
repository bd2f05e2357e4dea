"""iCalendar data to busy intervals: recurrences expanded, all-day and floating times placed in
the host's zone, Google's X-WR-TIMEZONE and Outlook's Windows zone names understood, and free
(TRANSP:TRANSPARENT) or cancelled events left out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

import recurring_ical_events
import x_wr_timezone
from icalendar import Calendar

from frontdesk.booking.zones import zone_named
from frontdesk.calendars.base import BusyInterval, CalendarRefused
from frontdesk.calendars.plain_events import split_plain

NOT_ICAL_MESSAGE = "The address did not return a calendar (iCalendar data was expected)."


_FOLD = re.compile(r"\r?\n[ \t]")
_VEVENT = re.compile(r"^BEGIN:VEVENT\r?$.*?^END:VEVENT\r?\n?", re.M | re.S | re.I)
_UNUSUAL = re.compile(r"^(?:RDATE|EXRULE|RECURRENCE-ID|DURATION)[;:]", re.M | re.I)
_RRULE = re.compile(r"^RRULE[^:\n]*:(.*)$", re.M | re.I)
# The longest a step of each frequency can be, in days (a bound, not a calendar).
_STEP_DAYS = {"YEARLY": 366, "MONTHLY": 31, "WEEKLY": 7, "DAILY": 1}
_DTSTART = re.compile(r"^DTSTART[^:\n]*:(\d{8})", re.M | re.I)
_DTEND = re.compile(r"^DTEND[^:\n]*:(\d{8})", re.M | re.I)
SLACK = timedelta(days=2)  # time zones move a date by at most a day either way


def feed_busy(
    data: bytes | str, start: datetime, end: datetime, *, zone: str
) -> list[BusyInterval]:
    """Merged, sorted busy intervals of a feed's events overlapping [start, end): the plain
    one-off events read straight from the text (calendars/plain_events.py), the rest parsed
    and expanded; CalendarRefused when the data is not iCalendar."""
    near = _only_near(_feed_text(data), start, end)  # years of past meetings go first
    plain, rest = split_plain(near, start, end, zone_named(zone))
    calendar = parse_calendar(rest)
    return merge([*plain, *busy_intervals([calendar], start, end, zone=zone)])


def parse_calendar(data: bytes | str, window: tuple[datetime, datetime] | None = None) -> Calendar:
    """Parse iCalendar data; CalendarRefused with a clear message when it is anything else.
    With a window, one-off events that end before or start after it are dropped unparsed: a
    feed holds years of past meetings, and parsing is most of the cost of reading it."""
    text = _feed_text(data)
    if window is not None:
        text = _only_near(text, *window)
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as exc:
        raise CalendarRefused(f"The calendar could not be read: {exc}"[:300]) from None
    # X-WR-TIMEZONE (Google): times written in UTC are meant in that zone, as are floating ones.
    return x_wr_timezone.to_standard(calendar)


def _feed_text(data: bytes | str) -> str:
    """The feed as text; CalendarRefused when it does not start as iCalendar."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        raise CalendarRefused(NOT_ICAL_MESSAGE)
    return text


def _only_near(text: str, start: datetime, end: datetime) -> str:
    """The text without the VEVENTs that certainly lie outside [start, end): those without
    recurrence or duration whose DTEND (or DTSTART) date is well before the window, or whose
    DTSTART date is well after it. Anything unusual is kept for the real parser."""
    first = (start - SLACK).strftime("%Y%m%d")
    last = (end + SLACK).strftime("%Y%m%d")

    def keep_or_drop(match: re.Match) -> str:
        block = match.group(0)
        begins = _DTSTART.search(block)
        if begins is None or _UNUSUAL.search(block):
            return block
        if begins.group(1) > last:
            return ""
        ends = _DTEND.search(block)
        finish = ends.group(1) if ends else begins.group(1)
        if rule := _RRULE.search(block):
            finish = _series_end(rule.group(1), begins.group(1), finish)
            if finish is None:
                return block
        return "" if finish < first else block

    return _VEVENT.sub(keep_or_drop, _FOLD.sub("", text))


def _series_end(rule: str, start: str, first_end: str) -> str | None:
    """A date (YYYYMMDD) no occurrence of the series ends after; None when it has no end or
    the rule is not one this bound understands."""
    parts = dict(part.split("=", 1) for part in rule.strip().upper().split(";") if "=" in part)
    if "UNTIL" in parts:
        until = parts["UNTIL"][:8]
        return max(until, first_end) if until.isdigit() else None
    step = _STEP_DAYS.get(parts.get("FREQ", ""))
    count, interval = parts.get("COUNT", ""), parts.get("INTERVAL", "1")
    if step is None or not count.isdigit() or not interval.isdigit():
        return None
    try:
        first = datetime.strptime(start, "%Y%m%d")
        length = datetime.strptime(first_end, "%Y%m%d") - first
    except ValueError:
        return None
    reach = timedelta(days=step * int(interval) * (int(count) + 1)) + length
    return (first + reach).strftime("%Y%m%d")


def busy_intervals(
    calendars: Iterable[Calendar], start: datetime, end: datetime, *, zone: str
) -> list[BusyInterval]:
    """Merged, sorted busy intervals of every opaque, not-cancelled event overlapping [start, end)."""
    tz = zone_named(zone)
    spans: list[BusyInterval] = []
    for calendar in calendars:
        query = recurring_ical_events.of(
            calendar, skip_bad_series=True, calendar_query=_Occurrences
        )
        for occurrence in query.between(start.astimezone(tz), end.astimezone(tz)):
            source = _source(occurrence)
            if source is None:  # the library changed: take its (slower) copied event
                event = occurrence.as_component(False)
                interval = None if _is_free(event) else _interval(event, tz)
            else:
                interval = None if _is_free(source) else _span(occurrence, tz)
            if interval and interval.start < end and interval.end > start:
                spans.append(interval)
    return merge(spans)


class _Occurrences(recurring_ical_events.CalendarQuery):
    """A query answering occurrences themselves: copying each occurrence into a new event (the
    library's default) is half the cost of expanding a large feed, and we need only its span
    and its event's TRANSP and STATUS."""

    def _occurrences_to_components(self, occurrences):
        return occurrences


def _source(occurrence):
    """The VEVENT an occurrence comes from (a moved occurrence's own override), if reachable."""
    return getattr(getattr(occurrence, "_adapter", None), "_component", None)


def _span(occurrence, tz) -> BusyInterval | None:
    """An occurrence's span in UTC (the library has applied DTEND, DURATION or RFC defaults)."""
    start, end = _aware(occurrence.start, tz), _aware(occurrence.end, tz)
    if end <= start:
        return None
    return BusyInterval(start.astimezone(UTC), end.astimezone(UTC))


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
