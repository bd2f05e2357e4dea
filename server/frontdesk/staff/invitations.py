"""Invitations to join a site: who may invite whom, and the link's rules.

A link carries 32 random bytes (secrets.token_urlsafe); only their SHA-256 is stored, so the
table cannot be used to join a site. A link works once, until it expires (STAFF_INVITE_DAYS, 7
by default), and not after it is revoked; inviting a pending address again (or "Resend")
revokes the old link and makes a new one. A site sends at most STAFF_INVITES_PER_HOUR
invitations an hour (resends count), counted in the database, so every process shares it.
Accepted, revoked and expired invitations are deleted 30 days later.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from frontdesk.db.models import Site, SiteMembership, StaffInvitation, StaffUser
from frontdesk.staff import roles
from frontdesk.staff.accounts import AccountError, normalize_email

DEFAULT_DAYS = 7
DEFAULT_PER_HOUR = 20
HOUR = timedelta(hours=1)
# Accepted, revoked and expired invitations are kept this long (the "already accepted" and
# "expired" pages need them), then deleted; the audit log keeps who invited whom.
KEEP_CLOSED = timedelta(days=30)
# What a link looks up to; the accept page says each in words.
VALID, EXPIRED, USED, REVOKED, UNKNOWN = "valid", "expired", "used", "revoked", "unknown"


class InviteError(ValueError):
    """An invitation that cannot be made, resent or revoked (the message says why)."""


class TooManyInvites(InviteError):
    """The site reached its invitations per hour."""


@dataclass(frozen=True)
class Issued:
    """A new invitation and its link's token (shown or mailed once, never stored)."""

    id: int
    email: str
    role: str
    token: str
    expires_at: datetime
    replaced: bool = False  # a pending invitation of the address was revoked for this one


def token_hash(token: str) -> str:
    """What the table stores for a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def may_invite(inviter_role: str, role: str) -> bool:
    """Owners invite any role; admins invite admins and members; members nobody."""
    if not roles.at_least(inviter_role, roles.ADMIN):
        return False
    return role != roles.OWNER or roles.at_least(inviter_role, roles.OWNER)


def state_of(invitation: StaffInvitation | None, now: datetime) -> str:
    """VALID, or why the invitation's link no longer works."""
    if invitation is None:
        return UNKNOWN
    if invitation.accepted_at is not None:
        return USED
    if invitation.revoked_at is not None:
        return REVOKED
    return EXPIRED if invitation.expires_at <= now else VALID


def invite(
    session: Session,
    site_id: int,
    email: str,
    role: str,
    *,
    inviter_id: int,
    inviter_role: str,
    now: datetime,
    days: float = DEFAULT_DAYS,
    per_hour: int = DEFAULT_PER_HOUR,
) -> Issued:
    """Invite `email` to the site as `role`; a pending invitation of the address is revoked
    (its link stops working). InviteError when not allowed, TooManyInvites over the limit."""
    if role not in roles.ROLES:
        raise InviteError("Choose owner, admin or member.")
    if not may_invite(inviter_role, role):
        raise InviteError("Only an owner can invite owners.")
    try:
        email = normalize_email(email)
    except AccountError as exc:
        raise InviteError(str(exc)) from None
    # One invitation at a time per site (PostgreSQL; SQLite's write transaction holds the whole
    # database): two admins inviting one address at once leave one pending link, and the
    # hourly count is exact.
    session.get(Site, site_id, with_for_update=True)
    if _is_member(session, site_id, email):
        raise InviteError(f"{email} already has access to this site; change their role instead.")
    sent = session.scalar(
        select(func.count())
        .select_from(StaffInvitation)
        .where(StaffInvitation.site_id == site_id, StaffInvitation.created_at > now - HOUR)
    )
    if sent >= per_hour:
        raise TooManyInvites(
            f"This site sent {per_hour} invitations in the last hour; try again later."
        )
    _forget_closed(session, site_id, now)
    replaced = _revoke_pending(session, site_id, email, now)
    token = secrets.token_urlsafe(32)
    row = StaffInvitation(
        site_id=site_id, email=email, role=role, token_hash=token_hash(token),
        invited_by=inviter_id, created_at=now, expires_at=now + timedelta(days=float(days)),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return Issued(row.id, email, role, token, row.expires_at, replaced)


def _is_member(session: Session, site_id: int, email: str) -> bool:
    return (
        session.scalar(
            select(SiteMembership.id)
            .join(StaffUser, StaffUser.id == SiteMembership.staff_id)
            .where(SiteMembership.site_id == site_id, StaffUser.email == email)
        )
        is not None
    )


def _revoke_pending(session: Session, site_id: int, email: str, now: datetime) -> bool:
    """Revoke the address's pending invitations; True when there was one."""
    revoked = session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.site_id == site_id,
            StaffInvitation.email == email,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return revoked.rowcount > 0


def _forget_closed(session: Session, site_id: int, now: datetime) -> None:
    """Delete the site's invitations closed (accepted, revoked, expired) over KEEP_CLOSED ago."""
    before = now - KEEP_CLOSED
    session.execute(
        delete(StaffInvitation)
        .where(
            StaffInvitation.site_id == site_id,
            or_(
                StaffInvitation.accepted_at < before,
                StaffInvitation.revoked_at < before,
                StaffInvitation.expires_at < before,
            ),
        )
        .execution_options(synchronize_session=False)
    )


def open_invitation(session: Session, site_id: int, invitation_id: int) -> StaffInvitation:
    """The site's invitation that is neither accepted nor revoked (expired ones included), or
    InviteError (another site's invitation is as unknown as a missing one)."""
    row = session.get(StaffInvitation, invitation_id)
    if row is None or row.site_id != site_id:
        raise InviteError("There is no such invitation on this site.")
    if row.accepted_at is not None:
        raise InviteError(f"{row.email} already accepted the invitation.")
    if row.revoked_at is not None:
        raise InviteError(f"The invitation of {row.email} was already revoked.")
    return row


def revoke(
    session: Session, site_id: int, invitation_id: int, *, inviter_role: str, now: datetime
) -> StaffInvitation:
    """Revoke one pending invitation (its link stops working at once)."""
    row = open_invitation(session, site_id, invitation_id)
    if not may_invite(inviter_role, row.role):
        raise InviteError("Only an owner can revoke an invitation to be owner.")
    row.revoked_at = now
    return row


def pending(session: Session, site_id: int) -> list[StaffInvitation]:
    """The site's invitations not accepted nor revoked (expired ones too), newest first."""
    return list(
        session.scalars(
            select(StaffInvitation)
            .where(
                StaffInvitation.site_id == site_id,
                StaffInvitation.accepted_at.is_(None),
                StaffInvitation.revoked_at.is_(None),
            )
            .order_by(StaffInvitation.created_at.desc(), StaffInvitation.id.desc())
        )
    )


def look_up(session: Session, token: str) -> StaffInvitation | None:
    """The invitation a link's token belongs to, or None."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return session.scalar(
        select(StaffInvitation).where(StaffInvitation.token_hash == token_hash(token))
    )


def use(session: Session, invitation: StaffInvitation, now: datetime) -> bool:
    """Mark the invitation accepted, if it still is valid: one conditional UPDATE, so of two
    accepts racing, exactly one wins (False for the other)."""
    won = session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.id == invitation.id,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.revoked_at.is_(None),
            StaffInvitation.expires_at > now,
        )
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    return won.rowcount == 1
