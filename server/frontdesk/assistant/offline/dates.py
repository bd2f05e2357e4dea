"""Understanding when a visitor wants to meet: "next Tuesday afternoon", "Dec 3", "Friday at 2pm".

Everything is read in the VISITOR's time zone. Date expressions are picked out with a few
regular expressions and handed to dateparser (future-preferring, relative to "now" in the
visitor's zone); times of day and day parts are parsed here, because dateparser's guesses for
"afternoon" or a bare "at 2" are not what a booking dialogue needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser

# Local-time windows for day parts, (from, until); a slot belongs to the part its start falls
# in. As in Calendly's and Google Calendar's filters, morning is before noon, afternoon after
# it and until 17:00, evening from 17:00 to midnight. Noon itself is noon ("12:00 pm" offered
# for "the afternoon" reads as a mistake): it belongs to lunchtime, not to the afternoon.
PARTS: dict[str, tuple[time, time | None]] = {
    "morning": (time(5), time(12)),
    "lunchtime": (time(11, 30), time(14)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), None),  # None: until midnight
}
STARTS_AFTER = frozenset({"afternoon"})  # parts whose first instant is not their own
# How a reply names the free times of a part ("Here are the free afternoon times on ...").
PART_TIMES = {
    "morning": "morning times",
    "lunchtime": "times around lunchtime",
    "afternoon": "afternoon times",
    "evening": "evening times",
}
PART_WORDS = {
    "morning": "morning",
    "afternoon": "afternoon",
    "lunchtime": "lunchtime",
    "evening": "evening",
    "tonight": "evening",
    "night": "evening",
}
MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DAY_NUM = r"\d{1,2}(?:st|nd|rd|th)?"
DATE_PATTERNS = [
    re.compile(rf"\b{DAY_NUM}\s+(?:of\s+)?{MONTH}(?:,?\s+\d{{4}})?", re.I),
    re.compile(rf"\b{MONTH}\s+{DAY_NUM}\b(?:,?\s+\d{{4}})?", re.I),
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"),
    re.compile(r"\bin\s+(?:\d{1,2}|a|one|two|three|four|five)\s+(?:days?|weeks?)\b", re.I),
    re.compile(r"\b(?:day after tomorrow|today|tomorrow)\b", re.I),
    re.compile(
        r"\b(?:(?:next|this|coming)\s+)?"
        r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
        re.I,
    ),
]
NEXT_WEEK = re.compile(r"\bnext week\b", re.I)
THIS_PART = re.compile(r"\b(?:this\s+(?:morning|afternoon|evening)|tonight)\b", re.I)
TIME_12H = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?m\b\.?", re.I)
TIME_24H = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
TIME_AT = re.compile(r"\bat\s+(\d{1,2})\b(?!\s*(?:st|nd|rd|th|/|\.\d|:))", re.I)
NOON = re.compile(r"\b(?:noon|midday)\b", re.I)
SLOT_PHRASE = re.compile(r"\b(\d{1,2} [A-Z][a-z]{2} \d{4}) at (\d{2}:\d{2})\b")


@dataclass(frozen=True)
class When:
    """What a message said about timing; any part may be missing."""

    day: date | None = None
    part: str | None = None  # a key of PARTS
    at: time | None = None

    @property
    def empty(self) -> bool:
        """True when the message said nothing about timing."""
        return self.day is None and self.part is None and self.at is None


def local_now(now: datetime, tz: str) -> datetime:
    """`now` (aware) as wall-clock time in the zone `tz`."""
    return now.astimezone(ZoneInfo(tz))


def parse_when(text: str, now: datetime, tz: str) -> When:
    """The day, day part and clock time a message mentions, in the visitor's zone."""
    return When(day=parse_day(text, now, tz), part=parse_part(text), at=parse_time(text))


def parse_day(text: str, now: datetime, tz: str) -> date | None:
    """The calendar day a message mentions ("next Tuesday", "Dec 3", "tomorrow"), if any."""
    today = local_now(now, tz).date()
    if NEXT_WEEK.search(text):
        return today + timedelta(days=7 - today.weekday())
    for pattern in DATE_PATTERNS:
        match = pattern.search(text)
        if match:
            parsed = _dateparse(match.group(0), now, tz)
            if parsed is not None:
                return parsed
    if THIS_PART.search(text):
        return today
    return None


def _dateparse(expression: str, now: datetime, tz: str) -> date | None:
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": local_now(now, tz).replace(tzinfo=None),
        "TIMEZONE": tz,
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    parsed = dateparser.parse(expression, languages=["en"], settings=settings)
    return parsed.date() if parsed else None


def parse_part(text: str) -> str | None:
    """'morning', 'lunchtime', 'afternoon' or 'evening' when the message names a part of the
    day."""
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in PART_WORDS:
            return PART_WORDS[word]
    return None


def parse_time(text: str) -> time | None:
    """A clock time: "2pm", "2:30 pm", "14:00", "noon", or a bare "at 2" (read as business hours)."""
    if match := TIME_12H.search(text):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        hour = hour % 12 + (12 if match.group(3).lower() == "p" else 0)
        return time(hour, minute)
    if match := TIME_24H.search(text):
        return time(int(match.group(1)), int(match.group(2)))
    if NOON.search(text):
        return time(12)
    if match := TIME_AT.search(text):
        hour = int(match.group(1))
        if 1 <= hour <= 7:  # nobody means 3 am when they say "at 3"
            return time(hour + 12)
        if 8 <= hour <= 12:
            return time(hour)
    return None


def parse_slot_phrase(text: str, tz: str) -> datetime | None:
    """The start a slot chip sends back ("... Tue 1 Dec 2026 at 10:00"), as an aware UTC time."""
    match = SLOT_PHRASE.search(text)
    if not match:
        return None
    try:
        naive = datetime.strptime(f"{match.group(1)} {match.group(2)}", "%d %b %Y %H:%M")
    except ValueError:
        return None
    return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def local_instant(day: date, at: time, tz: str) -> datetime:
    """A wall-clock day and time in zone `tz` as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def in_part(start: datetime, part: str | None, tz: str) -> bool:
    """True when `start` falls in the named part of the day in zone `tz` (or no part given)."""
    if part is None:
        return True
    begin, end = PARTS[part]
    local = start.astimezone(ZoneInfo(tz)).time()
    started = local > begin if part in STARTS_AFTER else local >= begin
    return started and (end is None or local < end)


def day_label(day: date) -> str:
    """'Tue 1 Dec' for a calendar day."""
    return f"{day:%a} {day.day} {day:%b}"
