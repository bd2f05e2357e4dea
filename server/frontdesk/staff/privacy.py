"""Staff dashboard: find, export and erase one visitor's data; the site's retention period."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from frontdesk import audit
from frontdesk import privacy as domain
from frontdesk.db.models import Site
from frontdesk.extensions import get_db
from frontdesk.staff.auth import admin_required, staff_actor

bp = Blueprint("privacy", __name__, url_prefix="/<site_key>/privacy")

MAX_RETENTION_DAYS = 3650


def _hash_key() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode()


def _retention(site_id: int) -> int | None:
    with get_db().session() as session:
        return session.get(Site, site_id).retention_days


def _page(site, *, found=None, address: str = "", error: str = "", status: int = 200):
    return (
        render_template(
            "staff/privacy.html",
            site=site,
            found=found,
            address=address,
            error=error,
            retention_days=_retention(site.id),
            max_retention=MAX_RETENTION_DAYS,
        ),
        status,
    )


@bp.get("/")
@admin_required
def index(site):
    """The privacy page: look a visitor up, retention setting."""
    return _page(site)


@bp.post("/lookup")
@admin_required
def lookup(site):
    """What the site holds for an address (POST keeps the address out of URLs and logs)."""
    try:
        address = domain.visitor_address(request.form.get("email", ""))
    except domain.PrivacyError as exc:
        return _page(site, error=str(exc), status=400)
    with get_db().session() as session:
        bookings = domain.visitor_bookings(session, site.id, address)
        conversations = domain.visitor_conversation_ids(session, site.id, address, bookings)
    found = {"bookings": len(bookings), "conversations": len(conversations)}
    return _page(site, found=found, address=address)


@bp.post("/export")
@admin_required
def export(site):
    """Download one visitor's bookings and transcripts as JSON."""
    try:
        address = domain.visitor_address(request.form.get("email", ""))
    except domain.PrivacyError as exc:
        return _page(site, error=str(exc), status=400)
    with get_db().transaction() as session:
        data = domain.export_visitor(session, site.id, address)
        audit.record(
            session,
            site_id=site.id,
            actor=staff_actor(),
            action="privacy.exported",
            subject_type="visitor",
            subject_id=domain.email_digest(address, _hash_key())[:64],
        )
    body = json.dumps(data, indent=2, ensure_ascii=False)
    response = Response(body, content_type="application/json; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="visitor-data.json"'
    return response


@bp.post("/erase")
@admin_required
def erase(site):
    """Erase a visitor's data after they typed the address twice."""
    try:
        address = domain.visitor_address(request.form.get("email", ""))
        confirm = domain.visitor_address(request.form.get("confirm", ""))
    except domain.PrivacyError as exc:
        return _page(site, error=str(exc), status=400)
    if address != confirm:
        error = "The two addresses differ; nothing was deleted. Type the address again to confirm."
        return _page(site, address=address, error=error, status=400)
    with get_db().write_transaction() as session:
        report = domain.erase_visitor(
            session, site.id, address, staff_actor(), hash_key=_hash_key()
        )
    flash(
        f"Deleted: {report.bookings} booking(s) anonymised, {report.conversations} "
        f"conversation(s) and {report.messages} message(s) removed, {report.emails} e-mail(s) "
        f"and {report.questions} question(s) deleted.",
        "success",
    )
    return redirect(url_for(".index", site_key=site.public_key), code=303)


@bp.post("/retention")
@admin_required
def retention(site):
    """Set how many days transcripts are kept (blank: keep them)."""
    raw = request.form.get("retention_days", "").strip()
    days: int | None = None
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_RETENTION_DAYS:
            error = f"Retention must be a whole number of days from 1 to {MAX_RETENTION_DAYS}."
            return _page(site, error=error, status=400)
        days = int(raw)
    with get_db().transaction() as session:
        stored = session.get(Site, site.id)
        before = stored.retention_days
        stored.retention_days = days
        audit.record(
            session,
            site_id=site.id,
            actor=staff_actor(),
            action="privacy.retention",
            subject_type="site",
            subject_id=site.public_key,
            data={"from": before, "to": days},
        )
    flash("Retention saved." if days else "Transcripts are now kept until deleted.", "success")
    return redirect(url_for(".index", site_key=site.public_key), code=303)
