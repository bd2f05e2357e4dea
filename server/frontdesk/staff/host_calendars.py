"""Staff dashboard: a host's calendars — connect CalDAV or an ICS feed, choose the busy and the
write calendars, replace the password, remove, sync now, and see last sync and errors."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from frontdesk import audit
from frontdesk.booking.hosts import site_hosts
from frontdesk.calendars import dashboard
from frontdesk.calendars.base import CalendarError
from frontdesk.db.models import CalendarConnection
from frontdesk.extensions import get_calendar_sync, get_db
from frontdesk.staff import roles
from frontdesk.staff.auth import current_role, current_staff, site_required, staff_actor

bp = Blueprint("calendars", __name__, url_prefix="/<site_key>/calendars")


def host_required(view):
    """The host must serve the signed-in user's site; a connection id must be the host's; a
    member may only reach their own calendars (the host linked to their account), admins any."""

    @site_required
    @wraps(view)
    def wrapped(*args, site, host_key, connection_id=None, **kwargs):
        with get_db().session() as session:
            host = dashboard.site_host(session, site.id, host_key)
            if host is None:
                abort(404)
            if not _may_manage(host):
                abort(403)
            session.expunge(host)
            if connection_id is not None:
                owner = session.scalar(
                    select(CalendarConnection.host_id).where(CalendarConnection.id == connection_id)
                )
                if owner != host.id:
                    abort(404)
                kwargs["connection_id"] = connection_id
        return view(*args, site=site, host=host, **kwargs)

    return wrapped


def _may_manage(host) -> bool:
    """Admins manage everyone's calendars; a member only their own."""
    return roles.at_least(current_role(), roles.ADMIN) or host.staff_id == current_staff().id


def _page(site, host):
    return url_for("staff.calendars.index", site_key=site.public_key, host_key=host.public_id)


def _record(site, action: str):
    """The audit entry of a change to a connection, for the change's own transaction."""

    def record(session, connection_id: int) -> None:
        audit.record(
            session,
            site_id=site.id,
            actor=staff_actor(),
            action=f"calendar.{action}",
            subject_type="calendar_connection",
            subject_id=str(connection_id),
            data={},
        )

    return record


@bp.get("/")
@site_required
def hosts(site):
    """The site's hosts, each with their calendars' state (a member sees only their own)."""
    db = get_db()
    with db.session() as session:
        people = [person for person in site_hosts(session, site.id) if _may_manage(person)]
        for person in people:
            session.expunge(person)
    rows = [(person, dashboard.host_status(db, person.id)) for person in people]
    return render_template("staff/calendar_hosts.html", site=site, rows=rows)


@bp.get("/<host_key>/")
@host_required
def index(site, host):
    """The host's connections, their status, and the connect form."""
    connections = dashboard.host_status(get_db(), host.id)
    return render_template(
        "staff/host_calendars.html", site=site, host=host, connections=connections
    )


@bp.post("/<host_key>/connect")
@host_required
def connect(site, host):
    """Check the account or feed live and save it; CalDAV goes on to choosing calendars."""
    form = request.form
    try:
        connection_id, _offered = dashboard.connect(
            get_calendar_sync(),
            get_db(),
            host.id,
            form.get("kind", ""),
            form.get("url", ""),
            form.get("username", ""),
            form.get("password", ""),
            also=_record(site, "connected"),
        )
    except (CalendarError, ValueError) as exc:
        flash(f"Not connected: {exc}", "error")
        return redirect(_page(site, host))
    if form.get("kind") == "ics":
        error = get_calendar_sync().refresh(connection_id)
        flash(error or "Subscribed; its busy times now count.", "error" if error else "success")
        return redirect(_page(site, host))
    flash("Connected. Choose which calendars count as busy and where bookings go.", "success")
    return redirect(
        url_for(
            "staff.calendars.choose",
            site_key=site.public_key,
            host_key=host.public_id,
            connection_id=connection_id,
        )
    )


@bp.route("/<host_key>/<int:connection_id>/choose", methods=["GET", "POST"])
@host_required
def choose(site, host, connection_id: int):
    """Pick the busy calendars and the one write calendar from the account's live list."""
    sync, db = get_calendar_sync(), get_db()
    if request.method == "POST":
        busy = request.form.getlist("busy")
        write = request.form.get("write") or None
        try:
            error = dashboard.choose(sync, db, connection_id, busy, write)
        except (CalendarError, ValueError) as exc:
            flash(f"Not saved: {exc}", "error")
            return redirect(request.path)
        flash(error or "Saved and synced.", "error" if error else "success")
        return redirect(_page(site, host))
    try:
        offered = dashboard.offered_calendars(sync, db, connection_id)
    except CalendarError as exc:
        flash(f"The calendars could not be listed: {exc}", "error")
        return redirect(_page(site, host))
    with db.session() as session:
        row = session.get(CalendarConnection, connection_id)
        chosen = {source.calendar_id for source in row.sources}
        write_id = row.write_calendar_id
    return render_template(
        "staff/calendar_choose.html",
        site=site,
        host=host,
        connection_id=connection_id,
        offered=offered,
        chosen=chosen,
        write_id=write_id,
    )


@bp.post("/<host_key>/<int:connection_id>/password")
@host_required
def password(site, host, connection_id: int):
    """Replace the stored app password (checked against the server first)."""
    try:
        dashboard.new_password(
            get_calendar_sync(),
            get_db(),
            connection_id,
            request.form.get("password", ""),
            also=_record(site, "password_replaced"),
        )
    except (CalendarError, ValueError) as exc:
        flash(f"Password not changed: {exc}", "error")
    else:
        flash("Password replaced.", "success")
    return redirect(_page(site, host))


@bp.post("/<host_key>/<int:connection_id>/remove")
@host_required
def remove(site, host, connection_id: int):
    """Forget the connection, its password and busy times."""
    dashboard.remove(get_db(), connection_id, also=_record(site, "removed"))
    flash("Calendar removed; its busy times no longer count.", "success")
    return redirect(_page(site, host))


@bp.post("/<host_key>/<int:connection_id>/sync")
@host_required
def sync_now(site, host, connection_id: int):
    """Fetch the busy calendars now."""
    error = get_calendar_sync().refresh(connection_id)
    flash(error or "Synced.", "error" if error else "success")
    current_app.logger.info("calendar %s synced by staff", connection_id)
    return redirect(_page(site, host))
