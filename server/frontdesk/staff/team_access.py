"""Staff dashboard: who may sign in to the site and with which role, shown on the People page;
owners change roles (audited, never leaving the site without an owner)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

from frontdesk import audit
from frontdesk.extensions import get_db
from frontdesk.staff import roles
from frontdesk.staff.auth import admin_required, owner_required, staff_actor

bp = Blueprint("access", __name__, url_prefix="/<site_key>/access")


def listing(site_id: int) -> list[dict]:
    """The site's accounts for the People page: e-mail, name, role, membership id."""
    with get_db().session() as session:
        return [
            {"id": m.id, "email": u.email, "name": u.name, "role": roles.normal(m.role)}
            for m, u in roles.members(session, site_id)
        ]


@bp.get("/")
@admin_required
def index(site):
    """The list lives on the People page."""
    return redirect(url_for("staff.hosts.index", site_key=site.public_key) + "#access")


@bp.post("/<int:membership_id>")
@owner_required
def change_role(site, membership_id: int):
    """Give one account another role on this site."""
    role = request.form.get("role", "")
    back = url_for("staff.hosts.index", site_key=site.public_key) + "#access"
    try:
        with get_db().write_transaction() as session:
            email, old = roles.change_role(session, site.id, membership_id, role)
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
        return redirect(back)
    flash(f"{email} is now {roles.LABELS[role].lower()}." if old != role else "Nothing changed.",
          "success")  # fmt: skip
    return redirect(back)
