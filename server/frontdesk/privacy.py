"""Visitor privacy: find, erase or export one visitor's data (retention purges: retention.py).

No Flask here: the dashboard (staff/privacy.py) and tests call it."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from frontdesk import audit
from frontdesk.audit import Actor
from frontdesk.booking.errors import InvalidBooking
from frontdesk.booking.validation import clean_email
from frontdesk.db.models import (
    Booking,
    Conversation,
    Message,
    OutboxEmail,
    Proposal,
    UnansweredQuestion,
)

DELETED_NAME = "Deleted visitor"
# Outbox rows older than the visitor's first booking cannot mention it; a day of slack covers
# e-mails written in the same transaction with a slightly earlier clock reading.
OUTBOX_SLACK = timedelta(days=1)
MIN_NEEDLE = 5


class PrivacyError(ValueError):
    """Bad input to a privacy operation (the message says what)."""


@dataclass
class ErasureReport:
    """How many rows an erasure touched."""

    bookings: int = 0
    conversations: int = 0
    messages: int = 0
    emails: int = 0
    questions: int = 0


def visitor_address(raw: str) -> str:
    """The booking form's e-mail cleaner, lower-cased (lookups ignore case), or PrivacyError."""
    try:
        return clean_email(raw).lower()
    except InvalidBooking:
        raise PrivacyError("Enter the visitor's e-mail address, like ada@example.com.") from None


def email_digest(address: str, key: bytes) -> str:
    """A keyed hash of an address: the audit log can say "this visitor" without the address."""
    return hmac.new(key, visitor_address(address).encode(), hashlib.sha256).hexdigest()


def visitor_bookings(session: Session, site_id: int, address: str) -> list[Booking]:
    """The site's bookings made with this e-mail address (case-insensitive)."""
    query = select(Booking).where(
        Booking.site_id == site_id, func.lower(Booking.email) == visitor_address(address)
    )
    return list(session.scalars(query.order_by(Booking.start)))


def visitor_conversation_ids(
    session: Session, site_id: int, address: str, bookings: list[Booking]
) -> list[int]:
    """Conversations tied to the visitor: through their bookings, their visitor ids, or a
    transcript in which the address itself was written."""
    linked = {b.conversation_id for b in bookings if b.conversation_id}
    visitor_ids = {b.visitor_id for b in bookings if b.visitor_id}
    conditions = [Conversation.id.in_(linked)] if linked else []
    if visitor_ids:
        conditions.append(Conversation.visitor_id.in_(visitor_ids))
    mentioned = select(Message.conversation_id).where(
        func.lower(Message.text).contains(visitor_address(address), autoescape=True)
    )
    conditions.append(Conversation.id.in_(mentioned))
    query = select(Conversation.id).where(Conversation.site_id == site_id, or_(*conditions))
    return sorted(set(session.scalars(query)))


def deleted_count(session: Session, statement) -> int:
    """Run a DELETE and say how many rows it removed."""
    return session.execute(statement).rowcount or 0


def delete_transcripts(session: Session, conversation_ids: list[int]) -> int:
    """Delete the conversations' messages and proposals; returns the number of messages."""
    if not conversation_ids:
        return 0
    messages = deleted_count(
        session, delete(Message).where(Message.conversation_id.in_(conversation_ids))
    )
    session.execute(delete(Proposal).where(Proposal.conversation_id.in_(conversation_ids)))
    return messages


def delete_conversations(session: Session, conversation_ids: list[int]) -> None:
    """Remove conversations whose transcripts are already gone (bookings keep their rows)."""
    if not conversation_ids:
        return
    session.execute(
        update(Booking)
        .where(Booking.conversation_id.in_(conversation_ids))
        .values(conversation_id=None)
    )
    session.execute(
        update(UnansweredQuestion)
        .where(UnansweredQuestion.conversation_id.in_(conversation_ids))
        .values(conversation_id=None)
    )
    session.execute(delete(Conversation).where(Conversation.id.in_(conversation_ids)))


def _mentions(raw: bytes, needles: list[str]) -> bool:
    """Does a stored MIME e-mail mention any needle, in its raw or decoded form?"""
    lowered = raw.lower()
    if any(n.encode() in lowered for n in needles):
        return True
    parts: list[str] = []
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = [str(v) for v in message.values()]
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts.append(part.get_content())
    except (LookupError, ValueError, TypeError):
        pass  # what could be decoded is checked; the raw bytes were checked above
    text = "\n".join(parts).lower()
    return any(n in text for n in needles)


def _delete_outbox(session: Session, site_id: int, needles: list[str], since) -> int:
    """Delete the site's e-mails that were sent to, or mention, the visitor."""
    query = select(OutboxEmail.id, OutboxEmail.recipient, OutboxEmail.message).where(
        OutboxEmail.site_id == site_id
    )
    if since is not None:
        query = query.where(
            or_(OutboxEmail.created_at >= since, func.lower(OutboxEmail.recipient) == needles[0])
        )
    doomed = [
        row.id
        for row in session.execute(query)
        if row.recipient.lower() == needles[0] or _mentions(bytes(row.message), needles)
    ]
    if doomed:
        session.execute(delete(OutboxEmail).where(OutboxEmail.id.in_(doomed)))
    return len(doomed)


def _anonymise(booking: Booking) -> None:
    """Clear a booking's personal data but keep its times, so the calendar stays right."""
    booking.visitor_name = DELETED_NAME
    booking.email = f"deleted-{booking.id}@invalid"
    booking.phone = ""
    booking.notes = ""
    booking.cancel_reason = ""
    booking.visitor_id = None
    # The old manage link carried the visitor's access; make it point nowhere.
    booking.manage_token_hash = secrets.token_hex(32)


def erase_visitor(
    session: Session, site_id: int, address: str, actor: Actor, *, hash_key: bytes
) -> ErasureReport:
    """Erase one visitor's personal data on a site, in the caller's transaction."""
    address = visitor_address(address)
    bookings = visitor_bookings(session, site_id, address)
    conversation_ids = visitor_conversation_ids(session, site_id, address, bookings)
    # Short names would match unrelated mail; the address itself is in every e-mail about it.
    names = {b.visitor_name.strip().lower() for b in bookings}
    phones = {b.phone.strip().lower() for b in bookings}
    needles = [address] + sorted(n for n in names | phones if len(n) >= MIN_NEEDLE)
    since = min((b.created_at for b in bookings), default=None)
    report = ErasureReport(bookings=len(bookings), conversations=len(conversation_ids))
    report.emails = _delete_outbox(session, site_id, needles, since and since - OUTBOX_SLACK)
    report.questions = deleted_count(
        session,
        delete(UnansweredQuestion).where(UnansweredQuestion.conversation_id.in_(conversation_ids)),
    )
    report.messages = delete_transcripts(session, conversation_ids)
    delete_conversations(session, conversation_ids)
    for booking in bookings:
        _anonymise(booking)
    session.flush()
    audit.record(
        session,
        site_id=site_id,
        actor=actor,
        action="privacy.erased",
        subject_type="visitor",
        subject_id=email_digest(address, hash_key)[:64],
        data=asdict(report),
    )
    return report


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def export_visitor(session: Session, site_id: int, address: str) -> dict[str, Any]:
    """Everything the site holds about one visitor: bookings and transcripts, JSON-ready."""
    address = visitor_address(address)
    bookings = visitor_bookings(session, site_id, address)
    conversation_ids = visitor_conversation_ids(session, site_id, address, bookings)
    conversations = session.scalars(
        select(Conversation).where(Conversation.id.in_(conversation_ids)).order_by(Conversation.id)
    )
    return {
        "email": address,
        "bookings": [_booking_export(b) for b in bookings],
        "conversations": [_conversation_export(session, c) for c in conversations],
    }


def _booking_export(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.public_id,
        "service": booking.service.name,
        "start": _iso(booking.start),
        "end": _iso(booking.end),
        "status": booking.status,
        "name": booking.visitor_name,
        "email": booking.email,
        "phone": booking.phone,
        "notes": booking.notes,
        "time_zone": booking.visitor_tz,
        "cancel_reason": booking.cancel_reason,
        "created_at": _iso(booking.created_at),
    }


def _conversation_export(session: Session, conversation: Conversation) -> dict[str, Any]:
    # Tool calls are the assistant's plumbing; the visitor's transcript is what was said.
    messages = session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation.id,
            Message.role.in_(("visitor", "assistant", "staff", "system")),
        )
        .order_by(Message.seq)
    )
    return {
        "id": conversation.public_id,
        "started_at": _iso(conversation.created_at),
        "page_url": conversation.page_url,
        "messages": [{"role": m.role, "text": m.text, "at": _iso(m.created_at)} for m in messages],
    }
