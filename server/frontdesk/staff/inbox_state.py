"""What staff have read, and messages as the dashboard shows them (rendered, in local time)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, update

from frontdesk.chat.render import render_markdown
from frontdesk.db.models import Conversation
from frontdesk.extensions import get_db

RENDERED_ROLES = ("assistant", "staff", "system")


def mark_seen(site_id: int, public_id: str, seq: int) -> bool:
    """Staff have read the conversation up to `seq` (never backwards, never past its end);
    True when that changed anything."""
    with get_db().write_transaction() as session:
        result = session.execute(
            update(Conversation)
            .where(
                Conversation.site_id == site_id,
                Conversation.public_id == public_id[:64],
                Conversation.staff_seen_seq < seq,
            )
            .values(
                staff_seen_seq=func_least(seq),
                # Reading is not activity: the list's order must not move.
                updated_at=Conversation.updated_at,
            )
        )
        return result.rowcount > 0


def func_least(seq: int):
    """min(seq, last_seq) in SQL both databases speak (CASE; SQLite has no LEAST)."""
    return case((Conversation.last_seq < seq, Conversation.last_seq), else_=seq)


def message_html(role: str, text: str) -> str:
    """A message's HTML for the dashboard: Markdown for the assistant, staff and notices
    (sanitized by render_markdown), the visitor's words as plain text."""
    if role in RENDERED_ROLES:
        return render_markdown(text)
    return "<p>" + escape(text).replace("\n", "<br>") + "</p>"


def local_time(moment: datetime | str | None, tz: ZoneInfo) -> str:
    """HH:MM in the site's zone ("" when unknown)."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return ""
    return moment.astimezone(tz).strftime("%H:%M") if moment else ""


def for_dashboard(frame: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """A conversation frame for the dashboard: HTML rendered again here and the local time."""
    if frame.get("type") != "message":
        return frame
    shown = dict(frame)
    shown["html"] = message_html(str(frame.get("role", "")), str(frame.get("text", "")))
    shown["time"] = local_time(frame.get("ts"), tz)
    return shown
