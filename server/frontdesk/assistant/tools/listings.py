"""The tools that list things for the visitor: the site's services and their own bookings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from frontdesk.assistant.base import Choice, ToolResult
from frontdesk.assistant.tools import cards
from frontdesk.booking.hosts import offered_by
from frontdesk.db.models.booking import CONFIRMED


def list_services(tools) -> ToolResult:
    """The site's active consultation types, with chips to pick one."""
    services = tools.bookings.services(tools.site_id)
    with tools.db.session() as session:
        teams = {k: [h.name for h in v] for k, v in offered_by(session, tools.site_id).items()}
    items = [
        {
            "name": s.name,
            "slug": s.slug,
            "duration_min": s.duration_min,
            "price": s.price_text,
            "description": _clip(s.description, 300),
            **team_facts(s, teams.get(s.id, [])),
        }
        for s in services
    ]
    choices = [Choice(f"{s.name} · {s.duration_min} min", "reply", s.name) for s in services]
    return ToolResult({"services": items}, choices=choices)


def list_my_bookings(tools) -> ToolResult:
    """This visitor's bookings on this site only, upcoming first."""
    now = tools.now()
    mine = [
        b
        for b in tools.bookings.for_visitor(tools.site_id, tools.visitor_id)
        if b.visitor_id == tools.visitor_id and b.site_id == tools.site_id
    ]
    upcoming = sorted((b for b in mine if _is_upcoming(b, now)), key=lambda b: b.start)
    others = sorted((b for b in mine if not _is_upcoming(b, now)), key=lambda b: b.start)
    items = [describe(tools, b, now) for b in upcoming + others[::-1]][:10]
    return ToolResult({"bookings": items, "upcoming": len(upcoming)})


def describe(tools, booking, now: datetime) -> dict[str, Any]:
    """A booking as the model (and the offline engine) sees it."""
    status = booking.status  # confirmed / cancelled, or "past" once it has begun
    if status == CONFIRMED and booking.start <= now:
        status = "past"
    return {
        "booking_id": booking.public_id,
        "service": booking.service.name,
        "start": cards.iso_utc(booking.start),
        "when": cards.range_label(booking.start, booking.end, tools.visitor_tz, tools.lang),
        "status": status,
    }


def team_facts(service, hosts: list[str]) -> dict[str, Any]:
    """Who offers a service and how they share it; nothing for a one-person service (its
    single host is the business itself, as before hosts existed)."""
    if len(hosts) <= 1 and service.assignment == "round_robin":
        return {}
    return {"hosts": hosts, "assignment": service.assignment}


def _is_upcoming(booking, now: datetime) -> bool:
    return booking.status == CONFIRMED and booking.start > now


def _clip(text: str, limit: int) -> str:
    # Line breaks are kept (they separate headings from paragraphs); other runs of space go.
    lines = (" ".join(line.split()) for line in (text or "").splitlines())
    text = "\n".join(line for line in lines if line)
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
