"""Staff dashboard: the site's hosts — add people, their details, hours, date overrides and time
off, which services they offer and how, and each person's private iCal feed."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from frontdesk import audit
from frontdesk.booking import host_admin as admin
from frontdesk.booking.errors import BookingError, InvalidBooking
from frontdesk.booking.hosts import offered_by, site_hosts
from frontdesk.booking.validation import parse_day
from frontdesk.db.models import HostTimeOff, Service, StaffUser
from frontdesk.extensions import get_db
from frontdesk.staff.auth import admin_required, staff_actor

bp = Blueprint("hosts", __name__, url_prefix="/<site_key>/hosts")

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ASSIGNMENT_LABELS = {
    "round_robin": "Any available person (round-robin)",
    "chosen": "The visitor chooses the person",
    "collective": "All of them together",
}


def _record(session, site, action: str, subject: str, data=None, kind: str = "host") -> None:
    """Audit a change to people in `session`: it commits (or not) with the change itself."""
    audit.record(
        session,
        site_id=site.id,
        actor=staff_actor(),
        action=f"host.{action}",
        subject_type=kind,
        subject_id=subject,
        data=data or {},
    )


def with_host(view):
    """The host (by public id) must work for the signed-in user's site; 404 otherwise."""

    @admin_required
    @wraps(view)
    def wrapped(*args, site, host_key, **kwargs):
        with get_db().session() as session:
            if admin.site_host(session, site.id, host_key) is None:
                abort(404)
        return view(*args, site=site, host_key=host_key, **kwargs)

    return wrapped


def _day(raw: str | None, field: str):
    """A YYYY-MM-DD form field (None when blank); InvalidBooking when it isn't a date."""
    try:
        return parse_day(raw)
    except ValueError:
        raise InvalidBooking("Choose a date like 2026-12-01.", field=field) from None


def _change(site, host_key: str, work, message: str, *, typed: dict | None = None):
    """Run `work(session, host)` in one transaction; a BookingError is shown, not raised (with
    `typed`, the weekly hours as submitted, the page is shown again with them kept)."""
    try:
        with get_db().transaction() as session:
            work(session, admin.site_host(session, site.id, host_key))
            _record(session, site, "changed", host_key, {"what": message})
    except BookingError as exc:
        flash(exc.message, "error")
        if typed is not None:
            return _person_page(site, host_key, typed), 400
    else:
        flash(message, "success")
    return redirect(url_for("staff.hosts.person", site_key=site.public_key, host_key=host_key))


@bp.get("/")
@admin_required
def index(site):
    """The site's people, the services they offer, and the add-a-person form."""
    with get_db().session() as session:
        people = site_hosts(session, site.id, active_only=False)
        services = list(
            session.scalars(
                select(Service).where(Service.site_id == site.id).order_by(Service.position)
            )
        )
        teams = offered_by(session, site.id)
        named = {s.id: {link.host_id for link in s.host_links} for s in services}
        session.expunge_all()
    return render_template(
        "staff/hosts.html",
        site=site,
        people=people,
        services=services,
        teams=teams,
        named=named,
        labels=ASSIGNMENT_LABELS,
    )


@bp.post("/")
@admin_required
def add(site):
    """Add a person (they work the site's opening hours until given hours of their own)."""
    form = request.form
    try:
        with get_db().transaction() as session:
            host = admin.create_host(
                session, site, form.get("name", ""), form.get("email", ""), site.timezone
            )
            key = host.public_id
            _record(session, site, "added", key)
    except BookingError as exc:
        flash(exc.message, "error")
        return redirect(url_for("staff.hosts.index", site_key=site.public_key))
    flash("Person added.", "success")
    return redirect(url_for("staff.hosts.person", site_key=site.public_key, host_key=key))


@bp.post("/services/<int:service_id>")
@admin_required
def team(site, service_id: int):
    """Which people offer a service and how they share it."""
    keys = request.form.getlist("hosts")
    try:
        with get_db().transaction() as session:
            service = session.get(Service, service_id)
            if service is None or service.site_id != site.id:
                abort(404)
            ids = []
            for key in keys:
                host = admin.site_host(session, site.id, key)
                if host is None:
                    abort(404)
                ids.append(host.id)
            assignment = request.form.get("assignment", "")
            admin.set_service_team(session, service, assignment, ids)
            _record(session, site, "team_changed", service.slug,
                    {"hosts": keys, "assignment": assignment}, kind="service")  # fmt: skip
    except BookingError as exc:
        flash(exc.message, "error")
    else:
        flash("Saved who offers the service.", "success")
    return redirect(url_for("staff.hosts.index", site_key=site.public_key))


@bp.get("/<host_key>/")
@with_host
def person(site, host_key):
    """One person: details, hours, date overrides, time off, services and their feed."""
    return _person_page(site, host_key)


def _person_page(site, host_key: str, typed: dict | None = None):
    """The person's page; `typed` (day -> text) stands in for their stored weekly hours."""
    with get_db().session() as session:
        host = admin.site_host(session, site.id, host_key)
        weekly = {day: [] for day in range(7)}
        for row in host.weekly_hours:
            weekly[row.weekday].append(f"{row.start_time:%H:%M}-{row.end_time:%H:%M}")
        overrides = list(host.date_overrides)
        time_off = list(host.time_off)
        staff = session.get(StaffUser, host.staff_id) if host.staff_id else None
        teams = offered_by(session, site.id)
        offers = [
            s.name
            for s in session.scalars(select(Service).where(Service.site_id == site.id))
            if host in teams.get(s.id, [])
        ]
        session.expunge_all()
    feed = url_for("calendar_feed.host_feed", secret=host.feed_secret, _external=True)
    return render_template(
        "staff/host.html",
        site=site,
        host=host,
        days=DAYS,
        weekly=typed or {day: ", ".join(ranges) for day, ranges in weekly.items()},
        overrides=overrides,
        time_off=time_off,
        staff_email=staff.email if staff else "",
        offers=offers,
        feed_url=feed,
    )


@bp.post("/<host_key>/details")
@with_host
def details(site, host_key):
    """Name, e-mail, time zone, staff account and whether they take bookings."""
    form = request.form

    def work(session, host):
        admin.update_details(
            session,
            host,
            name=form.get("name", ""),
            email=form.get("email", ""),
            timezone=form.get("timezone", ""),
            staff_email=form.get("staff_email", ""),
            active=form.get("active") == "1",
        )

    return _change(site, host_key, work, "Details saved.")


@bp.post("/<host_key>/hours")
@with_host
def hours(site, host_key):
    """Weekly hours, one line per day ("09:00-12:00, 13:00-17:00"); all blank: site hours."""
    weekly = {}
    typed = {day: request.form.get(f"day{day}", "") for day in range(7)}

    def work(session, host):
        for day in range(7):
            ranges = admin.parse_ranges(typed[day], field=f"day{day}")
            if ranges:
                weekly[day] = ranges
        admin.set_weekly_hours(host, weekly)

    return _change(site, host_key, work, "Hours saved.", typed=typed)


@bp.post("/<host_key>/overrides")
@with_host
def override(site, host_key):
    """Special hours on one date (blank hours: not working that day)."""

    def work(session, host):
        day = _day(request.form.get("day"), "day")
        if day is None:
            raise InvalidBooking("Choose a date.", field="day")
        ranges = admin.parse_ranges(request.form.get("hours", ""), field="hours")
        admin.set_date_override(host, day, ranges, request.form.get("note", ""))

    return _change(site, host_key, work, "Date saved.")


@bp.post("/<host_key>/time-off")
@with_host
def time_off(site, host_key):
    """Whole days off (first to last day, in the person's time zone)."""

    def work(session, host):
        first, last = (
            _day(request.form.get("first"), "first"),
            _day(request.form.get("last"), "last"),
        )
        if first is None:
            raise InvalidBooking("Choose the first day off.", field="first")
        admin.add_time_off(host, first, last or first, request.form.get("note", ""))

    return _change(site, host_key, work, "Time off added.")


@bp.post("/<host_key>/time-off/<int:off_id>/delete")
@with_host
def remove_time_off(site, host_key, off_id: int):
    """Take a time off away again."""

    def work(session, host):
        row = session.get(HostTimeOff, off_id)
        if row is None or row.host_id != host.id:
            abort(404)
        session.delete(row)

    return _change(site, host_key, work, "Time off removed.")
