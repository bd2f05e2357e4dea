"""The bookings section's blueprint and what its pages share: the site's services, the filters
of the query string, the staff member acting, and a booking looked up within the site."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, g, render_template, request
from sqlalchemy import select

from frontdesk.booking.hosts import site_hosts
from frontdesk.booking.zones import zone_label, zone_or_utc
from frontdesk.db.models import Booking, BookingHost, Service
from frontdesk.db.models.booking import CANCELLED, COMPLETED, CONFIRMED, NO_SHOW
from frontdesk.extensions import get_bookings, get_db
from frontdesk.staff.auth import current_staff, staff_actor  # noqa: F401  (booking pages use it)
from frontdesk.staff.booking_filters import FilterError, Filters, parse_filters
from frontdesk.staff.spans import moment_span

bp = Blueprint("bookings", __name__, url_prefix="/<site_key>/bookings")

STATUS_LABELS = {
    CONFIRMED: "Confirmed",
    COMPLETED: "Completed",
    NO_SHOW: "No-show",
    CANCELLED: "Cancelled",
}


@bp.app_template_filter("status_label")
def status_label(status: str) -> str:
    """A booking status in words ("no_show" is "No-show")."""
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


@bp.app_template_filter("zone_name")
def zone_name(tz_name: str | None) -> str:
    """A zone as people say it, for any dashboard page ("Europe/London" is "London time")."""
    return zone_label(tz_name)


@bp.app_template_filter("site_time")
def site_time(moment: datetime | None, site, fmt: str = "%a %-d %b %Y, %H:%M") -> str:
    """A stored UTC moment on the site's wall clock (the dashboard's one zone)."""
    return moment.astimezone(zone_or_utc(site.timezone)).strftime(fmt) if moment else ""


@bp.app_template_filter("time_span")
def time_span(start: datetime, end: datetime, owner) -> str:
    """A stored [start, end) on its owner's wall clock as people say it (whole days as days)."""
    return moment_span(start, end, zone_or_utc(owner.timezone))


def site_services(site_id: int) -> list[Service]:
    """All the site's services, withdrawn ones too: old bookings still use them."""
    with get_db().session() as session:
        query = select(Service).where(Service.site_id == site_id)
        return list(session.scalars(query.order_by(Service.position, Service.id)))


def request_filters(site, services: list[Service] | None = None) -> Filters:
    """Filters from the query string; a bad one raises FilterError (answered with 400)."""
    slugs = [s.slug for s in (services if services is not None else site_services(site.id))]
    keys = [key for key, _, _ in filter_hosts(site.id)]
    return parse_filters(request.args, slugs, keys)


@bp.app_context_processor
def _host_filter():
    return {"filter_hosts": filter_hosts}


def filter_hosts(site_id: int) -> list[tuple[str, str, bool]]:
    """The site's people for the bookings filter: (public id, name, is the signed-in user)."""
    staff = current_staff()
    with get_db().session() as session:
        people = site_hosts(session, site_id, active_only=False)
        return [(h.public_id, h.name, bool(staff and h.staff_id == staff.id)) for h in people]


def attendee_names(session, site_id: int, booking_ids: list[int]) -> dict[int, str]:
    """Booking id -> whom the visitor meets ("Mia Chen, Tom Reyes"), on a team only: a
    one-person site's host is the business itself (two queries, however many bookings)."""
    people = site_hosts(session, site_id, active_only=False)
    if len(people) <= 1 or not booking_ids:
        return {}
    names = {person.id: person.name for person in people}
    rows = session.execute(
        select(BookingHost.booking_id, BookingHost.host_id)
        .where(BookingHost.booking_id.in_(booking_ids))
        .order_by(BookingHost.id)
    )
    found: dict[int, list[str]] = {}
    for booking_id, host_id in rows:
        if host_id in names:
            found.setdefault(booking_id, []).append(names[host_id])
    return {booking_id: ", ".join(listed) for booking_id, listed in found.items()}


@bp.errorhandler(FilterError)
def bad_filter(exc: FilterError):
    """A bad filter or date in the query string: say which, on a dashboard page."""
    site = g.get("site")
    return render_template("staff/bookings_error.html", site=site, message=str(exc)), 400


def own_booking(site, public_id: str) -> Booking:
    """The booking, only when it belongs to this site (404 otherwise)."""
    booking = get_bookings().get(public_id)
    if booking is None or booking.site_id != site.id:
        abort(404)
    return booking
