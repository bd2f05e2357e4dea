"""Staff dashboard: the E-mail page, a delivery log of every message the outbox queued or sent
(to, subject, state, attempts, last error), each message's text and attachments, and a retry."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from frontdesk import audit
from frontdesk.booking import mail_log
from frontdesk.booking.zones import zone_label, zone_or_utc
from frontdesk.extensions import get_db
from frontdesk.staff.auth import site_required, staff_actor
from frontdesk.staff.mail_state import mail_state

bp = Blueprint("email", __name__, url_prefix="/<site_key>/email")


@bp.get("/")
@site_required
def index(site):
    """The site's e-mails, newest first, filtered by state, 50 a page."""
    status = request.args.get("status") or None
    status = status if status in mail_log.FILTERS else None
    before = request.args.get("before", type=int)
    with get_db().session() as session:
        rows, next_before = mail_log.log_page(session, site.id, status=status, before=before)
        counts = mail_log.counts(session, site.id)
    return render_template(
        "staff/email.html",
        site=site,
        rows=rows,
        next_before=next_before,
        status=status,
        counts=counts,
        states=mail_log.STATES,
        state_of=mail_log.state_of,
        tz=zone_or_utc(site.timezone),
        zone_name=zone_label(site.timezone),
        mail=mail_state(current_app.config),
    )


@bp.get("/<int:email_id>")
@site_required
def message(site, email_id: int):
    """One e-mail: its state, headers, text and attachments."""
    with get_db().session() as session:
        row = mail_log.one(session, site.id, email_id)
        if row is None:
            abort(404)
        reading = mail_log.read(row.message)
        session.expunge(row)
    return render_template(
        "staff/email_message.html",
        site=site,
        row=row,
        reading=reading,
        state=mail_log.state_of(row),
        states=mail_log.STATES,
        tz=zone_or_utc(site.timezone),
        zone_name=zone_label(site.timezone),
    )


@bp.get("/<int:email_id>/attachments/<int:index>")
@site_required
def attachment(site, email_id: int, index: int):
    """Download one attachment (always as a file, never shown inline)."""
    with get_db().session() as session:
        row = mail_log.one(session, site.id, email_id)
        found = mail_log.attachment_bytes(row.message, index) if row is not None else None
    if found is None:
        abort(404)
    filename, content_type, data = found
    safe_name = "".join(ch for ch in filename if ch.isalnum() or ch in "._-") or "attachment"
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    return response


@bp.post("/<int:email_id>/retry")
@site_required
def retry(site, email_id: int):
    """Queue a failed e-mail again (after the address or the server was fixed)."""
    with get_db().transaction() as session:
        done = mail_log.retry(session, site.id, email_id)
        if done:
            audit.record(
                session,
                site_id=site.id,
                actor=staff_actor(),
                action="email.retried",
                subject_type="email",
                subject_id=str(email_id),
            )
    mailer = current_app.extensions.get("frontdesk.mailer")
    if done and mailer is not None:
        mailer.wake()
    if done:
        flash("The e-mail is queued again and will be sent in a moment.", "success")
    else:
        flash("Only a failed e-mail can be sent again.", "error")
    return redirect(url_for("staff.email.message", site_key=site.public_key, email_id=email_id))
