"""The staff iCal feeds: a site's bookings (/calendar/<secret>.ics) and one person's from every
site (/calendar/host/<secret>.ics), for calendar apps."""

from __future__ import annotations

import hmac
import re
from datetime import timedelta

from flask import Blueprint, Response
from sqlalchemy import and_, or_, select

from frontdesk.booking.views import PageError, page_error, security_headers
from frontdesk.db.models import Booking, BookingHost, Host, Site
from frontdesk.db.models.booking import CANCELLED, CONFIRMED, OUTCOMES
from frontdesk.db.types import utcnow
from frontdesk.extensions import get_db

bp = Blueprint("calendar_feed", __name__)
# The same headers and error page as the visitor's pages: the secret is in the URL too.
bp.after_request(security_headers)
bp.register_error_handler(PageError, page_error)

FEED_HISTORY = timedelta(days=30)
FEED_LIMIT = 5000
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _site_by_secret(secret: str) -> Site | None:
    # Secrets are URL-safe tokens; anything else (NUL bytes, say) never reaches the database.
    if not SECRET_RE.fullmatch(secret):
        return None
    with get_db().session() as session:
        site = session.scalars(select(Site).where(Site.calendar_secret == secret)).first()
    # The indexed look-up finds the row; the constant-time check is what grants access.
    if site is None or not hmac.compare_digest(site.calendar_secret.encode(), secret.encode()):
        return None
    return site


def _host_by_secret(secret: str) -> Host | None:
    if not SECRET_RE.fullmatch(secret):
        return None
    with get_db().session() as session:
        host = session.scalars(select(Host).where(Host.feed_secret == secret)).first()
    if host is None or not hmac.compare_digest(host.feed_secret.encode(), secret.encode()):
        return None
    return host


def _standing(since):
    """Bookings that stand (confirmed, completed, no-show) and end after `since`, and
    cancellations made after it."""
    return or_(
        and_(Booking.status.in_((CONFIRMED, *OUTCOMES)), Booking.end >= since),
        and_(Booking.status == CANCELLED, Booking.updated_at >= since),
    )


def _feed_bookings(site: Site) -> list[Booking]:
    """Bookings that stand (confirmed, completed, no-show) from the last 30 days on, and
    cancellations of the last 30 days."""
    since = utcnow() - FEED_HISTORY
    query = (
        select(Booking)
        .where(
            Booking.site_id == site.id,
            _standing(since),
        )
        .order_by(Booking.start)
        .limit(FEED_LIMIT)
    )
    with get_db().session() as session:
        return list(session.scalars(query))


@bp.get("/calendar/<secret>.ics")
def staff_feed(secret: str):
    """The site's bookings as a subscribable calendar; the secret in the URL is the key."""
    from frontdesk.booking import ics  # icalendar: not at a server's start

    site = _site_by_secret(secret)
    if site is None:
        raise PageError(404, "Not found", "There is no calendar at this address.")
    body = ics.calendar_feed(site, _feed_bookings(site))
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = 'inline; filename="bookings.ics"'
    return response


@bp.get("/calendar/host/<secret>.ics")
def host_feed(secret: str):
    """One person's bookings from every site they work for, as a subscribable calendar."""
    from frontdesk.booking import ics  # icalendar: not at a server's start

    host = _host_by_secret(secret)
    if host is None:
        raise PageError(404, "Not found", "There is no calendar at this address.")
    since = utcnow() - FEED_HISTORY
    query = (
        select(Booking, Site)
        .join(Site, Site.id == Booking.site_id)
        .join(BookingHost, BookingHost.booking_id == Booking.id)
        .where(BookingHost.host_id == host.id, _standing(since))
        .order_by(Booking.start)
        .limit(FEED_LIMIT)
    )
    with get_db().session() as session:
        rows = [(booking, site) for booking, site in session.execute(query)]
    response = Response(ics.host_feed(host, rows), content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = 'inline; filename="bookings.ics"'
    return response
