"""Staff dashboard: the Dashboard access page (beside People): who may sign in to the site and
with which role, invitations by e-mail (pending ones resent or revoked), removing an account,
and admins and owners changing roles in place (members see the team, read-only). Every change
is audited; nothing here reaches another site."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from frontdesk import audit
from frontdesk.db.models import Host, SiteMembership, StaffUser
from frontdesk.db.types import utcnow
from frontdesk.extensions import get_db
from frontdesk.staff import invitations, invite_mail, roles, sessions
from frontdesk.staff.auth import (
    admin_required,
    current_role,
    current_staff,
    site_required,
    staff_actor,
)
from frontdesk.staff.mail_state import mail_state

bp = Blueprint("access", __name__, url_prefix="/<site_key>/access")


def listing(site_id: int) -> list[dict]:
    """The site's accounts: e-mail, name, role, membership and account ids, and the person
    (host) the account is linked to, if any."""
    with get_db().session() as session:
        rows = roles.members(session, site_id)
        hosts = dict(
            session.execute(
                select(Host.staff_id, Host.name).where(
                    Host.staff_id.in_([user.id for _m, user in rows])
                )
            ).all()
        )
        return [
            {"id": m.id, "staff_id": u.id, "email": u.email, "name": u.name,
             "role": roles.normal(m.role), "host": hosts.get(u.id, "")}
            for m, u in rows
        ]  # fmt: skip


def _page(site, status: int = 200, **extra):
    """The Dashboard access page (`extra`: what the invite form keeps, a link to hand over); a
    member's is the team alone, without invitations or actions."""
    role = current_role()
    if not roles.at_least(role, roles.ADMIN):
        team = render_template("staff/team_readonly.html", site=site, access=listing(site.id),
                               roles=roles, me=current_staff().id)  # fmt: skip
        return team, status
    with get_db().session() as session:
        pending = invitations.pending(session, site.id)
        ids = {row.invited_by for row in pending if row.invited_by}
        inviters = dict(
            session.execute(
                select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(ids))
            ).all()
        )
        session.expunge_all()
    page = render_template(
        "staff/team.html",
        site=site,
        access=listing(site.id),
        pending=pending,
        inviters=inviters,
        now=utcnow(),
        roles=roles,
        invitable=[r for r in reversed(roles.ROLES) if invitations.may_invite(role, r)],
        assignable=[
            r for r in roles.ROLES if roles.at_least(role, roles.OWNER) or r != roles.OWNER
        ],
        me=current_staff().id,
        sends_mail=mail_state(current_app.config).sends,
        days=current_app.config.get("STAFF_INVITE_DAYS", invitations.DEFAULT_DAYS),
        **extra,
    )
    return page, status


def _back(site):
    return redirect(url_for("staff.access.index", site_key=site.public_key))


@bp.get("/")
@site_required
def index(site):
    """The site's accounts, the invite form and the pending invitations (for a member: the
    accounts alone, read-only)."""
    return _page(site)


def _issue(site, email: str, role: str, action: str, data: dict):
    """Make an invitation (revoking a pending one of the address) and queue its e-mail in one
    transaction; the page says it was sent, or shows the link when e-mail is not set up."""
    inviter = current_staff()
    try:
        with get_db().write_transaction() as session:
            issued, mailed = invite_mail.issue(
                session, site, email, role,
                by=(inviter.id, current_role(), inviter.name or inviter.email),
                actor=staff_actor(), action=action, data=data,
            )  # fmt: skip
    except invitations.InviteError as exc:
        flash(str(exc), "error")
        status = 429 if isinstance(exc, invitations.TooManyInvites) else 400
        return _page(site, status, typed={"email": email, "role": role})
    if mailed:
        invite_mail.wake()
        earlier = " The earlier link no longer works." if issued.replaced else ""
        flash(f"Invitation sent to {issued.email}.{earlier}", "success")
        return _back(site)
    # No SMTP: the link is shown once, on this response only (it is never stored).
    link = invite_mail.link(issued.token)
    return _page(site, handover={"email": issued.email, "link": link, "replaced": issued.replaced})


@bp.post("/invitations")
@admin_required
def invite(site):
    """Invite someone by e-mail with a role."""
    form = request.form
    return _issue(site, form.get("email", "")[:254], form.get("role", ""), "staff.invited", {})


@bp.post("/invitations/<int:invitation_id>/resend")
@admin_required
def resend(site, invitation_id: int):
    """A new link for a pending (or expired) invitation; the old link stops working."""
    with get_db().session() as session:
        try:
            row = invitations.open_invitation(session, site.id, invitation_id)
        except invitations.InviteError as exc:
            flash(str(exc), "error")
            return _back(site)
        email, role = row.email, row.role
    return _issue(site, email, role, "staff.invite_resent", {"replaces": invitation_id})


@bp.post("/invitations/<int:invitation_id>/revoke")
@admin_required
def revoke(site, invitation_id: int):
    """Withdraw a pending invitation: its link stops working at once."""
    try:
        with get_db().write_transaction() as session:
            row = invitations.revoke(
                session, site.id, invitation_id, inviter_role=current_role(), now=utcnow()
            )
            email = row.email
            audit.record(
                session, site_id=site.id, actor=staff_actor(), action="staff.invite_revoked",
                subject_type="invitation", subject_id=email, data={"invitation": invitation_id},
            )  # fmt: skip
    except invitations.InviteError as exc:
        flash(str(exc), "error")
        return _back(site)
    flash(f"The invitation of {email} is revoked; its link no longer works.", "success")
    return _back(site)


@bp.post("/<int:membership_id>/remove")
@admin_required
def remove(site, membership_id: int):
    """Take an account's access away; every session of theirs ends at once."""
    me = current_staff()
    if any(m.id == membership_id for m in me.memberships):
        flash("You cannot remove yourself; another admin or owner can.", "error")
        return _back(site)
    try:
        with get_db().write_transaction() as session:
            hosts = _host_of(session, site.id, membership_id)
            staff_id = session.scalar(
                select(SiteMembership.staff_id).where(SiteMembership.id == membership_id)
            )
            # Before the account may go (its sessions with it): the hashes tell open sockets.
            ended = sessions.end(session, staff_id) if staff_id else []
            removed = roles.remove_member(
                session, site.id, membership_id, remover_role=current_role()
            )
            audit.record(
                session, site_id=site.id, actor=staff_actor(), action="staff.removed",
                subject_type="staff", subject_id=removed.email,
                data={"staff_id": removed.staff_id, "role": removed.role,
                      "account_deleted": removed.account_deleted, "host": hosts},
            )  # fmt: skip
    except roles.RoleError as exc:
        flash(str(exc), "error")
        return _back(site)
    sessions.announce(removed.staff_id, ended)
    kept = f" {hosts} stays on the People page with their bookings and hours." if hosts else ""
    flash(f"{removed.email} can no longer sign in to this site.{kept}", "success")
    return _back(site)


def _host_of(session, site_id: int, membership_id: int) -> str:
    """The name of the person (host) linked to the membership's account, or ""."""
    account = select(SiteMembership.staff_id).where(
        SiteMembership.id == membership_id, SiteMembership.site_id == site_id
    )
    return session.scalar(select(Host.name).where(Host.staff_id.in_(account))) or ""


@bp.post("/<int:membership_id>")
@admin_required
def change_role(site, membership_id: int):
    """Give one account another role on this site (only an owner makes or demotes owners). The
    role is read on every request, so a demoted account's open sessions lose the rights at once."""
    role = request.form.get("role", "")
    try:
        with get_db().write_transaction() as session:
            email, old = roles.change_role(
                session, site.id, membership_id, role, changer_role=current_role()
            )
            if old != role:
                audit.record(
                    session,
                    site_id=site.id,
                    actor=staff_actor(),
                    action="staff.role_changed",
                    subject_type="staff",
                    subject_id=email,
                    data={"from": old, "to": role},
                )
    except roles.RoleError as exc:
        flash(str(exc), "error")
        return _back(site)
    said = {roles.OWNER: "an owner", roles.ADMIN: "an admin", roles.MEMBER: "a member"}[role]
    flash(f"{email} is now {said}." if old != role else "Nothing changed.", "success")
    return _back(site)
