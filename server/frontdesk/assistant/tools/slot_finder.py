"""find_available_slots: free starts of a service, spread over the days, as chips.

Chip values read "Book <service> on Tue 1 Dec 2026 at 10:00" (the zone of the listing), a form
both engines understand when the visitor clicks one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from frontdesk.assistant.base import Choice, ToolResult
from frontdesk.assistant.tools import cards, chip_words
from frontdesk.booking.assignment import host_names
from frontdesk.booking.errors import InvalidBooking
from frontdesk.booking.zones import zone_label

MAX_SLOTS = 12
MAX_SLOTS_ONE_DAY = 24  # one day is shown whole, so "at 2pm" can be checked against it
MAX_RANGE_DAYS = 31
LOOKAHEAD_DAYS = 14


def find_slots(
    tools,
    service: str,
    start_date: date,
    end_date: date | None,
    time_zone: str | None,
    host: str | None = None,
) -> ToolResult:
    """Free starts of a service in a date range, spread over the days, with chips; `host`
    keeps one person's times (and the chips name them)."""
    svc = tools.service(service)
    tz = time_zone or tools.visitor_tz
    start_date, end_date = _slot_range(tools, start_date, end_date, tz)
    slots, who = _team_slots(tools, svc.slug, start_date, end_date, tz, host)
    content: dict[str, Any] = {"service": svc.slug, "time_zone": tz}
    limit = MAX_SLOTS_ONE_DAY if start_date == end_date else MAX_SLOTS
    if not slots:
        limit = MAX_SLOTS
        content["message"] = f"No free times from {start_date} to {end_date}."
        later_end = min(end_date + timedelta(days=LOOKAHEAD_DAYS), _horizon(tools))
        if later_end > end_date:
            later = end_date + timedelta(days=1)
            slots, who = _team_slots(tools, svc.slug, later, later_end, tz, host)
            if slots:
                content["message"] += " These are the next free times after that."
    picked = spread(slots, limit)
    lang = getattr(tools, "lang", "en")
    everyone = {name for names in who.values() for name in names}
    team_service = len(everyone) > 1 or svc.assignment != "round_robin"
    if host and everyone:
        content["host"] = next(iter(everyone))
    content["slots"] = [
        {"start": cards.iso_utc(s.start), "label": cards.slot_label(s.start, tz, lang)}
        | ({"hosts": who[s.start]} if team_service and not host else {})
        for s in picked
    ]
    content["more_available"] = len(slots) > len(picked)
    choices = slot_choices(picked, svc.name, tz, lang, content.get("host", ""))
    return ToolResult(content, choices=choices)


def slot_choices(
    picked: list, service_name: str, tz: str, lang: str, host: str = ""
) -> list[Choice]:
    """Chips grouped by day: each shows its time alone, its group the day (the date is shown
    once), and the first group names the zone once ("Tue 1 Dec · New York time"); `host`
    (" with Mia" at the end of each chip's reply) when the visitor asked for one person. For a
    visitor in another language each chip's `text` says the same in their words."""
    choices = []
    first_day = cards.slot_day(picked[0].start, tz, lang) if picked else ""
    with_whom = f" with {host}" if host else ""
    names = {"service": service_name} | ({"host": host} if host else {})
    said_name = "chipBookWith" if host else "chipBook"
    for slot in picked:
        day = cards.slot_day(slot.start, tz, lang)
        group = f"{day} · {zone_label(tz, lang)}" if day == first_day else day
        choices.append(
            Choice(
                cards.slot_clock(slot.start, tz, lang),
                "reply",
                f"Book {service_name} on {cards.slot_phrase(slot.start, tz)}{with_whom}",
                group=group,
                text=chip_words.slot_said(said_name, slot.start, tz, lang, **names),
            )
        )
    return choices


def _team_slots(tools, slug: str, first: date, last: date, tz: str, host: str | None):
    """The free slots of a service (one person's when `host`) and, by start, who is free."""
    team = tools.bookings.team_slots(
        tools.site_id, slug, first, last, tz=tz, now=tools.now(), host=host
    )
    ids = {host_id for item in team for host_id in item.host_ids}
    names: dict[int, str] = {}
    if ids:
        with tools.db.session() as session:
            names = host_names(session, ids)
    who = {item.slot.start: [names[h] for h in item.host_ids] for item in team}
    return [item.slot for item in team], who


def _slot_range(tools, start: date, end: date | None, tz: str) -> tuple[date, date]:
    today = tools.now().astimezone(ZoneInfo(tz)).date()
    end = end or start + timedelta(days=6)
    if end < start:
        raise InvalidBooking("end_date is before start_date.", field="end_date")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidBooking(f"Ask for at most {MAX_RANGE_DAYS} days.", field="end_date")
    if end < today:
        raise InvalidBooking(f"Those dates are in the past (today is {today}).", field="start_date")
    horizon = _horizon(tools)
    if start > horizon:
        raise InvalidBooking(
            f"Bookings open {tools.max_days_ahead} days ahead (until {horizon}).",
            field="start_date",
        )
    return max(start, today), min(end, horizon)


def _horizon(tools) -> date:
    # The site's horizon in its own zone, plus a day so a visitor zone ahead of it fits.
    site_today = tools.now().astimezone(ZoneInfo(tools.business_tz)).date()
    return site_today + timedelta(days=tools.max_days_ahead + 1)


def spread(slots: list, limit: int) -> list:
    """At most `limit` slots spread over the days they fall on (evenly within each day)."""
    by_day: dict[date, list] = defaultdict(list)
    for slot in slots:
        by_day[slot.start.date()].append(slot)
    days = list(by_day.values())[:limit]
    if not days:
        return []
    quota, extra = divmod(limit, len(days))
    picked = []
    for index, day in enumerate(days):
        want = min(len(day), quota + (1 if index < extra else 0))
        if want == 1:
            picked.append(day[0])
        elif want > 1:
            picked.extend(day[round(i * (len(day) - 1) / (want - 1))] for i in range(want))
    return picked
