"""Booking writes: one site's write transactions at a time, retried while the database is busy;
the new booking row and the span its audit events record."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from frontdesk.booking import tokens
from frontdesk.booking.assignment import Assignment
from frontdesk.booking.errors import SLOT_TAKEN_MESSAGE, SlotTaken, TryAgain
from frontdesk.booking.slots import Busy
from frontdesk.booking.validation import CleanRequest
from frontdesk.db.models import Booking, BookingHost, Service
from frontdesk.db.models.booking import CONFIRMED

T = TypeVar("T")
LOCK_RETRIES = 5
ADVISORY_NAMESPACE = 0x626B  # "bk": keeps booking locks apart from other advisory locks


def write_with_site_lock(db, work: Callable[[Session], T], *, site_id: int | None) -> T:
    """Run `work` in a write transaction holding the site's booking lock, retrying while
    the database is busy; a lost overlap race becomes SlotTaken."""
    for attempt in range(LOCK_RETRIES):
        try:
            with db.write_transaction() as session:
                lock_site(session, site_id)
                return work(session)
        except OperationalError as exc:
            if not is_transient(exc):
                raise
            if attempt == LOCK_RETRIES - 1:
                raise TryAgain("We're very busy right now. Please try again.") from None
            time.sleep(0.05 * (attempt + 1) + random.random() * 0.05)
        except IntegrityError as exc:
            if violation(exc) == "overlap":
                raise SlotTaken(SLOT_TAKEN_MESSAGE, field="start") from None
            raise
    raise AssertionError("unreachable")


def lock_site(session: Session, site_id: int | None) -> None:
    """Serialise one site's booking writes (SQLite: BEGIN IMMEDIATE already serialises all).

    On PostgreSQL, concurrent inserts checked by the exclusion constraint can deadlock each
    other; a per-site advisory lock makes them queue instead, and the constraint stays the
    last word should anything bypass this code."""
    if site_id is None or session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(:namespace, :site_id)"),
        {"namespace": ADVISORY_NAMESPACE, "site_id": site_id},
    )


def is_transient(exc: OperationalError) -> bool:
    """SQLite still locked after busy_timeout, or a PostgreSQL deadlock / serialisation failure."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in {"40P01", "40001"} or "database is locked" in str(exc.orig)


def violation(exc: IntegrityError) -> str:
    """Which constraint refused a booking write: overlap, idempotency, duplicate_id or other."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or str(orig)
    if getattr(orig, "sqlstate", None) == "23P01" or "no_overlap" in name:
        return "overlap"
    if "idempotency_key" in name:
        return "idempotency"
    if "public_id" in name or "manage_token_hash" in name:
        return "duplicate_id"
    return "other"


def new_booking(site_id: int, service: Service, clean: CleanRequest, chosen: Assignment) -> Booking:
    """A confirmed booking of a cleaned request with the block and hosts `chosen`; not yet
    added to a session."""
    block = chosen.block
    booking = Booking(
        public_id=tokens.new_public_id(),
        site_id=site_id,
        service=service,
        start=clean.start,
        end=clean.start + timedelta(minutes=service.duration_min),
        block_start=block.start,
        block_end=block.end,
        visitor_name=clean.name,
        email=clean.email,
        phone=clean.phone,
        notes=clean.notes,
        visitor_tz=clean.visitor_tz,
        status=CONFIRMED,
        token_version=1,
        ics_sequence=0,
        conversation_id=clean.conversation_id,
        visitor_id=clean.visitor_id,
        idempotency_key=clean.idempotency_key,
    )
    booking.hosts = [_attending(host_id, block) for host_id in chosen.host_ids]
    return booking


def move_booking(booking: Booking, start: datetime, chosen: Assignment) -> None:
    """Move a booking to `start` with the block and hosts `chosen`: kept hosts move with it,
    others replace the rest."""
    booking.start = start
    booking.end = start + timedelta(minutes=booking.service.duration_min)
    booking.block_start, booking.block_end = chosen.block.start, chosen.block.end
    by_host = {row.host_id: row for row in booking.hosts}
    for host_id, row in by_host.items():
        if host_id not in chosen.host_ids:
            booking.hosts.remove(row)
    for host_id in chosen.host_ids:
        row = by_host.get(host_id)
        if row is None:
            booking.hosts.append(_attending(host_id, chosen.block))
        else:
            row.block_start, row.block_end = chosen.block.start, chosen.block.end


def _attending(host_id: int, block: Busy) -> BookingHost:
    return BookingHost(
        host_id=host_id, block_start=block.start, block_end=block.end, status=CONFIRMED
    )


def span(booking: Booking) -> dict[str, str]:
    """The booking's start and end as ISO strings, for audit events."""
    return {"start": booking.start.isoformat(), "end": booking.end.isoformat()}
