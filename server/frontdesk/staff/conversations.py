"""Staff dashboard: conversations list with the "needs a human" queue, transcripts, takeover."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, or_, select
from werkzeug.routing import BuildError

from frontdesk import audit
from frontdesk.chat import staffing
from frontdesk.chat.render import render_markdown
from frontdesk.chat.status import STATUSES
from frontdesk.db.models import Booking, Conversation, Message
from frontdesk.extensions import get_db
from frontdesk.staff.auth import current_staff, site_required

bp = Blueprint("conversations", __name__, url_prefix="/<site_key>/conversations")

STATUS_LABELS = {
    "bot": "Assistant",
    "needs_human": "Needs a human",
    "staff": "Staff",
    "closed": "Closed",
}
PAGE_SIZE = 50
MAX_QUERY_CHARS = 200
QUEUE_LIMIT = 50
PREVIEW_CHARS = 140
ACTIONS = {"takeover": "staff", "handback": "bot", "close": "closed"}
ACTION_DONE = {
    "takeover": "You are now handling this conversation; the assistant stays silent.",
    "handback": "Handed back to the assistant.",
    "close": "Conversation closed.",
}


# -- queries ---------------------------------------------------------------------------------


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


def _cost(conversation: Conversation, site: Any) -> str:
    """Estimated cost from the bookings section's price table; "n/a" for unknown models."""
    try:
        from frontdesk.staff import costs
    except ImportError:  # the price table has not landed
        return "n/a"
    model = (getattr(site, "llm_settings", None) or {}).get("model") or ""
    amount = costs.estimate(model, conversation.prompt_tokens, conversation.completion_tokens)
    return costs.format_cost(amount)


def booking_link(site_key: str, public_id: str) -> str | None:
    """The staff booking page, when the bookings section provides one."""
    try:
        return url_for("staff.bookings.detail", site_key=site_key, public_id=public_id)
    except BuildError:
        return None


# -- actions shared with the live socket ------------------------------------------------------


def staff_reply(site: Any, public_id: str, user: Any, text: str):
    """Post a staff message in the site's conversation and audit it; returns the entry."""
    conversation = conversation_of_site(site.id, public_id)
    if conversation is None:
        raise LookupError("no such conversation")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    entry = staffing.post_staff_message(app, public_id, user, text)
    with get_db().transaction() as session:
        audit.record(
            session, site_id=site.id,
            actor=audit.Actor("staff", id=str(user.id), conversation_id=conversation.id),
            action="conversation.staff_message", subject_type="conversation",
            subject_id=public_id, data={"seq": entry.seq, "chars": len(entry.text)},
        )  # fmt: skip
    return entry


# -- views -----------------------------------------------------------------------------------


@bp.get("/")
@site_required
def index(site):
    """The conversations list, filtered and searched, with the live "needs a human" queue."""
    query = request.args.get("q", "").strip()[:MAX_QUERY_CHARS]
    status = request.args.get("status", "")
    if status not in STATUSES:
        status = ""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, more = list_conversations(site.id, query=query, status=status, page=page)
    queue, _ = list_conversations(site.id, queue=True)
    return render_template(
        "staff/conversations.html", site=site, rows=rows, queue=queue, query=query,
        status=status, statuses=STATUS_LABELS, page=page, more=more,
    )  # fmt: skip


@bp.get("/<public_id>")
@site_required
def detail(site, public_id: str):
    """One conversation: the full transcript with tool calls, usage, bookings and actions."""
    conversation = conversation_of_site(site.id, public_id)
    if conversation is None:
        abort(404)
    bookings = [
        (b, booking_link(site.public_key, b.public_id)) for b in linked_bookings(conversation)
    ]
    return render_template(
        "staff/conversation.html", site=site, conversation=conversation,
        entries=transcript(conversation.id), bookings=bookings, statuses=STATUS_LABELS,
        cost=_cost(conversation, site), tz=ZoneInfo(site.timezone),
    )  # fmt: skip


def _change_status(site, public_id: str, action: str):
    """Take over, hand back or close; the staffing module tells the visitor and audits it."""
    if conversation_of_site(site.id, public_id) is None:
        abort(404)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    staffing.set_status(app, public_id, ACTIONS[action], current_staff())
    flash(ACTION_DONE[action], "success")
    return redirect(url_for(".detail", site_key=site.public_key, public_id=public_id))


@bp.post("/<public_id>/takeover")
@site_required
def takeover(site, public_id: str):
    """Staff take the conversation over: status "staff", the assistant stays silent."""
    return _change_status(site, public_id, "takeover")


@bp.post("/<public_id>/handback")
@site_required
def handback(site, public_id: str):
    """Give the conversation back to the assistant (status "bot")."""
    return _change_status(site, public_id, "handback")


@bp.post("/<public_id>/close")
@site_required
def close(site, public_id: str):
    """Close the conversation."""
    return _change_status(site, public_id, "close")


@bp.post("/<public_id>/reply")
@site_required
def reply(site, public_id: str):
    """Send a staff message (without JavaScript; the live page sends over /ws/staff)."""
    try:
        staff_reply(site, public_id, current_staff(), request.form.get("text", ""))
    except LookupError:
        abort(404)
    except ValueError as exc:
        flash(f"Not sent: {exc}.", "error")
        return redirect(url_for(".detail", site_key=site.public_key, public_id=public_id))
    return redirect(url_for(".detail", site_key=site.public_key, public_id=public_id))
