"""Transcript retention: delete each site's transcripts and sent e-mails past its retention period.

No Flask here: the `frontdesk purge` command (retention_cli.py), the dashboard and tests call it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from frontdesk.db.models import Booking, Conversation, OutboxEmail, Site
from frontdesk.privacy import delete_conversations, delete_transcripts, deleted_count


@dataclass
class PurgeReport:
    """How many rows a retention purge removed."""

    sites: int = 0
    conversations: int = 0
    messages: int = 0
    emails: int = 0


def purge_site(session: Session, site: Site, now: datetime) -> PurgeReport:
    """Delete this site's transcripts and sent e-mails older than its retention period."""
    report = PurgeReport()
    if not site.retention_days or site.retention_days <= 0:
        return report
    cutoff = now - timedelta(days=site.retention_days)
    stale = list(
        session.scalars(
            select(Conversation.id).where(
                Conversation.site_id == site.id, Conversation.updated_at < cutoff
            )
        )
    )
    report.sites = 1
    report.messages = delete_transcripts(session, stale)
    booked = set(
        session.scalars(select(Booking.conversation_id).where(Booking.conversation_id.in_(stale)))
    )
    # A conversation that produced a booking stays (empty) so the booking page can say so.
    unbooked = [cid for cid in stale if cid not in booked]
    delete_conversations(session, unbooked)
    report.conversations = len(unbooked)
    finished = or_(OutboxEmail.sent_at.is_not(None), OutboxEmail.failed.is_(True))
    report.emails = deleted_count(
        session,
        delete(OutboxEmail).where(
            OutboxEmail.site_id == site.id, OutboxEmail.created_at < cutoff, finished
        ),
    )
    return report


def purge_expired(db, now: datetime, *, site_id: int | None = None) -> PurgeReport:
    """Apply every site's retention (or one site's); each site in its own transaction."""
    total = PurgeReport()
    with db.session() as session:
        query = select(Site.id).where(Site.retention_days.is_not(None), Site.retention_days > 0)
        if site_id is not None:
            query = query.where(Site.id == site_id)
        site_ids = list(session.scalars(query))
    for sid in site_ids:
        with db.transaction() as session:
            report = purge_site(session, session.get(Site, sid), now)
        for field in ("sites", "conversations", "messages", "emails"):
            setattr(total, field, getattr(total, field) + getattr(report, field))
    return total
