"""The visitor's manage page (/b/<token>) and its .ics file."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from frontdesk import i18n
from frontdesk.audit import Actor
from frontdesk.booking import links, manage_view
from frontdesk.booking.errors import BookingError, NotAllowed, NotFound, SlotTaken
from frontdesk.booking.manage_words import closed_words, error_words, page_lang, words
from frontdesk.booking.service import BookingRequest
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


class PageError(Exception):
    """Stop handling a request and show the error page with this status (its words in `lang`)."""

    def __init__(self, status: int, title: str, message: str, lang: str = i18n.DEFAULT) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.lang = status, title, message, lang


def _said(status: int, title: str, message: str, lang: str, said: str = "") -> PageError:
    """A PageError from the names of our sentences (frontdesk.i18n), or with `said` as message."""
    return PageError(status, i18n.text(lang, title), said or i18n.text(lang, message), lang)


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
    return _error_page(exc.lang, exc.title, exc.message), exc.status


def _error_page(lang: str, title: str, message: str) -> str:
    return render_template(
        "booking/error.html",
        title=title,
        message=message,
        page_lang=i18n.resolve(lang),
        t=words(lang),
    )


@bp.errorhandler(CSRFError)
def csrf_error(_exc: CSRFError):
    """A form without a valid CSRF token (expired page or forged request), in the language of
    the booking its link names (the browser's when the link is not valid)."""
    token = (request.view_args or {}).get("token")
    lang = page_lang(get_bookings().by_token(token) if isinstance(token, str) else None)
    t = words(lang)
    return _error_page(lang, t("manageExpiredTitle"), t("manageExpiredText")), 400


def _invalid_link(lang: str | None = None) -> PageError:
    lang = lang or page_lang(None)
    return _said(404, "manageInvalidTitle", "manageInvalidText", lang)


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


def _render(booking: Booking, site: Site, *, day=None, error: str = "", status: int = 200):
    """The manage page for a booking, in the visitor's language, with an optional error message:
    a day picker to move an open booking, or to book again once it is cancelled or over."""
    lang = page_lang(booking)
    context = {
        "page_lang": i18n.resolve(lang),
        "t": words(lang),
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


def _refuse_if_cancelled(booking: Booking, lang: str) -> None:
    if booking.status == CANCELLED:
        raise _said(409, "manageCancelledTitle", "manageCancelledText", lang)


def _not_allowed(booking: Booking, lang: str, exc: NotAllowed) -> PageError:
    said = str(exc) if i18n.is_english(lang) else closed_words(booking, lang)
    return _said(409, "manageClosedTitle", "", lang, said=said)


# -- the visitor's pages --------------------------------------------------------------------------


@bp.get("/b/<token>")
def manage(token: str):
    """The manage page: details in both time zones, reschedule and cancel forms."""
    booking, site = _load(token)
    try:
        day = parse_day(request.args.get("day"))
    except ValueError:
        error = i18n.text(page_lang(booking), "manageBadDay")
        return _render(booking, site, error=error, status=400)
    return _render(booking, site, day=day)


@bp.post("/b/<token>/cancel")
def cancel(token: str):
    """Cancel the booking, then show the page again (post/redirect/get)."""
    booking, site = _load(token)
    lang = page_lang(booking)
    _refuse_if_cancelled(booking, lang)
    reason = request.form.get("reason", "")
    try:
        get_bookings().cancel(booking.public_id, _actor(booking), reason=reason)
    except NotFound as exc:
        raise _invalid_link(lang) from exc
    except NotAllowed as exc:
        raise _not_allowed(booking, lang, exc) from exc
    except BookingError as exc:
        return _render(booking, site, error=error_words(exc, booking, lang), status=400)
    flash(i18n.text(lang, "manageFlashCancelled"), "success")
    return redirect(url_for("booking.manage", token=token), code=303)


@bp.post("/b/<token>/reschedule")
def reschedule(token: str):
    """Move the booking to the chosen slot and show it (the link stays the same)."""
    booking, site = _load(token)
    lang = page_lang(booking)
    _refuse_if_cancelled(booking, lang)
    day, new_start = _chosen(request.form)
    if new_start is None:
        error = i18n.text(lang, "manageChooseTime")
        return _render(booking, site, day=day, error=error, status=400)
    try:
        result = get_bookings().reschedule(booking.public_id, new_start, _actor(booking))
    except NotFound as exc:
        raise _invalid_link(lang) from exc
    except NotAllowed as exc:
        raise _not_allowed(booking, lang, exc) from exc
    except BookingError as exc:
        status = 409 if isinstance(exc, SlotTaken) else 400
        return _render(booking, site, day=day, error=error_words(exc, booking, lang), status=status)
    moved = manage_view.when(result.booking.start, result.booking.visitor_tz, lang)
    flash(i18n.text(lang, "manageFlashMoved", date=moved["date"], time=moved["time"]), "success")
    return redirect(url_for("booking.manage", token=result.manage_token), code=303)


def _chosen(form) -> tuple[date | None, datetime | None]:
    """The picker's day and the chosen slot of a form; None for either that is missing or bad."""
    try:
        day = parse_day(form.get("day"))
    except ValueError:
        day = None
    try:
        return day, parse_slot(form.get("slot"))
    except ValueError:
        return day, None


@bp.post("/b/<token>/new-link")
def new_link(token: str):
    """Revoke this link (and every earlier one) and e-mail a new one to the booking's address:
    for a visitor who forwarded the link by mistake. The new link is not shown here."""
    booking, _site = _load(token)
    lang = page_lang(booking)
    if not booking.email:
        raise _said(409, "manageNoEmailTitle", "manageNoEmailText", lang)
    try:
        links.renew_link(get_bookings(), booking.public_id, _actor(booking))
    except NotFound as exc:
        raise _invalid_link(lang) from exc
    t = words(lang)
    return _error_page(lang, t("manageLinkSentTitle"), t("manageLinkSentText"))


@bp.post("/b/<token>/book")
def book_again(token: str):
    """Book the same service again, for the same person, once this booking is cancelled or over
    (the new booking gets its own manage link, and the first one's conversation: its language)."""
    booking, site = _load(token)
    lang = page_lang(booking)
    if _is_open(booking):
        raise _said(409, "manageStandsTitle", "manageStandsText", lang)
    day, start = _chosen(request.form)
    if start is None:
        error = i18n.text(lang, "manageChooseTime")
        return _render(booking, site, day=day, error=error, status=400)
    again = BookingRequest(
        service=booking.service.slug,
        start=start,
        name=booking.visitor_name,
        email=booking.email,
        phone=booking.phone,
        visitor_tz=booking.visitor_tz,
        visitor_id=booking.visitor_id,
        conversation_id=booking.conversation_id,
        # A double submit of the same time books once.
        idempotency_key=f"again:{booking.public_id}:{start.astimezone(UTC).isoformat()}",
    )
    try:
        result = get_bookings().create(site.id, again, _actor(booking))
    except BookingError as exc:
        status = 409 if isinstance(exc, SlotTaken) else 400
        return _render(booking, site, day=day, error=error_words(exc, booking, lang), status=status)
    flash(i18n.text(lang, "manageFlashAgain"), "success")
    return redirect(url_for("booking.manage", token=result.manage_token), code=303)


@bp.get("/b/<token>/theme.css")
def theme(token: str):
    """The site's colours for its manage page."""
    _booking, site = _load(token)
    return Response(manage_view.theme_css(site.appearance), content_type="text/css; charset=utf-8")


@bp.get("/b/<token>.ics")
def booking_file(token: str):
    """The booking as a calendar file (a CANCEL once cancelled, so calendars drop it)."""
    from frontdesk.booking import ics  # icalendar: not at a server's start

    booking, site = _load(token)
    body = ics.booking_ics(booking, site, manage_url=get_bookings().manage_url(booking))
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="booking-{booking.public_id}.ics"'
    )
    return response
