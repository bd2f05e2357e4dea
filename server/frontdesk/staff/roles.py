"""What each role on a site may do, and changing roles without leaving a site ownerless.

Like Cal.com's teams (owner / admin / member) and Chatwoot's administrators and agents:
- member: the inbox (answer, take over, close), bookings (add, move, cancel, notes), the
  e-mail log, the overview, and their own calendar connections;
- admin: also settings (the assistant and its provider key), people and everyone's calendars,
  knowledge, privacy requests, training and fine-tuning, the first-run checklist;
- owner: also who is an owner. A site always keeps at least one owner.

Admins and owners invite people (staff/invitations.py), change roles and remove people; only an
owner invites, removes, makes or demotes an owner. Members see who is on the team, read-only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from frontdesk.db.models import SiteMembership, StaffUser

OWNER, ADMIN, MEMBER = "owner", "admin", "member"
ROLES = (OWNER, ADMIN, MEMBER)
LABELS = {OWNER: "Owner", ADMIN: "Admin", MEMBER: "Member"}
_RANK = {MEMBER: 0, ADMIN: 1, OWNER: 2}


class RoleError(ValueError):
    """A role change that is not allowed (the message says why)."""


def normal(role: str | None) -> str:
    """A stored role as one of ROLES; anything unknown counts as the least (member)."""
    return role if role in _RANK else MEMBER


def at_least(role: str | None, needed: str) -> bool:
    """Does `role` include what `needed` may do?"""
    return _RANK[normal(role)] >= _RANK[needed]


def first_role(session: Session, site_id: int) -> str:
    """The role a new member of the site gets by default: owner when it has none yet."""
    return MEMBER if owners(session, site_id) else OWNER


def owners(session: Session, site_id: int) -> int:
    """How many owners the site has."""
    return session.scalar(
        select(func.count())
        .select_from(SiteMembership)
        .where(SiteMembership.site_id == site_id, SiteMembership.role == OWNER)
    )


def members(session: Session, site_id: int) -> list[tuple[SiteMembership, StaffUser]]:
    """The site's staff accounts with their memberships, owners first, then by e-mail."""
    rows = session.execute(
        select(SiteMembership, StaffUser)
        .join(StaffUser, StaffUser.id == SiteMembership.staff_id)
        .where(SiteMembership.site_id == site_id)
        .order_by(StaffUser.email)
    ).all()
    return sorted(((m, u) for m, u in rows), key=lambda row: -_RANK[normal(row[0].role)])


def change_role(
    session: Session, site_id: int, membership_id: int, role: str, *, changer_role: str
) -> tuple[str, str]:
    """Set one membership's role; returns (e-mail, old role). RoleError for an unknown role, a
    membership of another site, an admin making an owner or changing an owner's role, or a
    change that would leave the site without an owner."""
    if role not in ROLES:
        raise RoleError("Choose owner, admin or member.")
    membership, owners_now = _locked(session, site_id, membership_id)
    old = normal(membership.role)
    if OWNER in (role, old) and old != role and not at_least(changer_role, OWNER):
        raise RoleError("Only an owner can make someone an owner or change an owner's role.")
    if old == OWNER and role != OWNER and owners_now <= 1:
        raise RoleError("A site needs an owner: make someone else owner first.")
    membership.role = role
    user = session.get(StaffUser, membership.staff_id)
    return user.email, old


def _locked(session: Session, site_id: int, membership_id: int) -> tuple[SiteMembership, int]:
    """The site's membership, locked, and how many owners the site has (locked first, so two
    owners removing or demoting each other at once cannot both see the other one still there)."""
    owner_ids = session.scalars(
        select(SiteMembership.id)
        .where(SiteMembership.site_id == site_id, SiteMembership.role == OWNER)
        .with_for_update()
    ).all()
    membership = session.get(SiteMembership, membership_id, with_for_update=True)
    if membership is None or membership.site_id != site_id:
        raise RoleError("That account does not belong to this site.")
    return membership, len(owner_ids)


@dataclass(frozen=True)
class Removed:
    """Who lost access: their account, role, and whether the account itself is gone (it had
    no other site)."""

    staff_id: int
    email: str
    role: str
    account_deleted: bool


def remove_member(
    session: Session, site_id: int, membership_id: int, *, remover_role: str
) -> Removed:
    """Take an account's access to the site away. With no other site left, the account is
    deleted (sessions with it); a person who takes bookings keeps their host record, bookings
    and hours (hosts.staff_id becomes NULL). RoleError for another site's account, an owner
    removed by a non-owner, or the last owner."""
    membership, owners_now = _locked(session, site_id, membership_id)
    role = normal(membership.role)
    if role == OWNER and not at_least(remover_role, OWNER):
        raise RoleError("Only an owner can remove an owner.")
    if role == OWNER and owners_now <= 1:
        raise RoleError("A site needs an owner: make someone else owner first.")
    user = session.get(StaffUser, membership.staff_id)
    removed = Removed(user.id, user.email, role, account_deleted=len(user.memberships) <= 1)
    user.memberships.remove(membership)  # delete-orphan: the membership row goes
    if removed.account_deleted:
        session.delete(user)
    session.flush()
    return removed
