"""The visitor's manage page (/b/<token>) and its .ics file."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from frontdesk.audit import Actor
from frontdesk.booking import ics, links, manage_view
from frontdesk.booking.errors import BookingError, NotAllowed, NotFound, SlotTaken
from frontdesk.booking.lookups import visitor_lang
from frontdesk.booking.service import BookingRequest
from frontdesk.booking.time_words import english_clock
from frontdesk.booking.validation import parse_day, parse_slot
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


def _lang(booking: Booking) -> str:
    """The manage page is in English, in the clock style of the visitor's language."""
    with get_db().session() as session:
        return english_clock(visitor_lang(session, booking))


def _render(booking: Booking, site: Site, *, day=None, error: str = "", status: int = 200):
    """The manage page for a booking, with an optional error message: a day picker to move an
    open booking, or to book again once it is cancelled or over."""
    lang = _lang(booking)
    context = {
        "booking": booking,
        "site": site,
        "token": request.view_args["token"],
        **manage_view.times(booking, site, lang),
        "cancelled": booking.status == CANCELLED,
        "is_open": _is_open(booking),
        "error": error,
    }
    context["picker"] = manage_view.slot_choices(get_bookings(), booking, site, day, lang, utcnow())
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
    """Move the booking to the chosen slot and show it (the link stays the same)."""
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
    moved = manage_view.when(result.booking.start, result.booking.visitor_tz, _lang(booking))
    flash(f"Your booking has moved to {moved['date']} at {moved['time']}.", "success")
    return redirect(url_for("booking.manage", token=result.manage_token), code=303)


@bp.post("/b/<token>/new-link")
def new_link(token: str):
    """Revoke this link (and every earlier one) and e-mail a new one to the booking's address:
    for a visitor who forwarded the link by mistake. The new link is not shown here."""
    booking, _site = _load(token)
    if not booking.email:
        raise PageError(
            409, "No e-mail address", "This booking has no e-mail address to send a new link to."
        )
    try:
        links.renew_link(get_bookings(), booking.public_id, _actor(booking))
    except NotFound as exc:
        raise _invalid_link() from exc
    return render_template(
        "booking/error.html",
        title="A new link is on its way",
        message="We sent a new link to the e-mail address of this booking. "
        "This link no longer works.",
    )


@bp.post("/b/<token>/book")
def book_again(token: str):
    """Book the same service again, for the same person, once this booking is cancelled or over
    (the new booking gets its own manage link)."""
    booking, site = _load(token)
    if _is_open(booking):
        raise PageError(409, "This booking still stands", "Reschedule it instead.")
    try:
        day = parse_day(request.form.get("day"))
    except ValueError:
        day = None
    try:
        start = parse_slot(request.form.get("slot"))
    except ValueError:
        return _render(
            booking, site, day=day, error="Please choose one of the free times.", status=400
        )
    again = BookingRequest(
        service=booking.service.slug,
        start=start,
        name=booking.visitor_name,
        email=booking.email,
        phone=booking.phone,
        visitor_tz=booking.visitor_tz,
        visitor_id=booking.visitor_id,
        # A double submit of the same time books once.
        idempotency_key=f"again:{booking.public_id}:{start.astimezone(UTC).isoformat()}",
    )
    try:
        result = get_bookings().create(site.id, again, _actor(booking))
    except SlotTaken as exc:
        return _render(booking, site, day=day, error=str(exc), status=409)
    except BookingError as exc:
        return _render(booking, site, day=day, error=str(exc), status=400)
    flash("You're booked again. This is your new booking.", "success")
    return redirect(url_for("booking.manage", token=result.manage_token), code=303)


@bp.get("/b/<token>/theme.css")
def theme(token: str):
    """The site's colours for its manage page."""
    _booking, site = _load(token)
    return Response(manage_view.theme_css(site.appearance), content_type="text/css; charset=utf-8")


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
