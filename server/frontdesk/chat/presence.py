"""Whether a visitor is on the page now: their socket marks the conversation live while it is
open and refreshes when it was last heard from, so "live now" survives a crashed process for
at most LIVE_GRACE."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from frontdesk.chat.hub import Hub
from frontdesk.db import raw
from frontdesk.db.models import Site
from frontdesk.db.raw import SQL
from frontdesk.db.types import utcnow

LIVE_GRACE = timedelta(minutes=2)  # a little over four of the widget's 25-second pings
REFRESH_EVERY = timedelta(seconds=45)


def presence_event(public_id: str, live: bool) -> dict[str, Any]:
    """A site event: the visitor of a conversation came or went."""
    return {"type": "presence", "conversation": public_id, "live": live}


_MARK = SQL("UPDATE conversations SET visitor_live = :live, visitor_seen_at = :now WHERE id = :id")
# Presence is not activity: plain SQL leaves updated_at (the inbox's order) as it was.
_SEEN = SQL("UPDATE conversations SET visitor_seen_at = :now WHERE id = :id")


def mark(db: Any, hub: Hub, site_id: int, conversation: Any, live: bool) -> None:
    """Store that the visitor's socket opened (live) or closed, and tell the dashboards."""
    # Queued with the chat's other writes (raw.writing), not polling for SQLite's lock.
    with raw.writing(db) as cursor:
        cursor.run(_MARK, {"id": conversation.id, "live": live, "now": cursor.time(utcnow())})
    hub.publish_site(site_id, presence_event(conversation.public_id, live))


class Heartbeat:
    """Refreshes visitor_seen_at while a socket is open, at most once per REFRESH_EVERY.

    A visitor's message refreshes it in the message's own write (chat.transcript): `heard`
    notes that, so only pings and other frames cost a write of their own.
    """

    def __init__(self, db: Any, conversation_id: int) -> None:
        self.db, self.conversation_id = db, conversation_id
        self.last = utcnow()

    def beat(self) -> None:
        """The visitor was heard from (a pong or a frame)."""
        now = utcnow()
        if now - self.last < REFRESH_EVERY:
            return
        self.last = now
        with raw.writing(self.db) as cursor:
            cursor.run(_SEEN, {"id": self.conversation_id, "now": cursor.time(now)})

    def heard(self) -> None:
        """visitor_seen_at was refreshed by another write (the visitor's message)."""
        self.last = utcnow()


def live_since():
    """The oldest visitor_seen_at that still counts as live."""
    return utcnow() - LIVE_GRACE


def note_widget_origin(db: Any, site: Any, origin: str | None) -> None:
    """The widget worked on one of the site's allowed origins: remember the first time (the
    onboarding checklist's "script tag installed"). One cheap check once it is known."""
    if getattr(site, "widget_seen_at", None) is not None or not origin:
        return
    with raw.sqlite_writer(db), db.write_transaction() as session:
        # A plain UPDATE: not a settings change (it must not bump settings_version).
        session.execute(
            update(Site)
            .where(Site.id == site.id, Site.widget_seen_at.is_(None))
            .values(widget_seen_at=utcnow(), widget_seen_origin=origin[:200])
        )
