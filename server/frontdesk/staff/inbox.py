"""The inbox's list: conversations filtered (needs a person, live now, with a booking, flagged,
closed) and searched, people waiting first, each summarised with who the visitor is, the last
message, unread count and times in the site's zone. A page costs a fixed number of queries."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import nh3
from sqlalchemy import and_, case, exists, func, or_, select

from frontdesk.chat.presence import LIVE_GRACE, live_since
from frontdesk.chat.render import render_markdown
from frontdesk.db.models import Booking, Conversation, Message
from frontdesk.db.models.booking import CANCELLED
from frontdesk.db.types import utcnow
from frontdesk.extensions import get_db
from frontdesk.staff.conversation_queries import STATUS_LABELS, has_begun, matching_ids

PAGE_SIZE = 50
PREVIEW_CHARS = 140
VIEWS = {
    "all": "All",
    "waiting": "Needs a person",
    "live": "Live now",
    "booked": "With a booking",
    "flagged": "Flagged",
    "closed": "Closed",
}


@dataclass(frozen=True)
class Filters:
    """What the list shows: a view, a search, a status (older links) and a page."""

    view: str = "all"
    query: str = ""
    status: str = ""
    page: int = 1


def waiting_clause():
    """Conversations someone should look at: a person was asked for, or moderation flagged it."""
    return and_(
        or_(Conversation.status == "needs_human", Conversation.flagged.is_(True)),
        Conversation.status != "closed",
    )


def _has_booking():
    return exists().where(Booking.conversation_id == Conversation.id)


def _view_clause(view: str):
    if view == "waiting":
        return waiting_clause()
    if view == "live":
        return and_(
            Conversation.visitor_live.is_(True), Conversation.visitor_seen_at >= live_since()
        )
    if view == "booked":
        return _has_booking()
    if view == "flagged":
        return Conversation.flagged.is_(True)
    if view == "closed":
        return Conversation.status == "closed"
    return None


def list_page(site_id: int, tz: ZoneInfo, filters: Filters) -> tuple[list[dict[str, Any]], bool]:
    """One page of the list, waiting conversations first, then newest activity; (rows, more)."""
    statement = select(Conversation.id).where(Conversation.site_id == site_id, has_begun())
    clause = _view_clause(filters.view)
    if clause is not None:
        statement = statement.where(clause)
    if filters.status:
        statement = statement.where(Conversation.status == filters.status)
    waiting_first = case((waiting_clause(), 0), else_=1)
    with get_db().session() as session:
        if filters.query:
            ids = matching_ids(session, site_id, filters.query)
            statement = statement.where(Conversation.id.in_(ids))
        statement = statement.order_by(
            waiting_first, Conversation.updated_at.desc(), Conversation.id.desc()
        )
        offset = (filters.page - 1) * PAGE_SIZE
        # The site's conversations are sorted by ids only, then the page's 50 loaded: sorting
        # whole rows of 10,000 took PostgreSQL 7 ms, ids 3.
        page = session.scalars(statement.limit(PAGE_SIZE + 1).offset(offset)).all()
        shown_ids = page[:PAGE_SIZE]
        loaded = session.scalars(select(Conversation).where(Conversation.id.in_(shown_ids)))
        by_id = {c.id: c for c in loaded}
        shown = [by_id[i] for i in shown_ids]
        return summaries(session, shown, tz), len(page) > PAGE_SIZE


def summaries(session, conversations: list[Conversation], tz: ZoneInfo) -> list[dict[str, Any]]:
    """The list's rows for these conversations: three queries, however many there are."""
    ids = [c.id for c in conversations]
    previews = _last_messages(session, ids)
    unread = _unread(session, ids)
    people = _booked_people(session, ids)
    now = utcnow()
    return [
        summarize(c, previews.get(c.id), unread.get(c.id, 0), people.get(c.id), tz, now)
        for c in conversations
    ]


def summary_of(site_id: int, public_id: str, tz: ZoneInfo) -> dict[str, Any] | None:
    """One conversation's row (for live updates), or None if it is not the site's or nobody has
    written in it yet (a widget only opened must not appear in the list)."""
    with get_db().session() as session:
        conversation = session.scalars(
            select(Conversation).where(
                Conversation.public_id == public_id[:64],
                Conversation.site_id == site_id,
                has_begun(),
            )
        ).one_or_none()
        if conversation is None:
            return None
        return summaries(session, [conversation], tz)[0]


def waiting_count(site_id: int) -> int:
    """How many of the site's conversations need a person now (the nav badge, the tab title)."""
    with get_db().session() as session:
        return session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.site_id == site_id, waiting_clause(), has_begun())
        )


def _last_messages(session, ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """Each conversation's last visitor, assistant or staff message: (role, text, html)."""
    if not ids:
        return {}
    roles = ("visitor", "assistant", "staff")
    last = (
        select(Message.conversation_id, func.max(Message.seq).label("seq"))
        .where(Message.conversation_id.in_(ids), Message.role.in_(roles))
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = session.execute(
        select(Message.conversation_id, Message.role, Message.text, Message.html).join(
            last, (Message.conversation_id == last.c.conversation_id) & (Message.seq == last.c.seq)
        )
    ).all()
    return {cid: (role, text, html) for cid, role, text, html in rows}


def _unread(session, ids: list[int]) -> dict[int, int]:
    """Visitor messages after what staff last read, per conversation."""
    if not ids:
        return {}
    rows = session.execute(
        select(Message.conversation_id, func.count())
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.conversation_id.in_(ids),
            Message.role == "visitor",
            Message.seq > Conversation.staff_seen_seq,
        )
        .group_by(Message.conversation_id)
    ).all()
    return dict(rows)


def _booked_people(session, ids: list[int]) -> dict[int, tuple[str, str, int, int]]:
    """Name and e-mail from each conversation's latest booking, how many of its bookings stand
    and how many were cancelled."""
    if not ids:
        return {}
    rows = session.execute(
        select(Booking.conversation_id, Booking.visitor_name, Booking.email, Booking.status)
        .where(Booking.conversation_id.in_(ids))
        .order_by(Booking.created_at)
    ).all()
    people: dict[int, tuple[str, str, int, int]] = {}
    for cid, name, email, status in rows:
        _name, _email, standing, cancelled = people.get(cid, ("", "", 0, 0))
        if status == CANCELLED:
            cancelled += 1
        else:
            standing += 1
        people[cid] = (name or "", email or "", standing, cancelled)
    return people


def visitor_label(conversation: Conversation, person: tuple | None) -> dict:
    """Who the visitor is: name and e-mail once known, else "Visitor on <page>"."""
    name = conversation.contact_name or (person[0] if person else "")
    email = conversation.contact_email or (person[1] if person else "")
    if name or email:
        return {"name": name or email, "email": email if name else "", "known": True}
    return {"name": f"Visitor on {page_label(conversation)}", "email": "", "known": False}


TITLE_TAIL = re.compile(r"\s+[—–|·-]\s+")


def page_label(conversation: Conversation) -> str:
    """The page the chat started on, as a person would name it: its title (without the tagline
    sites put after a dash or bar, "Pricing | Studio" is "Pricing"), else its path."""
    if conversation.page_title:
        return TITLE_TAIL.split(conversation.page_title, maxsplit=1)[0].strip()[:80]
    parts = urlsplit(conversation.page_url or "")
    return (parts.path or "/")[:80] if parts.netloc else "the site"


def plain_text(text: str, role: str, rendered: str = "") -> str:
    """A message as one line of plain words: Markdown rendered (`rendered`, the HTML stored with
    the message, when there is one) and its tags dropped. A visitor's stored HTML is what they
    saw: a pressed chip's words in their language, where the text is the engines' English."""
    if role in ("assistant", "staff"):
        # Parsing the Markdown again cost ~0.15 ms a row, most of an inbox page's own time. The
        # stored HTML is safe to read: every tag is dropped and the words are escaped on output.
        text = html.unescape(nh3.clean(rendered or render_markdown(text), tags=set()))
    elif role == "visitor" and rendered:  # its escaped words; the text when nothing is left
        text = html.unescape(nh3.clean(rendered, tags=set())).strip() or text
    return " ".join(text.split())


def when_label(moment: datetime, tz: ZoneInfo, now: datetime) -> str:
    """A list time: 14:05 today, "Yesterday", the weekday this week, else the date."""
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.date() == today - timedelta(days=1):
        return "Yesterday"
    if today - local.date() < timedelta(days=7):
        return local.strftime("%a")
    if local.year == today.year:
        return f"{local.day} {local:%b}"
    return f"{local.day} {local:%b %Y}"


def summarize(conversation, last, unread, person, tz, now) -> dict[str, Any]:
    """What the list shows of one conversation (also sent over /ws/staff)."""
    role, text, rendered = last or ("", "", "")
    live = bool(
        conversation.visitor_live
        and conversation.visitor_seen_at
        and conversation.visitor_seen_at >= now - LIVE_GRACE
    )
    waiting = conversation.status != "closed" and (
        conversation.status == "needs_human" or bool(conversation.flagged)
    )
    return {
        "id": conversation.public_id,
        "status": conversation.status,
        "status_label": STATUS_LABELS.get(conversation.status, conversation.status),
        "flagged": bool(conversation.flagged),
        "waiting": waiting,
        "live": live,
        "visitor": visitor_label(conversation, person),
        # "Booked" only while a booking stands: a cancelled one is told as such.
        "bookings": person[2] if person else 0,
        "cancelled_bookings": person[3] if person else 0,
        "preview": plain_text(text or "", role, rendered or "")[:PREVIEW_CHARS],
        "preview_role": role,
        "unread": unread,
        "page": conversation.page_url,
        "updated": conversation.updated_at.isoformat(timespec="seconds"),
        "updated_label": when_label(conversation.updated_at, tz, now),
    }
