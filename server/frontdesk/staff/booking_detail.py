"""One booking's dashboard page: who and when, the conversation, notes, outcome, history, and
the staff changes (reschedule, cancel, notes, completed / no-show)."""

from __future__ import annotations

from datetime import UTC, date

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from frontdesk.booking import links
from frontdesk.booking.errors import BookingError, NotAllowed, NotFound, SlotTaken
from frontdesk.booking.reschedule_picker import picker_day
from frontdesk.booking.staff_actions import record_outcome, set_staff_notes
from frontdesk.booking.validation import parse_slot
from frontdesk.booking.zones import zone_label, zone_or_utc, zones_differ
from frontdesk.db.models import AuditEvent, Booking, Conversation, Message
from frontdesk.db.models.booking import CANCELLED, CONFIRMED
from frontdesk.db.types import utcnow
from frontdesk.extensions import get_bookings, get_db
from frontdesk.staff.auth import site_required
from frontdesk.staff.booking_common import attendee_names, bp, own_booking, staff_actor
from frontdesk.staff.booking_filters import FilterError, parse_day
from frontdesk.staff.booking_history import history
from frontdesk.staff.mail_state import sends_mail

LAST_MESSAGES = 8
AUDIT_LIMIT = 200


def _conversation(session, booking: Booking) -> tuple[Conversation | None, list[Message]]:
    if booking.conversation_id is None:
        return None, []
    conversation = session.get(Conversation, booking.conversation_id)
    if conversation is None or conversation.site_id != booking.site_id:
        return None, []
    messages = session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation.id,
            Message.role.in_(("visitor", "assistant", "staff")),
        )
        .order_by(Message.seq.desc())
        .limit(LAST_MESSAGES)
    ).all()
    return conversation, list(reversed(messages))


def _slot_picker(site, booking: Booking, wanted: date | None) -> dict:
    """The reschedule picker: one day's free slots in the site's zone, with day navigation,
    opening on the booked day."""
    tz = zone_or_utc(site.timezone)
    booked_day = booking.start.astimezone(tz).date()
    picker = picker_day(
        get_bookings(), booking, site, site.timezone, wanted, utcnow(), prefer=booked_day
    )
    return {
        "day": picker.day,
        "min_day": picker.min_day,
        "max_day": picker.max_day,
        "prev_day": picker.prev_day,
        "next_day": picker.next_day,
        "slots": [
            {
                "value": s.start.astimezone(UTC).isoformat(),
                "label": f"{s.start.astimezone(tz):%H:%M}",
            }
            for s in picker.slots
        ],
    }


def render_detail(site, booking: Booking, *, day=None, error: str = "", status: int = 200):
    """The booking page, with an error sentence when a change was refused."""
    tz = zone_or_utc(site.timezone)
    now = utcnow()
    with get_db().session() as session:
        conversation, messages = _conversation(session, booking)
        trail = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.site_id == site.id, AuditEvent.subject_id == booking.public_id)
            .order_by(AuditEvent.created_at, AuditEvent.id)
            .limit(AUDIT_LIMIT)
        ).all()
        lines = history(session, list(trail), tz, now)
        attendees = attendee_names(session, site.id, [booking.id]).get(booking.id, "")
    changeable = booking.status == CONFIRMED and booking.start > now
    context = {
        "site": site,
        "tz": tz,
        "zone_name": zone_label(site.timezone),
        "visitor_tz": zone_or_utc(booking.visitor_tz),
        "visitor_zone_name": zone_label(booking.visitor_tz),
        "show_visitor_zone": zones_differ(booking.visitor_tz, site.timezone),
        "booking": booking,
        "attendees": attendees,
        "conversation": conversation,
        "messages": messages,
        "history": lines,
        "changeable": changeable,
        "can_mark": booking.status != CANCELLED and booking.start <= now,
        "picker": _slot_picker(site, booking, day) if changeable else None,
        "error": error,
    }
    return render_template("staff/booking.html", **context), status


def _back(site, public_id: str):
    return redirect(url_for(".detail", site_key=site.public_key, public_id=public_id), code=303)


@bp.get("/<public_id>")
@site_required
def detail(site, public_id: str):
    """One booking: visitor, conversation, notes, history, and the changes staff can make."""
    booking = own_booking(site, public_id)
    try:
        day = parse_day(request.args.get("day"), "The day")
    except FilterError as exc:
        return render_detail(site, booking, error=str(exc), status=400)
    return render_detail(site, booking, day=day)


@bp.post("/<public_id>/cancel")
@site_required
def cancel(site, public_id: str):
    """Cancel on the visitor's behalf; the booking service e-mails them."""
    booking = own_booking(site, public_id)
    try:
        get_bookings().cancel(public_id, staff_actor(), reason=request.form.get("reason", ""))
    except NotFound:
        abort(404)
    except (NotAllowed, BookingError) as exc:
        return render_detail(
            site, booking, error=str(exc), status=409 if isinstance(exc, NotAllowed) else 400
        )
    told = " and the visitor is being e-mailed" if booking.email and sends_mail() else ""
    flash(f"The booking is cancelled{told}.", "success")
    return _back(site, public_id)


@bp.post("/<public_id>/reschedule")
@site_required
def reschedule(site, public_id: str):
    """Move the booking to a chosen free slot; the visitor gets the updated invitation."""
    booking = own_booking(site, public_id)
    try:
        day = parse_day(request.form.get("day"), "The day")
    except FilterError:
        day = None
    try:
        new_start = parse_slot(request.form.get("slot"))
    except ValueError:
        return render_detail(
            site, booking, day=day, error="Choose one of the free times.", status=400
        )
    try:
        result = get_bookings().reschedule(public_id, new_start, staff_actor())
    except NotFound:
        abort(404)
    except SlotTaken as exc:
        return render_detail(site, booking, day=day, error=str(exc), status=409)
    except NotAllowed as exc:
        return render_detail(site, booking, error=str(exc), status=409)
    except BookingError as exc:
        return render_detail(site, booking, day=day, error=str(exc), status=400)
    moved = result.booking.start.astimezone(zone_or_utc(site.timezone))
    told = "; the visitor is being e-mailed" if booking.email and sends_mail() else ""
    flash(f"Moved to {moved:%A %-d %B %Y at %H:%M}{told}.", "success")
    return _back(site, public_id)


@bp.post("/<public_id>/notes")
@site_required
def notes(site, public_id: str):
    """Save staff's notes on the booking (never shown to the visitor)."""
    booking = own_booking(site, public_id)
    try:
        set_staff_notes(
            get_db(), site.id, public_id, request.form.get("staff_notes", ""), staff_actor()
        )
    except NotFound:
        abort(404)
    except BookingError as exc:
        return render_detail(site, booking, error=str(exc), status=400)
    flash("Notes saved.", "success")
    return _back(site, public_id)


@bp.post("/<public_id>/outcome")
@site_required
def outcome(site, public_id: str):
    """Record that the booking happened (completed) or the visitor didn't come (no-show)."""
    booking = own_booking(site, public_id)
    try:
        done = record_outcome(
            get_db(), site.id, public_id, request.form.get("outcome", ""), staff_actor()
        )
    except NotFound:
        abort(404)
    except BookingError as exc:
        status = 409 if isinstance(exc, NotAllowed) else 400
        return render_detail(site, booking, error=str(exc), status=status)
    flash(f"Marked as {'completed' if done.status == 'completed' else 'a no-show'}.", "success")
    return _back(site, public_id)


@bp.post("/<public_id>/new-link")
@site_required
def new_link(site, public_id: str):
    """Revoke the visitor's manage and calendar links and e-mail them a new one."""
    own_booking(site, public_id)
    try:
        links.renew_link(get_bookings(), public_id, staff_actor())
    except NotFound:
        abort(404)
    flash("Earlier links to this booking no longer work; the visitor is sent a new one.", "success")
    return _back(site, public_id)
