"""Staff dashboard routes: the inbox (list beside transcript), takeover, hand back, close, replies."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

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

from frontdesk import audit
from frontdesk.booking.zones import zone_label, zone_or_utc
from frontdesk.chat import staffing
from frontdesk.chat.status import STATUSES
from frontdesk.db.models import Conversation
from frontdesk.extensions import get_db
from frontdesk.staff import costs, inbox, inbox_state
from frontdesk.staff.auth import current_staff, site_required
from frontdesk.staff.conversation_queries import (
    STATUS_LABELS,
    conversation_of_site,
    linked_bookings,
    transcript,
    transcript_after,
)

MAX_PAGE = 100_000
MAX_SEQ = 2**31 - 1  # a huge `after` must not overflow a comparison in SQL
bp = Blueprint("conversations", __name__, url_prefix="/<site_key>/conversations")

MAX_QUERY_CHARS = 200
ACTIONS = {"takeover": "staff", "handback": "bot", "close": "closed"}
# What each booking card a visitor was shown means, for staff reading the transcript (the
# widget's own titles are the visitor's side of it: "Please confirm your booking"...).
CARD_LABELS = {
    "booking_proposal": "Booking to confirm",
    "reschedule_proposal": "New time to confirm",
    "cancel_proposal": "Cancellation to confirm",
    "booking_confirmed": "Booking confirmed",
    "booking_rescheduled": "Booking moved",
    "booking_cancelled": "Booking cancelled",
}


@bp.app_template_filter("card_label")
def card_label(card_type: str | None) -> str:
    """A booking card's type in words ("booking_confirmed" is "Booking confirmed")."""
    return CARD_LABELS.get(card_type or "", (card_type or "card").replace("_", " ").capitalize())


def _cost(conversation: Conversation, site: Any) -> str:
    """Estimated cost from the dashboard's price table; "n/a" for unknown models."""
    model = (getattr(site, "llm_settings", None) or {}).get("model") or ""
    amount = costs.estimate(model, conversation.prompt_tokens, conversation.completion_tokens)
    return costs.format_cost(amount)


def booking_link(site_key: str, public_id: str) -> str:
    """The staff booking page."""
    return url_for("staff.bookings.detail", site_key=site_key, public_id=public_id)


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


def _filters() -> inbox.Filters:
    """The list's filters from the query string (unknown values are ignored)."""
    view = request.args.get("view", "all")
    status = request.args.get("status", "")
    return inbox.Filters(
        view=view if view in inbox.VIEWS else "all",
        # NUL cannot be stored or compared on PostgreSQL, nor typed by a person: dropped.
        query=request.args.get("q", "").replace("\x00", "").strip()[:MAX_QUERY_CHARS],
        status=status if status in STATUSES else "",
        # Past the last page the list is simply empty; a huge number must not overflow OFFSET.
        page=min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE),
    )


def _inbox(site, conversation=None):
    """The inbox page: the list beside the open conversation (or a prompt to pick one)."""
    tz = zone_or_utc(site.timezone)
    filters = _filters()
    rows, more = inbox.list_page(site.id, tz, filters)
    context: dict[str, Any] = {}
    if conversation is not None:
        bookings = [
            (b, booking_link(site.public_key, b.public_id)) for b in linked_bookings(conversation)
        ]
        with get_db().session() as session:
            people = inbox.summaries(session, [conversation], tz)[0]
        context = {
            "conversation": conversation, "summary": people, "bookings": bookings,
            "entries": transcript(conversation.id, tz), "cost": _cost(conversation, site),
            "started": inbox.when_label(conversation.created_at, tz, conversation.created_at),
        }  # fmt: skip
    return render_template(
        "staff/inbox.html", site=site, rows=rows, more=more, filters=filters,
        views=inbox.VIEWS, statuses=STATUS_LABELS, tz=tz, zone=zone_label(site.timezone),
        waiting=inbox.waiting_count(site.id), **context,
    )  # fmt: skip


@bp.get("/")
@site_required
def index(site):
    """The inbox: conversations filtered and searched, people waiting first."""
    return _inbox(site)


@bp.get("/<public_id>")
@site_required
def detail(site, public_id: str):
    """One conversation beside the list: transcript with tool calls, facts, bookings, actions.

    Opening it is reading it: its unread count clears."""
    conversation = conversation_of_site(site.id, public_id)
    if conversation is None:
        abort(404)
    if conversation.last_seq > conversation.staff_seen_seq:
        inbox_state.mark_seen(site.id, public_id, conversation.last_seq)
    return _inbox(site, conversation)


@bp.get("/<public_id>/entries")
@site_required
def entries(site, public_id: str):
    """The transcript's entries after `after` (a seq), as the page draws them: the live inbox
    fetches them when the socket says something was added, so a live entry is the same as
    after a reload (card line, tool calls, feedback). Reading is said over the socket, only
    while the page is in view."""
    conversation = conversation_of_site(site.id, public_id)
    if conversation is None:
        abort(404)
    after = min(max(request.args.get("after", 0, type=int) or 0, 0), MAX_SEQ)
    tz = zone_or_utc(site.timezone)
    day, shown = transcript_after(conversation.id, after, tz)
    with get_db().session() as session:
        visitor = inbox.summaries(session, [conversation], tz)[0]["visitor"]
    html = render_template(
        "staff/_entries.html", site=site, conversation=conversation, visitor=visitor,
        entries=shown, after_day=day,
    )  # fmt: skip
    # Who the visitor is may have become known since the page was drawn (a booking names
    # them): the page relabels its earlier entries and its heading, as a reload would.
    name = quote(visitor["name"] if visitor["known"] else "Visitor")
    known = "yes" if visitor["known"] else "no"
    return (
        html,
        200,
        {"Cache-Control": "no-store", "X-Visitor-Name": name, "X-Visitor-Known": known},
    )


def _change_status(site, public_id: str, action: str):
    """Take over, hand back or close; the staffing module tells the visitor and audits it.

    No notice follows: the conversation's state box (and its actions) shows the new status,
    and a notice above it would only say the same again."""
    if conversation_of_site(site.id, public_id) is None:
        abort(404)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    staffing.set_status(app, public_id, ACTIONS[action], current_staff())
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
