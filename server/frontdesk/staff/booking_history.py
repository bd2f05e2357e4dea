"""A booking's audit trail in words, in the site's zone: "Rescheduled from Wed 9 Dec, 23:00"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.db.models import AuditEvent, StaffUser

WHO = {"visitor": "The visitor", "assistant": "The assistant", "system": "Frontdesk"}


@dataclass(frozen=True)
class HistoryLine:
    """One event: when (in the site's zone), what happened, and who did it."""

    when: str
    what: str
    who: str


def moment(value: str | datetime | None, tz: ZoneInfo, *, now: datetime | None = None) -> str:
    """An instant as people read it, "Wed 9 Dec, 23:00" (the year added when it isn't this one)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return ""
    if value is None or value.tzinfo is None:
        return ""
    local = value.astimezone(tz)
    this_year = (now or datetime.now(tz)).astimezone(tz).year
    return local.strftime("%a %-d %b, %H:%M" if local.year == this_year else "%a %-d %b %Y, %H:%M")


def history(
    session: Session, events: list[AuditEvent], tz: ZoneInfo, now: datetime
) -> list[HistoryLine]:
    """The events in words, staff named by their name or e-mail (one query for all of them)."""
    staff_ids = {
        int(e.actor_id) for e in events if e.actor_type == "staff" and e.actor_id.isdigit()
    }
    names = {}
    if staff_ids:
        rows = session.execute(
            select(StaffUser.id, StaffUser.name, StaffUser.email).where(StaffUser.id.in_(staff_ids))
        )
        names = {str(i): name or email for i, name, email in rows}
    return [
        HistoryLine(
            when=moment(e.created_at, tz, now=now),
            what=describe(e.action, e.data or {}, tz, now),
            who=names.get(e.actor_id, "A staff member")
            if e.actor_type == "staff"
            else WHO.get(e.actor_type, e.actor_type),
        )
        for e in events
    ]


def describe(action: str, data: dict, tz: ZoneInfo, now: datetime) -> str:
    """One audit action in words."""
    if action == "booking.created":
        start = moment(data.get("start"), tz, now=now)
        return f"Booked for {start}" if start else "Booked"
    if action == "booking.rescheduled":
        before = data.get("from") if isinstance(data.get("from"), dict) else {}
        after = data.get("to") if isinstance(data.get("to"), dict) else {}
        was, to = moment(before.get("start"), tz, now=now), moment(after.get("start"), tz, now=now)
        if was and to:
            return f"Rescheduled from {was} to {to}"
        return f"Rescheduled from {was}" if was else "Rescheduled"
    if action == "booking.cancelled":
        return "Cancelled, with a reason" if data.get("reason_given") else "Cancelled"
    if action == "booking.completed":
        return "Marked as completed"
    if action == "booking.no_show":
        return "Marked as a no-show"
    if action == "booking.noted":
        return "Changed the notes" if data.get("length") else "Cleared the notes"
    return action.replace(".", " ").replace("_", " ").capitalize()
