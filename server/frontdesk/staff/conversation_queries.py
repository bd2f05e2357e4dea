"""Conversation queries for the dashboard: search, one conversation, its transcript and bookings."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased

from frontdesk.chat.render import render_markdown
from frontdesk.db.models import Booking, Conversation, Message
from frontdesk.extensions import get_db

STATUS_LABELS = {
    "bot": "Assistant",
    "needs_human": "Needs a person",
    "staff": "Staff",
    "closed": "Closed",
}


def has_begun():
    """The conversation holds something a person did: a visitor or staff message, or a visitor's
    action (asking for a person, confirming a card; stored with the widget's client_id)."""
    # Opening the widget creates the row on the socket's hello; like Chatwoot and Intercom, the
    # dashboard lists and counts a conversation only once someone wrote in it. The EXISTS is a
    # lookup on the (conversation_id, seq) index, stopped at the first matching message.
    # Its own alias: the overview nests this under a query of Message, which must not correlate.
    message = aliased(Message)
    return exists().where(
        message.conversation_id == Conversation.id,
        or_(message.role.in_(("visitor", "staff")), message.client_id.is_not(None)),
    )


def matching_ids(session, site_id: int, query: str):
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
    by_contact = select(Conversation.id).where(
        Conversation.site_id == site_id,
        or_(
            func.lower(Conversation.contact_email).contains(needle, autoescape=True),
            func.lower(Conversation.contact_name).contains(needle, autoescape=True),
        ),
    )
    return by_text.union(by_booking, by_visitor, by_contact)


def conversation_of_site(site_id: int, public_id: str) -> Conversation | None:
    """The conversation if it belongs to the site, else None (detached)."""
    with get_db().session() as session:
        return session.scalars(
            select(Conversation).where(
                Conversation.public_id == public_id[:64], Conversation.site_id == site_id
            )
        ).one_or_none()


def _entry(message: Message, tz) -> dict[str, Any]:
    """A transcript row for the template: visible text re-rendered, tool payloads pretty-printed."""
    payload = dict(message.payload or {})
    at = message.created_at.astimezone(tz)
    row = {"seq": message.seq, "role": message.role, "text": message.text, "at": at,
           "time": at.strftime("%H:%M"), "day": at.date(), "flagged": message.flagged,
           "payload": payload, "html": ""}  # fmt: skip
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


def transcript(conversation_id: int, tz=UTC) -> list[dict[str, Any]]:
    """Every entry of a conversation, tool calls and results included, in order; times in `tz`."""
    with get_db().session() as session:
        return [_entry(row, tz) for row in _messages_after(session, conversation_id, 0)]


def transcript_after(conversation_id: int, after: int, tz=UTC) -> tuple[Any, list[dict[str, Any]]]:
    """(the day of the entry at or before `after`, or None; the entries after it), as
    `transcript` gives them: what the live inbox draws next."""
    with get_db().session() as session:
        rows = _messages_after(session, conversation_id, after)
        last = session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.seq <= after)
            .order_by(Message.seq.desc())
            .limit(1)
        ).first()
        return (_entry(last, tz)["day"] if last else None), [_entry(row, tz) for row in rows]


def _messages_after(session, conversation_id: int, after: int) -> list[Message]:
    """A conversation's messages with a seq above `after`, in order."""
    return session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after)
        .order_by(Message.seq)
    ).all()


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
