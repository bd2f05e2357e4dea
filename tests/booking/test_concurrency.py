"""No double booking, ever: threads and processes racing, and the database's own last word."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from datetime import timedelta
from itertools import combinations

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from frontdesk.audit import Actor
from frontdesk.booking.errors import TryAgain
from frontdesk.booking.writes import violation
from frontdesk.db import Database
from frontdesk.db.models import Booking, BookingHost
from tests.support.bookings import (
    MONDAY,
    NOW,
    VISITOR,
    at,
    booking_request,
    make_bookings,
    row_counts,
)
from tests.support.factories import make_site
from tests.support.races import race, race_processes

THREADS = 50
PROCESSES = 4


def confirmed(db) -> list[Booking]:
    with db.session() as session:
        query = select(Booking).where(Booking.status == "confirmed").order_by(Booking.start)
        return list(session.scalars(query))


def assert_no_overlap(rows: list[Booking]) -> None:
    for a, b in combinations(rows, 2):
        if a.site_id == b.site_id:
            assert a.block_end <= b.block_start or b.block_end <= a.block_start, (a.id, b.id)


def test_fifty_threads_one_slot_exactly_one_wins(db, site, bookings):
    start = at(MONDAY, 10)

    def attempt(i: int) -> str:
        request = booking_request(start, email=f"v{i}@example.com", visitor_id=f"v{i}")
        bookings.create(site.id, request, Actor("visitor", f"v{i}"), now=NOW)
        return "ok"

    outcomes = Counter(race(THREADS, attempt))

    assert outcomes == {"ok": 1, "slot_taken": THREADS - 1}
    assert row_counts(db) == (1, 1)


def test_processes_racing_for_one_slot_exactly_one_wins(db, database_url, site):
    exit_codes, outcomes = race_processes(database_url, site.id, PROCESSES)

    assert exit_codes == [0] * PROCESSES
    assert outcomes == {"ok": 1, "slot_taken": PROCESSES - 1}
    assert row_counts(db) == (1, 1)


def test_services_of_different_lengths_never_overlap(db, site, bookings):
    # 30- and 90-minute bookings aimed at overlapping times of one morning (09:00-12:00).
    starts = [at(MONDAY, 9) + timedelta(minutes=30 * k) for k in range(6)]
    plan = [(starts[i % 6], "workshop" if i % 3 == 0 else "consult") for i in range(36)]

    def attempt(i: int) -> str:
        start, service = plan[i]
        request = booking_request(start, service=service, email=f"m{i}@example.com")
        bookings.create(site.id, request, VISITOR, now=NOW)
        return "ok"

    outcomes = Counter(race(len(plan), attempt))

    assert set(outcomes) <= {"ok", "slot_taken"}, outcomes
    rows = confirmed(db)
    assert len(rows) == outcomes["ok"] >= 2
    assert_no_overlap(rows)
    assert sum((b.end - b.start for b in rows), timedelta()) <= timedelta(hours=3)


def test_fifty_retries_of_one_idempotency_key_make_one_booking(db, site, bookings):
    request = booking_request(at(MONDAY, 10), idempotency_key="proposal-7")

    def attempt(i: int):
        result = bookings.create(site.id, request, VISITOR, now=NOW)
        return (result.booking.public_id, result.manage_token, result.created)

    outcomes = race(THREADS, attempt)

    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert len({(public_id, token) for public_id, token, _ in outcomes}) == 1
    assert sum(created for _, _, created in outcomes) == 1
    assert row_counts(db) == (1, 1)


def test_racing_reschedules_into_one_slot_exactly_one_wins(db, site, bookings):
    movers = [
        bookings.create(site.id, booking_request(at(MONDAY, 13 + i)), VISITOR, now=NOW).booking
        for i in range(4)
    ]

    def attempt(i: int) -> str:
        bookings.reschedule(movers[i].public_id, at(MONDAY, 10), VISITOR, now=NOW)
        return "ok"

    outcomes = Counter(race(len(movers), attempt))

    assert outcomes == {"ok": 1, "slot_taken": len(movers) - 1}
    assert_no_overlap(confirmed(db))


def test_racing_cancels_cancel_once(db, site, bookings):
    booking = bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW).booking

    def attempt(i: int) -> str:
        bookings.cancel(booking.public_id, VISITOR, now=NOW)
        return "ok"

    outcomes = Counter(race(8, attempt))

    assert outcomes == {"ok": 1, "not_allowed": 7}
    assert bookings.get(booking.public_id).ics_sequence == 1
    assert row_counts(db) == (1, 2)


def _raw_booking(site_id: int, service_id: int, start, minutes: int, suffix: str) -> Booking:
    """A booking row attended by host HOST, written without the service's checks."""
    booking = Booking(
        public_id=f"bk_raw_{suffix}",
        site_id=site_id,
        service_id=service_id,
        start=start,
        end=start + timedelta(minutes=minutes),
        block_start=start,
        block_end=start + timedelta(minutes=minutes),
        visitor_name="Raw",
        email="raw@example.com",
        manage_token_hash=f"hash-{suffix}",
    )
    booking.hosts = [
        BookingHost(
            host_id=HOST[site_id], block_start=booking.block_start, block_end=booking.block_end
        )
    ]
    return booking


HOST: dict[int, int] = {}  # site id -> its one host, set by each test


def _attendance(session, public_id: str) -> BookingHost:
    booking = session.scalars(select(Booking).where(Booking.public_id == public_id)).one()
    return booking.hosts[0]


def test_database_itself_refuses_overlapping_bookings(db, site, bookings):
    """Bypass the service entirely: the constraint (PostgreSQL) / trigger (SQLite) over the
    hosts attending each booking refuses."""
    existing = bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW)
    service_id = existing.booking.service_id
    HOST[site.id] = existing.booking.hosts[0].host_id

    with pytest.raises(IntegrityError, match="no_overlap"), db.transaction() as session:
        session.add(_raw_booking(site.id, service_id, at(MONDAY, 9, 45), 30, "a"))

    with db.transaction() as session:  # touching blocks are fine, and so are cancelled ones
        session.add(_raw_booking(site.id, service_id, at(MONDAY, 10, 30), 30, "b"))
        cancelled = _raw_booking(site.id, service_id, at(MONDAY, 10), 30, "c")
        cancelled.status = cancelled.hosts[0].status = "cancelled"
        session.add(cancelled)

    with pytest.raises(IntegrityError, match="no_overlap"), db.transaction() as session:
        _attendance(session, "bk_raw_b").block_start = at(MONDAY, 10, 15)
    with pytest.raises(IntegrityError, match="no_overlap"), db.transaction() as session:
        _attendance(session, "bk_raw_c").status = "confirmed"

    assert_no_overlap(confirmed(db))
    assert len(confirmed(db)) == 2


def test_real_constraint_errors_are_classified(db, site, bookings):
    """The service maps each backend's own refusal to the right outcome."""
    request = booking_request(at(MONDAY, 10), idempotency_key="k1")
    booking = bookings.create(site.id, request, VISITOR, now=NOW).booking
    HOST[site.id] = booking.hosts[0].host_id

    overlap = _raw_booking(site.id, booking.service_id, at(MONDAY, 10), 30, "x")
    same_key = _raw_booking(site.id, booking.service_id, at(MONDAY, 15), 30, "y")
    same_key.idempotency_key = "k1"
    same_id = _raw_booking(site.id, booking.service_id, at(MONDAY, 16), 30, "z")
    same_id.public_id = booking.public_id
    expected = {"overlap": overlap, "idempotency": same_key, "duplicate_id": same_id}
    for kind, row in expected.items():
        with pytest.raises(IntegrityError) as caught, db.transaction() as session:
            session.add(row)
        assert violation(caught.value) == kind


@pytest.fixture
def impatient_sqlite(sqlite_url):
    """A SQLite Database whose writers give up on a held lock after 50 ms (not 30 s)."""
    database = Database(sqlite_url)

    @event.listens_for(database.write_engine, "connect")
    def _short_busy_timeout(dbapi_conn, _record) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=50")

    yield database
    database.dispose()


def hold_write_lock(url: str) -> sqlite3.Connection:
    """Another writer that has taken the database's write lock."""
    holder = sqlite3.connect(
        url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_locked_database_is_retried_until_it_frees(impatient_sqlite, sqlite_url):
    site = make_site(impatient_sqlite)
    bookings = make_bookings(impatient_sqlite)
    holder = hold_write_lock(sqlite_url)
    release = threading.Timer(0.15, holder.rollback)
    release.start()
    try:
        result = bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW)
    finally:
        release.join()
        holder.close()
    assert result.created
    assert row_counts(impatient_sqlite) == (1, 1)


def test_database_locked_for_good_is_a_clear_error(impatient_sqlite, sqlite_url):
    site = make_site(impatient_sqlite)
    bookings = make_bookings(impatient_sqlite)
    holder = hold_write_lock(sqlite_url)
    try:
        with pytest.raises(TryAgain) as caught:
            bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW)
    finally:
        holder.rollback()
        holder.close()
    assert caught.value.code == "busy" and "try again" in str(caught.value)
    assert row_counts(impatient_sqlite) == (0, 0)
