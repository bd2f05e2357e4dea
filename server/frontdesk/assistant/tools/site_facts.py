"""What the site's own settings say, as passages: services with prices, opening hours, profile.

Pages come first; these fill the gaps when no page answers (a site without an opening-hours
page still knows its hours). They are the owner's settings, so they carry no link.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import sqlalchemy
import sqlalchemy.exc
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from frontdesk.db.models import DateOverride, OpeningHours, Service, Site
from frontdesk.knowledge.retrieve import Passage

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CLOSURE_DAYS = 60


def site_facts(session: Session, site_id: int, today: date, site: Any = None) -> list[Passage]:
    """The site's services, weekly hours, coming closures and profile as passages.

    `site` is used when it is a snapshot with its services and hours loaded (the chat's);
    otherwise they are read with `session`.
    """
    if not _loaded(site):
        site = session.scalars(
            select(Site)
            .where(Site.id == site_id)
            .options(
                selectinload(Site.services),
                selectinload(Site.opening_hours),
                selectinload(Site.date_overrides),
            )
        ).one_or_none()
        if site is None:
            return []
    services = sorted((s for s in site.services if s.active), key=lambda s: (s.position, s.id))
    facts = [_service(s) for s in services]
    horizon = today + timedelta(days=CLOSURE_DAYS)
    closures = [c for c in site.date_overrides if today <= c.day <= horizon]
    if site.opening_hours or closures:
        text = _hours(list(site.opening_hours), closures)
        facts.append(Passage("Opening hours", "", "Opening hours", text, page=False))
    if site.profile:
        facts.append(Passage(f"About {site.name}", "", site.name, site.profile, page=False))
    return facts


def _loaded(site: Any) -> bool:
    """Whether `site` is a Site whose services, hours and closures can be read without a query."""
    if site is None:
        return False
    try:
        state = sqlalchemy.inspect(site)
    except sqlalchemy.exc.NoInspectionAvailable:
        return False
    return not state.unloaded & {"services", "opening_hours", "date_overrides"}


def _service(service: Service) -> Passage:
    price = f", {service.price_text}" if service.price_text else ""
    text = f"{service.name}: {service.duration_min} minutes{price}."
    if service.description:
        text += f"\n{service.description.strip()}"
    return Passage("Services", "", service.name, text, page=False)


def _hours(hours: list[OpeningHours], closures: list[DateOverride]) -> str:
    """'Open Monday to Friday 9:00–12:30 and 13:30–17:30, and closed on Saturday and Sunday.'"""
    by_day: dict[int, list[tuple[time, time]]] = {}
    for rng in hours:
        by_day.setdefault(rng.weekday, []).append((rng.start_time, rng.end_time))
    runs: list[list[int]] = []
    for day in range(7):
        joins = runs and runs[-1][-1] == day - 1 and by_day.get(runs[-1][0]) == by_day.get(day)
        if day in by_day and joins:
            runs[-1].append(day)
        elif day in by_day:
            runs.append([day])
    parts = [f"{_span(run)} {' and '.join(_range(a, b) for a, b in sorted(by_day[run[0]]))}"
             for run in runs]  # fmt: skip
    closed = [DAYS[d] for d in range(7) if d not in by_day]
    sentence = f"Open {_and(parts)}" if parts else "No regular opening hours"
    if closed:
        sentence += f", and closed on {_and(closed)}"
    lines = [sentence + "."]
    for closure in sorted(closures, key=lambda c: c.day)[:10]:
        when = f"{DAYS[closure.day.weekday()]} {closure.day:%-d %B %Y}"
        if closure.start_time is None or closure.end_time is None:
            lines.append(f"Closed on {when}{_note(closure)}.")
        else:
            lines.append(f"Open only {_range(closure.start_time, closure.end_time)} on {when}.")
    return "\n".join(lines)


def _note(closure: DateOverride) -> str:
    return f" ({' '.join(closure.note.split())[:80]})" if closure.note else ""


def _span(run: list[int]) -> str:
    return DAYS[run[0]] if len(run) == 1 else f"{DAYS[run[0]]} to {DAYS[run[-1]]}"


def _range(start: time, end: time) -> str:
    return f"{start.hour}:{start.minute:02d}–{end.hour}:{end.minute:02d}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
