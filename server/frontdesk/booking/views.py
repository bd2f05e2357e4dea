"""The visitor's manage page (/b/<token>) and its .ics file."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from frontdesk.audit import Actor
from frontdesk.booking import ics
from frontdesk.booking.errors import BookingError, NotAllowed, NotFound, SlotTaken
from frontdesk.booking.reschedule_picker import picker_day
from frontdesk.booking.validation import parse_day, parse_slot
from frontdesk.booking.zones import zone_or_utc
from frontdesk.db.models import Booking, Site
from frontdesk.db.models.booking import CANCELLED, CONFIRMED
from frontdesk.db.types import utcnow
from frontdesk.extensions import get_bookings, get_db

bp = Blueprint("booking", __name__)

CSP = (
    "default-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
INVALID_LINK = "This booking link is not valid"


class PageError(Exception):
    """Stop handling a request and show the error page with this status."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


# -- headers and errors ---------------------------------------------------------------------------


@bp.after_request
def security_headers(response: Response) -> Response:
    """The token is in the URL: never leak it by referrer, cache or search engine."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.errorhandler(PageError)
def page_error(exc: PageError):
    """Render a PageError as a plain, detail-free page."""
    return render_template("booking/error.html", title=exc.title, message=exc.message), exc.status


@bp.errorhandler(CSRFError)
def csrf_error(_exc: CSRFError):
    """A form without a valid CSRF token (expired page or forged request)."""
    message = "This form has expired or was not sent from this page. Reload the page and try again."
    return render_template("booking/error.html", title="Please try again", message=message), 400


def _invalid_link() -> PageError:
    return PageError(404, INVALID_LINK, f"{INVALID_LINK}. It may be mistyped or out of date.")


# -- helpers --------------------------------------------------------------------------------------


def _when(moment: datetime, tz_name: str) -> dict[str, str]:
    """A moment as display parts in one time zone."""
    local = moment.astimezone(zone_or_utc(tz_name))
    return {
        "date": f"{local:%A} {local.day} {local:%B %Y}",
        "time": f"{local:%H:%M}",
        "zone": tz_name,
    }


def _load(token: str) -> tuple[Booking, Site]:
    """The booking a manage token points to, and its site; 404 for anything else."""
    booking = get_bookings().by_token(token)
    if booking is None:
        raise _invalid_link()
    with get_db().session() as session:
        site = session.get(Site, booking.site_id)
    if site is None:
        raise _invalid_link()
    return booking, site


def _is_open(booking: Booking) -> bool:
    """Can the visitor still change this booking?"""
    return booking.status == CONFIRMED and booking.start > utcnow()


def _slot_choices(booking: Booking, site: Site, wanted: date | None) -> dict:
    """The reschedule picker in the visitor's zone, each time shown in both zones."""
    picker = picker_day(get_bookings(), booking, site, booking.visitor_tz, wanted, utcnow())
    day = picker.day
    return {
        "day": day,
        "day_text": f"{day:%A} {day.day} {day:%B %Y}",
        "prev_day": picker.prev_day,
        "next_day": picker.next_day,
        "min_day": picker.min_day,
        "max_day": picker.max_day,
        "slots": [
            {
                "value": s.start.astimezone(UTC).isoformat(),
                "visitor": _when(s.start, booking.visitor_tz)["time"],
                "business": _when(s.start, site.timezone)["time"],
            }
            for s in picker.slots
        ],
    }


def _render(booking: Booking, site: Site, *, day=None, error: str = "", status: int = 200):
    """The manage page for a booking, with an optional error message."""
    context = {
        "booking": booking,
        "site": site,
        "token": request.view_args["token"],
        "visitor_time": _when(booking.start, booking.visitor_tz),
        "visitor_end": _when(booking.end, booking.visitor_tz),
        "business_time": _when(booking.start, site.timezone),
        "business_end": _when(booking.end, site.timezone),
        "same_zone": booking.visitor_tz == site.timezone,
        "cancelled": booking.status == CANCELLED,
        "is_open": _is_open(booking),
        "error": error,
    }
    if context["is_open"]:
        context["picker"] = _slot_choices(booking, site, day)
    return render_template("booking/manage.html", **context), status


def _actor(booking: Booking) -> Actor:
    return Actor("visitor", id=booking.visitor_id or "")


def _refuse_if_cancelled(booking: Booking) -> None:
    if booking.status == CANCELLED:
        raise PageError(
            409,
            "This booking is cancelled",
            "This booking was cancelled, so it can no longer be changed. "
            "Please make a new booking instead.",
        )


# -- the visitor's pages --------------------------------------------------------------------------


@bp.get("/b/<token>")
def manage(token: str):
    """The manage page: details in both time zones, reschedule and cancel forms."""
    booking, site = _load(token)
    try:
        day = parse_day(request.args.get("day"))
    except ValueError:
        return _render(booking, site, error="That date is not valid; use YYYY-MM-DD.", status=400)
    return _render(booking, site, day=day)


@bp.post("/b/<token>/cancel")
def cancel(token: str):
    """Cancel the booking, then show the page again (post/redirect/get)."""
    booking, site = _load(token)
    _refuse_if_cancelled(booking)
    reason = request.form.get("reason", "")
    try:
        get_bookings().cancel(booking.public_id, _actor(booking), reason=reason)
    except NotFound as exc:
        raise _invalid_link() from exc
    except NotAllowed as exc:
        raise PageError(409, "This booking can't be changed", str(exc)) from exc
    except BookingError as exc:
        return _render(booking, site, error=str(exc), status=400)
    flash("Your booking has been cancelled.", "success")
    return redirect(url_for("booking.manage", token=token), code=303)


@bp.post("/b/<token>/reschedule")
def reschedule(token: str):
    """Move the booking to the chosen slot and redirect to the new (rotated) link."""
    booking, site = _load(token)
    _refuse_if_cancelled(booking)
    try:
        day = parse_day(request.form.get("day"))
    except ValueError:
        day = None
    try:
        new_start = parse_slot(request.form.get("slot"))
    except ValueError:
        return _render(
            booking, site, day=day, error="Please choose one of the free times.", status=400
        )
    try:
        result = get_bookings().reschedule(booking.public_id, new_start, _actor(booking))
    except NotFound as exc:
        raise _invalid_link() from exc
    except SlotTaken as exc:
        return _render(booking, site, day=day, error=str(exc), status=409)
    except NotAllowed as exc:
        raise PageError(409, "This booking can't be changed", str(exc)) from exc
    except BookingError as exc:
        return _render(booking, site, day=day, error=str(exc), status=400)
    moved = _when(result.booking.start, result.booking.visitor_tz)
    flash(f"Your booking has moved to {moved['date']} at {moved['time']}.", "success")
    return redirect(url_for("booking.manage", token=result.manage_token), code=303)


@bp.get("/b/<token>.ics")
def booking_file(token: str):
    """The booking as a calendar file (a CANCEL once cancelled, so calendars drop it)."""
    booking, site = _load(token)
    body = ics.booking_ics(booking, site, manage_url=get_bookings().manage_url(booking))
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="booking-{booking.public_id}.ics"'
    )
    return response
