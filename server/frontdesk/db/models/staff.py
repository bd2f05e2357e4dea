"""Staff accounts and their site memberships."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.db.models.base import Base
from frontdesk.db.models.site import Site
from frontdesk.db.types import UTCDateTime, utcnow


class StaffUser(Base):
    """A person who signs in to the dashboard; only a password hash is kept."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[SiteMembership]] = relationship(
        back_populates="staff", cascade="all, delete-orphan"
    )


class SiteMembership(Base):
    """Grants a staff user access to one site, with a role there (staff/roles.py)."""

    __tablename__ = "site_memberships"
    __table_args__ = (UniqueConstraint("staff_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")  # owner, admin, member

    staff: Mapped[StaffUser] = relationship(back_populates="memberships")
    site: Mapped[Site] = relationship()


class StaffSession(Base):
    """One signed-in browser: revocable on the server (sign-out, password change, everywhere).

    The cookie carries a random session id; only its SHA-256 is stored, so the table cannot be
    used to sign in.
    """

    __tablename__ = "staff_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class StaffInvitation(Base):
    """An invitation to join a site with a role, sent by e-mail (staff/invitations.py).

    Only the SHA-256 of the link's token is stored. A row is pending until accepted, revoked
    (by staff, or by a resend, which makes a new row) or past `expires_at`.
    """

    __tablename__ = "staff_invitations"
    __table_args__ = (Index("ix_staff_invitations_site_email", "site_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
