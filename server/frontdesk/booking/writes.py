"""Booking write transactions: one site's writes at a time, retried while the database is busy."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from frontdesk.booking.validation import SLOT_TAKEN_MESSAGE, SlotTaken, TryAgain

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
    if getattr(orig, "sqlstate", None) == "23P01" or "bookings_no_overlap" in name:
        return "overlap"
    if "idempotency_key" in name:
        return "idempotency"
    if "public_id" in name or "manage_token_hash" in name:
        return "duplicate_id"
    return "other"
