"""What only staff do to a site's calendar: block out time, note a booking, record its outcome."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk import audit
from frontdesk.audit import Actor
from frontdesk.booking import validation as check
from frontdesk.booking.errors import InvalidBooking, NotAllowed, NotFound, SlotTaken
from frontdesk.booking.lookups import MAX_PUBLIC_ID, find_booking
from frontdesk.booking.writes import write_with_site_lock
from frontdesk.db.models import Booking, TimeBlock
from frontdesk.db.models.booking import CANCELLED, CONFIRMED, OUTCOMES
from frontdesk.db.types import utcnow

MAX_BLOCK_NOTE = 200
MAX_BLOCK_DAYS = 31  # a longer absence is a closure (Settings, hours and closures)
MAX_STAFF_NOTES = 4000


def block_time(
    db, site_id: int, start: datetime, end: datetime, note: str, actor: Actor
) -> TimeBlock:
    """Block out [start, end) so nothing can be booked in it; refused over a standing booking."""
    start, end = _clean_span(start, end)
    note = " ".join(
        check.clean_long_text(note, field="note", label="The note", limit=MAX_BLOCK_NOTE).split()
    )

    def add(session: Session) -> TimeBlock:
        clash = session.scalars(
            select(Booking)
            .where(
                Booking.site_id == site_id,
                Booking.status == CONFIRMED,
                Booking.start < end,
                Booking.end > start,
            )
            .order_by(Booking.start)
            .limit(1)
        ).first()
        if clash is not None:
            raise SlotTaken(
                f"{clash.visitor_name} is booked in that time. "
                "Move or cancel that booking first, or block a shorter time.",
                field="start",
            )
        block = TimeBlock(
            public_id="tb_" + secrets.token_urlsafe(9),
            site_id=site_id,
            start=start,
            end=end,
            note=note,
            created_by=str(actor.id)[:64],
        )
        session.add(block)
        _log(session, site_id, actor, "time.blocked", block.public_id, _span(start, end, note))
        return block

    return write_with_site_lock(db, add, site_id=site_id)


def unblock_time(db, site_id: int, public_id: str, actor: Actor) -> None:
    """Free blocked time again; NotFound when the site has no such block."""

    def remove(session: Session) -> None:
        block = session.scalars(
            select(TimeBlock).where(TimeBlock.site_id == site_id, TimeBlock.public_id == public_id)
        ).first()
        if block is None:
            raise NotFound("There is no such blocked time.", field="block")
        data = _span(block.start, block.end, block.note)
        session.delete(block)
        _log(session, site_id, actor, "time.unblocked", public_id, data)

    write_with_site_lock(db, remove, site_id=site_id)


def set_staff_notes(db, site_id: int, public_id: str, text: str, actor: Actor) -> Booking:
    """Replace staff's notes on a booking (any status: notes outlive the appointment)."""
    text = check.clean_long_text(text, field="staff_notes", label="The note", limit=MAX_STAFF_NOTES)
    with db.write_transaction() as session:
        booking = _site_booking(session, site_id, public_id)
        if booking.staff_notes != text:
            booking.staff_notes = text
            _log(session, site_id, actor, "booking.noted", public_id, {"length": len(text)})
        return booking


def record_outcome(
    db, site_id: int, public_id: str, outcome: str, actor: Actor, *, now: datetime | None = None
) -> Booking:
    """Mark a booking whose time has come as completed or a no-show (or switch between them)."""
    if outcome not in OUTCOMES:
        raise InvalidBooking("Choose completed or no-show.", field="outcome")
    now = now or utcnow()
    with db.write_transaction() as session:
        booking = _site_booking(session, site_id, public_id)
        if booking.status == CANCELLED:
            raise NotAllowed("A cancelled booking has no outcome.", field="booking")
        if booking.start > now:
            raise NotAllowed(
                "This booking hasn't started yet: mark it once its time has come.",
                field="booking",
            )
        if booking.status != outcome:
            before = booking.status
            booking.status = outcome
            _log(session, site_id, actor, f"booking.{outcome}", public_id, {"was": before})
        return booking


def _site_booking(session: Session, site_id: int, public_id: str) -> Booking:
    booking = None
    if isinstance(public_id, str) and 0 < len(public_id) <= MAX_PUBLIC_ID:
        booking = find_booking(session, Booking.public_id == public_id, lock=True)
    if booking is None or booking.site_id != site_id:
        raise NotFound("There is no such booking.", field="booking")
    return booking


def _clean_span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start = check.clean_start(start).astimezone(UTC)
    end = check.clean_start(end, field="end").astimezone(UTC)
    if end <= start:
        raise InvalidBooking("The end must be after the start.", field="end")
    if end - start > timedelta(days=MAX_BLOCK_DAYS):
        raise InvalidBooking(
            f"Block at most {MAX_BLOCK_DAYS} days at once; longer closures belong in the "
            "opening hours settings.",
            field="end",
        )
    return start, end


def _span(start: datetime, end: datetime, note: str) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat(), "note": note}


def _log(session: Session, site_id: int, actor: Actor, action: str, subject: str, data) -> None:
    subject_type = "time_block" if action.startswith("time.") else "booking"
    audit.record(
        session,
        site_id=site_id,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject,
        data=data,
    )
