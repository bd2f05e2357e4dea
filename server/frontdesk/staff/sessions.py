"""Server-side staff sessions: opened at sign-in, checked on every request, revocable.

The signed cookie alone cannot be taken back once copied; so it carries a random session id,
and a session is valid only while its row (keyed by the id's SHA-256) exists. Signing out
deletes the row, a password change deletes every other one, "sign out everywhere" all of
them; each revocation is announced on the hub so the staff member's open /ws/staff sockets
of those sessions close at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from frontdesk.chat.hub import hub_for
from frontdesk.db import Database
from frontdesk.db.models import StaffSession
from frontdesk.db.types import utcnow

# last_seen_at is written at most this often per session (not on every request).
TOUCH_EVERY = timedelta(minutes=5)
REVOKED_EVENT = "sessions_revoked"


def id_hash(session_id: str) -> str:
    """What the table stores for a session id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def idle_limit() -> timedelta:
    """How long an unused session stays valid (STAFF_SESSION_IDLE_DAYS)."""
    return timedelta(days=float(current_app.config.get("STAFF_SESSION_IDLE_DAYS", 14)))


def open_session(db: Database, staff_id: int, ip: str, user_agent: str) -> str:
    """Store a new session for the staff member; returns its id (for the cookie only)."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    with db.write_transaction() as session:
        # Sessions idle past the limit are dead anyway: tidy this person's on the way in.
        session.execute(
            delete(StaffSession).where(
                StaffSession.staff_id == staff_id,
                StaffSession.last_seen_at < now - idle_limit(),
            )
        )
        session.add(
            StaffSession(
                id_hash=id_hash(session_id), staff_id=staff_id, created_at=now,
                last_seen_at=now, ip=ip[:64], user_agent=user_agent[:200],
            )
        )  # fmt: skip
    return session_id


def is_valid(db: Database, session_id: str | None, staff_id: int) -> bool:
    """Whether the session exists, is this staff member's and was used recently enough."""
    if not isinstance(session_id, str) or not session_id:
        return False
    key = id_hash(session_id)
    now = utcnow()
    with db.session() as session:
        row = session.get(StaffSession, key)
        if row is None or row.staff_id != staff_id or now - row.last_seen_at > idle_limit():
            return False
        stale = now - row.last_seen_at > TOUCH_EVERY
    if stale:
        with db.write_transaction() as session:
            row = session.get(StaffSession, key)
            if row is not None:
                row.last_seen_at = now
    return True


def revoke(db: Database, staff_id: int, *, only: str | None = None) -> list[str]:
    """End one session (`only`, an id) or every session of the staff member; returns the
    hashes ended, announced to their open sockets."""
    with db.write_transaction() as session:
        ended = end(session, staff_id, only=only)
    announce(staff_id, ended)
    return ended


def end(session, staff_id: int, *, only: str | None = None) -> list[str]:
    """Delete one session (`only`) or all of the staff member's in `session`; the hashes ended
    (call `announce` with them after commit)."""
    query = select(StaffSession.id_hash).where(StaffSession.staff_id == staff_id)
    if only is not None:
        query = query.where(StaffSession.id_hash == id_hash(only))
    ended = list(session.scalars(query))
    if ended:
        session.execute(delete(StaffSession).where(StaffSession.id_hash.in_(ended)))
    return ended


def announce(staff_id: int, ended: list[str]) -> None:
    """Tell the staff member's open sockets of these sessions to close (after commit)."""
    if ended:
        hub_for(current_app).publish_staff(staff_id, {"type": REVOKED_EVENT, "sessions": ended})


@dataclass(frozen=True)
class SessionInfo:
    """One open session as the account page lists it."""

    created_at: datetime
    last_seen_at: datetime
    ip: str
    user_agent: str
    current: bool


def list_sessions(db: Database, staff_id: int, current_id: str | None) -> list[SessionInfo]:
    """The staff member's valid sessions, most recently used first."""
    cutoff = utcnow() - idle_limit()
    current_hash = id_hash(current_id) if current_id else ""
    with db.session() as session:
        rows = session.scalars(
            select(StaffSession)
            .where(StaffSession.staff_id == staff_id, StaffSession.last_seen_at >= cutoff)
            .order_by(StaffSession.last_seen_at.desc())
        ).all()
        return [
            SessionInfo(r.created_at, r.last_seen_at, r.ip, r.user_agent, r.id_hash == current_hash)
            for r in rows
        ]
