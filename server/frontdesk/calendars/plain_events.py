"""A fast path for the plainest events of a feed: one-off VEVENTs whose times are UTC stamps or
dates are turned into busy intervals straight from their text, without the iCalendar parser.

Google writes every one-off event so (DTSTART:20270301T090000Z), and a large feed is mostly
one-off events: parsing them into components was most of the cost of reading it. Anything less
plain stays in the text for the real parser and the recurrence expansion: recurrences
(RRULE, RDATE, EXDATE, EXRULE), overrides (RECURRENCE-ID) and every event sharing their UID
or another event's, durations, time zones (TZID), floating times, nested components other than
alarms, repeated properties and values that do not read. The result is exactly what
expand.busy_intervals gives for the same events (tests/calendars/test_ics_feeds.py checks it).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from frontdesk.calendars.base import BusyInterval

_VEVENT = re.compile(r"^BEGIN:VEVENT\r?$.*?^END:VEVENT\r?\n?", re.M | re.S | re.I)
_ALARM = re.compile(r"^BEGIN:VALARM\r?$.*?^END:VALARM\r?$", re.M | re.S | re.I)
_UID = re.compile(r"^UID(?:;[^:\n]*)?:(.*?)\r?$", re.M | re.I)
_PROPERTY = re.compile(r"^([A-Za-z0-9-]+)([;:])(.*?)\r?$", re.M)
_STAMP = re.compile(r"\d{8}T\d{6}Z")
_DATE = re.compile(r"\d{8}")
# Properties that need the parser: recurrences, overrides, durations, nested components.
_NOT_PLAIN = frozenset({"RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID", "DURATION", "BEGIN"})
_READ = frozenset({"UID", "DTSTART", "DTEND", "TRANSP", "STATUS"})


def split_plain(
    text: str, start: datetime, end: datetime, zone: tzinfo
) -> tuple[list[BusyInterval], str]:
    """(The busy intervals of the plain one-off events overlapping [start, end), the text
    without those events); `text` is unfolded iCalendar, dates are midnight in `zone`."""
    read = {}
    uids: Counter[str] = Counter()  # of every event, plain or not: overrides share a UID
    for match in _VEVENT.finditer(text):
        block = match.group(0)
        read[match.start()] = _properties(block)
        uid = _UID.search(block)
        uids[uid.group(1).strip() if uid else ""] += 1
    spans: list[BusyInterval] = []

    def take(match: re.Match) -> str:
        props = read[match.start()]
        if props is None or uids[props.get("UID", ("", ""))[1]] > 1:
            return match.group(0)
        found = _span(props, zone)
        if found is None:
            return match.group(0)
        span, busy = found
        if busy and span is not None and span.start < end and span.end > start:
            spans.append(span)
        return ""

    return spans, _VEVENT.sub(take, text)


def _properties(block: str) -> dict[str, tuple[str, str]] | None:
    """The event's properties we read, as {NAME: (parameters, value)}; None when the event is
    not plain (see the module's docstring)."""
    inner = _ALARM.sub("", block.split("\n", 1)[1] if "\n" in block else "")
    props: dict[str, tuple[str, str]] = {}
    for name, sep, rest in _PROPERTY.findall(inner):
        name = name.upper()
        if name == "END":
            continue
        if name in _NOT_PLAIN:
            return None
        if name in _READ:
            if name in props:  # a repeated property: the parser decides what it means
                return None
            params, _, value = rest.partition(":") if sep == ";" else ("", "", rest)
            props[name] = (params.upper(), value.strip())
    return props


def _span(props, zone) -> tuple[BusyInterval | None, bool] | None:
    """(The event's span in UTC or None when it has none, whether it blocks time); None when
    its times are not plain."""
    if "DTSTART" not in props:
        return None
    begins = _moment(*props["DTSTART"], zone)
    if begins is None:
        return None
    if "DTEND" in props:
        finishes = _moment(*props["DTEND"], zone)
        # An end before the start is the parser's to interpret (recurring_ical_events swaps it).
        if finishes is None or finishes[1] != begins[1] or finishes[0] < begins[0]:
            return None
        finish = finishes[0]
    else:  # RFC 5545: a date lasts the day, a date-time is an instant
        finish = begins[0] + (timedelta(days=1) if begins[1] else timedelta())
    transp = props.get("TRANSP", ("", "OPAQUE"))[1].upper()
    status = props.get("STATUS", ("", ""))[1].upper()
    busy = transp != "TRANSPARENT" and status != "CANCELLED"
    first = begins[0].astimezone(UTC)
    last = finish.astimezone(UTC)
    return (BusyInterval(first, last) if last > first else None), busy


def _moment(params: str, value: str, zone) -> tuple[datetime, bool] | None:
    """(The instant, whether it was a date) of a UTC stamp or a date; None for anything else."""
    try:
        if not params and _STAMP.fullmatch(value):
            numbers = (value[:4], value[4:6], value[6:8], value[9:11], value[11:13], value[13:15])
            return datetime(*map(int, numbers), tzinfo=UTC), False
        if params == "VALUE=DATE" and _DATE.fullmatch(value):
            day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
            return datetime.combine(day, time.min, zone), True
    except ValueError:  # a date that does not exist: the parser's error message says so
        return None
    return None
