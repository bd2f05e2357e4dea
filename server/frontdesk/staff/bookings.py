"""Staff dashboard: the bookings list, its CSV export and the iCal feed's address. The time grid,
one booking's page and the add forms are in booking_calendar, booking_detail and booking_new."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from frontdesk import audit
from frontdesk.booking.zones import zone_label, zone_or_utc
from frontdesk.db.models import Booking, Site
from frontdesk.db.types import utcnow
from frontdesk.extensions import get_db
from frontdesk.sites import new_calendar_secret
from frontdesk.staff import booking_calendar, booking_detail, booking_new  # noqa: F401 (routes)
from frontdesk.staff.auth import site_required
from frontdesk.staff.booking_common import (
    attendee_names,
    bp,
    request_filters,
    site_services,
    staff_actor,
)
from frontdesk.staff.booking_csv import EXPORT_LIMIT, csv_text
from frontdesk.staff.booking_filters import STATUSES, booking_query, booking_rows

__all__ = ["bp"]

PAGE_SIZE = 50
MAX_PAGE = 100_000  # past the last page the list is empty; a huge number must not overflow


def _feed_url(secret: str) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/calendar/{secret}.ics"


def _current_secret(site_id: int) -> str:
    with get_db().session() as session:
        return session.scalar(select(Site.calendar_secret).where(Site.id == site_id))


@bp.get("/")
@site_required
def index(site):
    """Upcoming bookings (or the filtered date range), a page at a time, and the calendar
    feed link."""
    tz = zone_or_utc(site.timezone)
    services = site_services(site.id)
    filters = request_filters(site, services)
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    query = booking_rows(site.id, filters, tz)
    if not filters.start and not filters.end:
        query = query.where(Booking.end >= utcnow())
    query = query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    with get_db().session() as session:
        rows = session.execute(query).all()
        attendees = attendee_names(session, site.id, [row.id for row in rows[:PAGE_SIZE]])
    return render_template(
        "staff/bookings.html",
        site=site,
        tz=tz,
        zone_name=zone_label(site.timezone),
        bookings=rows[:PAGE_SIZE],
        attendees=attendees,
        page=page,
        first=(page - 1) * PAGE_SIZE + 1,
        more=len(rows) > PAGE_SIZE,
        filters=filters,
        services=services,
        statuses=STATUSES,
        feed_url=_feed_url(_current_secret(site.id)),
    )


@bp.get("/export.csv")
@site_required
def export(site):
    """The filtered bookings (all dates unless narrowed) as a CSV download."""
    tz = zone_or_utc(site.timezone)
    filters = request_filters(site)
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
            actor=staff_actor(),
            action="calendar.rotated",
            subject_type="site",
            subject_id=site.public_key,
        )
    flash("The calendar feed has a new address. Update your calendar subscription.", "success")
    return redirect(url_for(".index", site_key=site.public_key), code=303)
