"""Staff dashboard: bookings list, week view, booking page, staff changes, CSV and iCal feed."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from frontdesk import audit
from frontdesk.audit import Actor
from frontdesk.booking.errors import BookingError, NotAllowed, NotFound, SlotTaken
from frontdesk.booking.reschedule_picker import picker_day
from frontdesk.booking.validation import parse_slot
from frontdesk.booking.zones import zone_or_utc
from frontdesk.db.models import AuditEvent, Booking, Conversation, Message, Service, Site
from frontdesk.db.models.booking import CONFIRMED
from frontdesk.db.types import utcnow
from frontdesk.extensions import get_bookings, get_db
from frontdesk.sites import new_calendar_secret
from frontdesk.staff.auth import current_staff, site_required
from frontdesk.staff.booking_csv import EXPORT_LIMIT, csv_text
from frontdesk.staff.booking_filters import (
    STATUSES,
    FilterError,
    Filters,
    booking_query,
    parse_day,
    parse_filters,
)
from frontdesk.staff.week import week_grid, week_start

bp = Blueprint("bookings", __name__, url_prefix="/<site_key>/bookings")

LIST_LIMIT = 200
LAST_MESSAGES = 8
AUDIT_LIMIT = 200


def _actor() -> Actor:
    return Actor(type="staff", id=str(current_staff().id))


def _services(site_id: int) -> list[Service]:
    """All the site's services, withdrawn ones too: old bookings still use them."""
    with get_db().session() as session:
        query = select(Service).where(Service.site_id == site_id)
        return list(session.scalars(query.order_by(Service.position, Service.id)))


def _filters(site) -> Filters:
    """Filters from the query string; a bad one raises FilterError (answered with 400)."""
    slugs = [s.slug for s in _services(site.id)]
    return parse_filters(request.args, slugs)


@bp.errorhandler(FilterError)
def bad_filter(exc: FilterError):
    """A bad filter or date in the query string: say which, on a dashboard page."""
    site = g.get("site")
    return render_template("staff/bookings_error.html", site=site, message=str(exc)), 400


def _feed_url(secret: str) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/calendar/{secret}.ics"


def _current_secret(site_id: int) -> str:
    with get_db().session() as session:
        return session.scalar(select(Site.calendar_secret).where(Site.id == site_id))


@bp.get("/")
@site_required
def index(site):
    """Upcoming bookings (or the filtered date range) and the calendar feed link."""
    tz = zone_or_utc(site.timezone)
    filters = _filters(site)
    query = booking_query(site.id, filters, tz)
    if not filters.start and not filters.end:
        query = query.where(Booking.end >= utcnow())
    with get_db().session() as session:
        rows = list(session.scalars(query.limit(LIST_LIMIT + 1)))
    return render_template(
        "staff/bookings.html",
        site=site,
        tz=tz,
        bookings=rows[:LIST_LIMIT],
        more=len(rows) > LIST_LIMIT,
        filters=filters,
        services=_services(site.id),
        statuses=STATUSES,
        feed_url=_feed_url(_current_secret(site.id)),
    )


@bp.get("/week")
@site_required
def week(site):
    """Seven day columns in the site's zone; ?week=YYYY-MM-DD picks the week."""
    tz = zone_or_utc(site.timezone)
    wanted = parse_day(request.args.get("week"), "The week")
    monday = week_start(wanted or utcnow().astimezone(tz).date())
    filters = _filters(site)
    span = Filters(filters.service, filters.status, monday, monday + timedelta(days=6))
    with get_db().session() as session:
        rows = list(session.scalars(booking_query(site.id, span, tz)))
    return render_template(
        "staff/week.html",
        site=site,
        tz=tz,
        monday=monday,
        columns=week_grid(rows, monday, tz),
        prev_week=(monday - timedelta(days=7)).isoformat(),
        next_week=(monday + timedelta(days=7)).isoformat(),
        today=utcnow().astimezone(tz).date(),
        filters=filters,
        services=_services(site.id),
    )


@bp.get("/export.csv")
@site_required
def export(site):
    """The filtered bookings (all dates unless narrowed) as a CSV download."""
    tz = zone_or_utc(site.timezone)
    filters = _filters(site)
    with get_db().session() as session:
        rows = session.scalars(booking_query(site.id, filters, tz).limit(EXPORT_LIMIT))
        body = csv_text(rows, tz)
    response = Response(body, content_type="text/csv; charset=utf-8")
    stamp = utcnow().astimezone(tz).date().isoformat()
    response.headers["Content-Disposition"] = f'attachment; filename="bookings-{stamp}.csv"'
    return response


@bp.post("/calendar/rotate")
@site_required
def rotate_feed(site):
    """Give the iCal feed a new secret URL; the old one stops working at once."""
    with get_db().transaction() as session:
        stored = session.get(Site, site.id)
        stored.calendar_secret = new_calendar_secret()
        audit.record(
            session,
            site_id=site.id,
            actor=_actor(),
            action="calendar.rotated",
            subject_type="site",
            subject_id=site.public_key,
        )
    flash("The calendar feed has a new address. Update your calendar subscription.", "success")
    return redirect(url_for(".index", site_key=site.public_key), code=303)


# -- one booking ----------------------------------------------------------------------------


def _own_booking(site, public_id: str) -> Booking:
    """The booking, only when it belongs to this site (404 otherwise)."""
    booking = get_bookings().get(public_id)
    if booking is None or booking.site_id != site.id:
        abort(404)
    return booking


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
    """The reschedule picker: one day's free slots in the site's zone, with day navigation."""
    picker = picker_day(get_bookings(), booking, site, site.timezone, wanted, utcnow())
    tz = zone_or_utc(site.timezone)
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


def _render_detail(site, booking: Booking, *, day=None, error: str = "", status: int = 200):
    tz = zone_or_utc(site.timezone)
    with get_db().session() as session:
        conversation, messages = _conversation(session, booking)
        trail = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.site_id == site.id, AuditEvent.subject_id == booking.public_id)
            .order_by(AuditEvent.created_at, AuditEvent.id)
            .limit(AUDIT_LIMIT)
        ).all()
    changeable = booking.status == CONFIRMED and booking.start > utcnow()
    context = {
        "site": site,
        "tz": tz,
        "visitor_tz": zone_or_utc(booking.visitor_tz),
        "booking": booking,
        "conversation": conversation,
        "messages": messages,
        "trail": trail,
        "changeable": changeable,
        "picker": _slot_picker(site, booking, day) if changeable else None,
        "error": error,
    }
    return render_template("staff/booking.html", **context), status


@bp.get("/<public_id>")
@site_required
def detail(site, public_id: str):
    """One booking: visitor, conversation, audit trail, cancel and reschedule forms."""
    booking = _own_booking(site, public_id)
    try:
        day = parse_day(request.args.get("day"), "The day")
    except FilterError as exc:
        return _render_detail(site, booking, error=str(exc), status=400)
    return _render_detail(site, booking, day=day)


@bp.post("/<public_id>/cancel")
@site_required
def cancel(site, public_id: str):
    """Cancel on the visitor's behalf; the booking service e-mails them."""
    booking = _own_booking(site, public_id)
    try:
        get_bookings().cancel(public_id, _actor(), reason=request.form.get("reason", ""))
    except NotFound:
        abort(404)
    except (NotAllowed, BookingError) as exc:
        return _render_detail(
            site, booking, error=str(exc), status=409 if isinstance(exc, NotAllowed) else 400
        )
    flash("The booking is cancelled and the visitor has been e-mailed.", "success")
    return redirect(url_for(".detail", site_key=site.public_key, public_id=public_id), code=303)


@bp.post("/<public_id>/reschedule")
@site_required
def reschedule(site, public_id: str):
    """Move the booking to a chosen free slot; the visitor gets the updated invitation."""
    booking = _own_booking(site, public_id)
    try:
        day = parse_day(request.form.get("day"), "The day")
    except FilterError:
        day = None
    try:
        new_start = parse_slot(request.form.get("slot"))
    except ValueError:
        return _render_detail(
            site, booking, day=day, error="Choose one of the free times.", status=400
        )
    try:
        result = get_bookings().reschedule(public_id, new_start, _actor())
    except NotFound:
        abort(404)
    except SlotTaken as exc:
        return _render_detail(site, booking, day=day, error=str(exc), status=409)
    except NotAllowed as exc:
        return _render_detail(site, booking, error=str(exc), status=409)
    except BookingError as exc:
        return _render_detail(site, booking, day=day, error=str(exc), status=400)
    moved = result.booking.start.astimezone(zone_or_utc(site.timezone))
    flash(f"Moved to {moved:%A %d %B %Y at %H:%M}; the visitor has been e-mailed.", "success")
    return redirect(url_for(".detail", site_key=site.public_key, public_id=public_id), code=303)
