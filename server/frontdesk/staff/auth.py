"""Staff sign-in state: who is signed in, which sites they may see and what their role there lets
them do (roles: roles.py; throttling: throttle.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from frontdesk.audit import Actor
from frontdesk.db.models import Site, SiteMembership, StaffUser
from frontdesk.extensions import get_db
from frontdesk.staff import roles, sessions


def session_fingerprint(user: StaffUser) -> str:
    """Changes when the password changes, so old sessions stop working."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def sign_in(user: StaffUser) -> None:
    """Start a fresh session for the user, stored on the server (a new session id guards
    against fixation, and the server can end it)."""
    session.clear()
    agent = request.headers.get("User-Agent", "")
    session["sid"] = sessions.open_session(get_db(), user.id, client_ip(), agent)
    session["staff_id"] = user.id
    session["staff_fp"] = session_fingerprint(user)
    session.permanent = True


def sign_out() -> None:
    """End the staff session, on the server too (a copied cookie stops working)."""
    staff_id, session_id = session.get("staff_id"), session.get("sid")
    if isinstance(staff_id, int) and isinstance(session_id, str):
        sessions.revoke(get_db(), staff_id, only=session_id)
    session.clear()


def client_ip() -> str:
    """The client's address as the app sees it (after ProxyFix when TRUST_PROXY is set)."""
    return request.remote_addr or "unknown"


def current_staff() -> StaffUser | None:
    """The signed-in staff user with their memberships, or None."""
    if "staff" in g:
        return g.staff
    user = None
    staff_id = session.get("staff_id")
    if isinstance(staff_id, int) and sessions.is_valid(get_db(), session.get("sid"), staff_id):
        with get_db().session() as db_session:
            user = db_session.scalar(
                select(StaffUser)
                .where(StaffUser.id == staff_id)
                .options(selectinload(StaffUser.memberships).selectinload(SiteMembership.site))
            )
        if user is not None and session.get("staff_fp") != session_fingerprint(user):
            user = None
    g.staff = user
    return user


def staff_actor() -> Actor:
    """The signed-in staff member, as the audit log names them."""
    return Actor(type="staff", id=str(current_staff().id))


def staff_sites(user: StaffUser) -> list[Site]:
    """The sites this staff member belongs to, by name."""
    return sorted((m.site for m in user.memberships), key=lambda site: site.name.lower())


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to the sign-in page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_staff() is None:
            return redirect(url_for("staff.signin", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def site_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """For routes under /staff/<site_key>/: the signed-in user must belong to that site.

    The view receives `site` (a detached Site) instead of `site_key`; `g.staff_role` holds the
    user's role there. Other sites answer 404, so a key's existence is not revealed.
    """

    @wraps(view)
    def wrapped(*args: Any, site_key: str, **kwargs: Any) -> Any:
        user = current_staff()
        if user is None:
            return redirect(url_for("staff.signin", next=request.full_path))
        membership = next((m for m in user.memberships if m.site.public_key == site_key), None)
        if membership is None:
            abort(404)
        g.site = membership.site
        g.staff_role = roles.normal(membership.role)
        return view(*args, site=membership.site, **kwargs)

    return wrapped


def role_required(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`site_required`, and the user's role on the site must be at least `role` (403 if not:
    the site is theirs, so there is nothing to hide about it)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @site_required
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not roles.at_least(g.staff_role, role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


admin_required = role_required(roles.ADMIN)
owner_required = role_required(roles.OWNER)


def current_role() -> str:
    """The signed-in user's role on the site of this request (member outside one)."""
    return g.get("staff_role", roles.MEMBER)
