"""Races on a team: 100 visitors for one slot of a 3-host round-robin service get exactly three
bookings on three people; one person shared by two sites is never booked twice (both databases,
real threads and real processes)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from frontdesk.audit import Actor
from frontdesk.db.models import BookingHost
from tests.support.bookings import MONDAY, NOW, at, booking_request
from tests.support.factories import make_site
from tests.support.hosts import add_hosts, share_host
from tests.support.races import race, race_processes

ATTEMPTS = 100
PROCESSES = 4


def attendance(db) -> list[tuple[int, object]]:
    """(host, block start) of every confirmed attendance."""
    with db.session() as session:
        query = select(BookingHost.host_id, BookingHost.block_start)
        return list(session.execute(query.where(BookingHost.status == "confirmed")).all())


def test_a_hundred_visitors_for_one_slot_of_three_hosts(db, site, bookings):
    ids = add_hosts(db, site, ("Mia", "Tom", "Ana"))

    def attempt(i: int) -> str:
        request = booking_request(at(MONDAY, 10), email=f"v{i}@example.com", visitor_id=f"v{i}")
        bookings.create(site.id, request, Actor("visitor", f"v{i}"), now=NOW)
        return "ok"

    outcomes = Counter(race(ATTEMPTS, attempt))

    assert outcomes == {"ok": 3, "slot_taken": ATTEMPTS - 3}
    rows = attendance(db)
    assert sorted(host for host, _ in rows) == sorted(ids.values())


def test_one_person_on_two_sites_racing_from_both(db, bookings):
    studio, clinic = make_site(db), make_site(db, name="Clinic")
    mia = add_hosts(db, studio, ("Mia",))["Mia"]
    share_host(db, mia, clinic)
    sites = (studio, clinic)

    def attempt(i: int) -> str:
        request = booking_request(
            at(MONDAY, 10), email=f"v{i}@example.com", visitor_id=f"v{i}", host="Mia"
        )
        bookings.create(sites[i % 2].id, request, Actor("visitor", f"v{i}"), now=NOW)
        return "ok"

    outcomes = Counter(race(40, attempt))

    assert outcomes == {"ok": 1, "slot_taken": 39}
    assert [host for host, _ in attendance(db)] == [mia]


def test_processes_racing_for_a_two_host_slot(db, database_url, site):
    ids = add_hosts(db, site, ("Mia", "Tom"))
    exit_codes, outcomes = race_processes(database_url, site.id, PROCESSES)

    assert exit_codes == [0] * PROCESSES
    assert outcomes == {"ok": 2, "slot_taken": PROCESSES - 2}
    assert sorted(host for host, _ in attendance(db)) == sorted(ids.values())
