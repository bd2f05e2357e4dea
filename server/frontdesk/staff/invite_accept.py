"""The invitation link's page: the invitee sets their name and password (same rules as every
account) and is signed in. Someone who already has an account on this server (on another site)
proves it with that account's password instead: an invitation never sets an existing password.
An expired, used, revoked or unknown link gets a page saying which, and what to do."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError

from frontdesk import audit
from frontdesk.db.models import Site, StaffInvitation, StaffUser
from frontdesk.db.types import utcnow
from frontdesk.extensions import get_db
from frontdesk.staff import invitations, roles
from frontdesk.staff.accounts import (
    AccountError,
    app_hasher,
    authenticate,
    check_password_strength,
    grant_site,
    staff_by_email,
)
from frontdesk.staff.auth import client_ip, current_staff, sign_in
from frontdesk.staff.throttle import known_device, remember_device, throttle

bp = Blueprint("invite", __name__, url_prefix="/invite")

CLOSED = {
    invitations.EXPIRED: (
        410, "This invitation has expired",
        "Invitation links work for a limited time. Ask whoever invited you to send a new one.",
    ),
    invitations.USED: (
        410, "This invitation was already accepted",
        "Each invitation link works once. If it was you, sign in with the password you chose.",
    ),
    invitations.REVOKED: (
        410, "This invitation is no longer valid",
        "It was withdrawn, or a newer invitation replaced it: use the link in the latest "
        "invitation e-mail, or ask for a new one.",
    ),
    invitations.UNKNOWN: (
        404, "This invitation link does not work",
        "Check that you opened the whole link from the e-mail, or ask for a new invitation.",
    ),
}  # fmt: skip


class Refused(Exception):
    """The form cannot be accepted as sent; the page is shown again with this status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@bp.route("/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Show the invitation (or why it does not work), and accept it."""
    with get_db().session() as session:
        invitation = invitations.look_up(session, token)
        state = invitations.state_of(invitation, utcnow())
        if state != invitations.VALID:
            return _closed(state)
        site = session.get(Site, invitation.site_id)
        inviter = session.get(StaffUser, invitation.invited_by) if invitation.invited_by else None
        has_account = staff_by_email(session, invitation.email) is not None
        session.expunge_all()
    signed_in = current_staff()
    same_person = signed_in is not None and signed_in.email == invitation.email
    page = {"invitation": invitation, "site": site, "inviter": inviter, "token": token,
            "has_account": has_account, "same_person": same_person, "roles": roles}  # fmt: skip
    if request.method == "GET":
        return render_template("staff/invite.html", **page)
    try:
        if has_account:
            user = _existing_account(invitation, same_person)
        else:
            user = _new_account(invitation)
    except Refused as exc:
        flash(str(exc), "error")
        return render_template("staff/invite.html", name=request.form.get("name", ""), **page), (
            exc.status
        )
    except _Gone as gone:
        return _closed(gone.state)
    sign_in(user)
    flash(f"Welcome to {site.name}. You are signed in.", "success")
    response = redirect(url_for("staff.overview.index", site_key=site.public_key))
    remember_device(response, user.email)
    return response


class _Gone(Exception):
    """The link stopped working between the page and the form (used, revoked or expired)."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


def _closed(state: str):
    status, title, text = CLOSED[state]
    return render_template("staff/invite_closed.html", title=title, text=text), status


def _new_account(invitation: StaffInvitation) -> StaffUser:
    """Create the account with the chosen name and password, on the invitation's site."""
    name = " ".join(request.form.get("name", "").split())
    password = request.form.get("password", "")[:300]
    if not name:
        raise Refused("Tell us your name: your team sees it.")
    if len(name) > 200:
        raise Refused("Names can be at most 200 characters.")
    if password != request.form.get("confirm", ""):
        raise Refused("The passwords do not match.")
    try:
        check_password_strength(password)
    except AccountError as exc:
        raise Refused(str(exc)) from None
    # Hashed before the write lock: argon2 takes a while.
    password_hash = app_hasher(current_app).hash(password)
    try:
        with get_db().write_transaction() as session:
            user = StaffUser(email=invitation.email, name=name, password_hash=password_hash)
            session.add(user)
            session.flush()
            return _join(session, invitation, user)
    except IntegrityError:  # the same address got an account meanwhile
        raise Refused(
            "An account with this e-mail was just created. Open the link again to join with it.",
            409,
        ) from None


def _existing_account(invitation: StaffInvitation, same_person: bool) -> StaffUser:
    """Join with the account this address already has (its password is checked, throttled
    like the sign-in form, unless that account is the one signed in)."""
    email, ip = invitation.email, client_ip()
    limiter = throttle()
    if not same_person:
        limit = current_app.config["SIGNIN_ATTEMPTS_PER_15_MIN"]
        if limiter.retry_after(email, ip, limit, known_device(email)):
            raise Refused("Too many wrong passwords. Try again in a few minutes.", 429)
    with get_db().write_transaction() as session:
        if same_person:
            user = staff_by_email(session, email)
        else:
            password = request.form.get("password", "")[:256]
            user = authenticate(session, email, password, hasher=app_hasher(current_app))
            if user is None:
                limiter.failed(email, ip)
                raise Refused("That is not the password of your account.", 401)
        return _join(session, invitation, user)


def _join(session, invitation: StaffInvitation, user: StaffUser) -> StaffUser:
    """Use the invitation (exactly once) and give the account its role on the site, audited."""
    now = utcnow()
    if not invitations.use(session, invitation, now):
        raise _Gone(invitations.state_of(session.get(StaffInvitation, invitation.id), now))
    grant_site(session, user, invitation.site_id, invitation.role)
    audit.record(
        session, site_id=invitation.site_id, actor=audit.Actor("staff", id=str(user.id)),
        action="staff.invite_accepted", subject_type="staff", subject_id=user.email,
        data={"role": invitation.role, "invitation": invitation.id},
    )  # fmt: skip
    return user
