"""Conversation queries for the dashboard: the list and its search, the queue, transcripts."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, or_, select

from frontdesk.chat.render import render_markdown
from frontdesk.db.models import Booking, Conversation, Message
from frontdesk.extensions import get_db

STATUS_LABELS = {
    "bot": "Assistant",
    "needs_human": "Needs a human",
    "staff": "Staff",
    "closed": "Closed",
}
PAGE_SIZE = 50
QUEUE_LIMIT = 50
PREVIEW_CHARS = 140


def _matching_ids(session, site_id: int, query: str):
    """Ids of the site's conversations whose visitor wrote `query` or booked with that e-mail."""
    needle = query.lower()
    by_text = select(Message.conversation_id).where(
        Message.role == "visitor", func.lower(Message.text).contains(needle, autoescape=True)
    )
    email_match = func.lower(Booking.email).contains(needle, autoescape=True)
    by_booking = select(Booking.conversation_id).where(
        Booking.site_id == site_id, Booking.conversation_id.is_not(None), email_match
    )
    by_visitor = select(Conversation.id).where(
        Conversation.site_id == site_id,
        Conversation.visitor_id.in_(
            select(Booking.visitor_id).where(Booking.site_id == site_id, email_match)
        ),
    )
    return by_text.union(by_booking, by_visitor)


def summarize(conversation: Conversation, preview: str | None) -> dict[str, Any]:
    """What the list and the live queue show of one conversation."""
    return {
        "id": conversation.public_id,
        "status": conversation.status,
        "status_label": STATUS_LABELS.get(conversation.status, conversation.status),
        "flagged": bool(conversation.flagged),
        "preview": (preview or "")[:PREVIEW_CHARS],
        "page": conversation.page_url,
        "updated": conversation.updated_at.isoformat(timespec="seconds"),
        "updated_label": conversation.updated_at.strftime("%d %b %Y, %H:%M UTC"),
        "turns": conversation.turns,
    }


def _previews(session, conversation_ids: list[int]) -> dict[int, str]:
    """The last visitor message of each conversation."""
    if not conversation_ids:
        return {}
    last = (
        select(Message.conversation_id, func.max(Message.seq).label("seq"))
        .where(Message.conversation_id.in_(conversation_ids), Message.role == "visitor")
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = session.execute(
        select(Message.conversation_id, Message.text).join(
            last, (Message.conversation_id == last.c.conversation_id) & (Message.seq == last.c.seq)
        )
    ).all()
    return dict(rows)


def list_conversations(
    site_id: int, *, query: str = "", status: str = "", page: int = 1, queue: bool = False
) -> tuple[list[dict[str, Any]], bool]:
    """The site's conversations, newest activity first; (rows, more pages exist)."""
    limit = QUEUE_LIMIT if queue else PAGE_SIZE
    statement = select(Conversation).where(Conversation.site_id == site_id)
    if queue:
        statement = statement.where(
            or_(Conversation.status == "needs_human", Conversation.flagged.is_(True)),
            Conversation.status != "closed",
        )
    if status:
        statement = statement.where(Conversation.status == status)
    with get_db().session() as session:
        if query:
            statement = statement.where(Conversation.id.in_(_matching_ids(session, site_id, query)))
        statement = statement.order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        rows = session.scalars(statement.limit(limit + 1).offset((page - 1) * limit)).all()
        previews = _previews(session, [row.id for row in rows[:limit]])
        return [summarize(row, previews.get(row.id)) for row in rows[:limit]], len(rows) > limit


def queue_item(site_id: int, public_id: str) -> dict[str, Any] | None:
    """One conversation's summary for the live queue (None if it is not the site's)."""
    conversation = conversation_of_site(site_id, public_id)
    if conversation is None:
        return None
    with get_db().session() as session:
        preview = _previews(session, [conversation.id]).get(conversation.id)
    return summarize(conversation, preview)


def conversation_of_site(site_id: int, public_id: str) -> Conversation | None:
    """The conversation if it belongs to the site, else None (detached)."""
    with get_db().session() as session:
        return session.scalars(
            select(Conversation).where(
                Conversation.public_id == public_id[:64], Conversation.site_id == site_id
            )
        ).one_or_none()


def _entry(message: Message) -> dict[str, Any]:
    """A transcript row for the template: visible text re-rendered, tool payloads pretty-printed."""
    payload = dict(message.payload or {})
    row = {"seq": message.seq, "role": message.role, "text": message.text, "at": message.created_at,
           "flagged": message.flagged, "payload": payload, "html": ""}  # fmt: skip
    if message.role in ("assistant", "staff", "system"):
        row["html"] = render_markdown(message.text)  # sanitized again: never trust stored HTML
    if message.role == "tool_call":
        row["pretty"] = json.dumps(payload.get("arguments"), indent=2, ensure_ascii=False)
    if message.role == "tool_result":
        content = {"content": payload.get("content"), "card": payload.get("card")}
        row["pretty"] = json.dumps(content, indent=2, ensure_ascii=False, default=str)
    if message.role == "staff":
        row["author"] = (payload.get("author") or {}).get("name") or "Staff"
    return row


def transcript(conversation_id: int) -> list[dict[str, Any]]:
    """Every entry of a conversation, tool calls and results included, in order."""
    with get_db().session() as session:
        rows = session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        ).all()
        return [_entry(row) for row in rows]


def linked_bookings(conversation: Conversation) -> list[Booking]:
    """Bookings made in this conversation or by the same visitor on the site."""
    with get_db().session() as session:
        return list(
            session.scalars(
                select(Booking)
                .where(
                    Booking.site_id == conversation.site_id,
                    or_(
                        Booking.conversation_id == conversation.id,
                        Booking.visitor_id == conversation.visitor_id,
                    ),
                )
                .order_by(Booking.start)
            ).all()
        )
