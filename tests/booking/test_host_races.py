"""Races on a team: 100 visitors for one slot of a 3-host round-robin service get exactly three
bookings on three people; one person shared by two sites is never booked twice (both databases,
real threads and real processes)."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from frontdesk.audit import Actor
from frontdesk.booking.errors import BookingError
from frontdesk.db import Database
from frontdesk.db.models import BookingHost
from tests.support.bookings import MONDAY, NOW, at, booking_request, make_bookings
from tests.support.factories import make_site
from tests.support.hosts import add_hosts, share_host

ATTEMPTS = 100
PROCESSES = 4


def race(count: int, attempt) -> Counter:
    """Run attempt(i) in `count` threads released together; count the outcomes."""
    barrier = threading.Barrier(count)

    def run(i: int) -> str:
        barrier.wait()
        try:
            return attempt(i)
        except BookingError as exc:
            return exc.code
        except Exception as exc:  # anything else is a bug the assertions must show
            return f"error: {exc!r}"

    with ThreadPoolExecutor(count) as pool:
        return Counter(pool.map(run, range(count)))


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

    outcomes = race(ATTEMPTS, attempt)

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

    outcomes = race(40, attempt)

    assert outcomes == {"ok": 1, "slot_taken": 39}
    assert [host for host, _ in attendance(db)] == [mia]


def _book_in_process(url, site_id, index, barrier, results) -> None:
    """One competing process: its own Database and service, released with the others."""
    database = Database(url)
    bookings = make_bookings(database)
    database.ping()  # connect before the start signal so the race is about booking
    request = booking_request(at(MONDAY, 10), email=f"p{index}@example.com")
    barrier.wait()
    try:
        bookings.create(site_id, request, Actor("visitor", f"p{index}"), now=NOW)
        results.put("ok")
    except BookingError as exc:
        results.put(exc.code)
    except Exception as exc:
        results.put(f"error: {exc!r}")
    finally:
        database.dispose()


def test_processes_racing_for_a_two_host_slot(db, database_url, site):
    ids = add_hosts(db, site, ("Mia", "Tom"))
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_book_in_process, args=(database_url, site.id, i, barrier, results))
        for i in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    exit_codes = [worker.exitcode for worker in workers]
    outcomes = Counter(results.get(timeout=5) for code in exit_codes if code == 0)

    assert exit_codes == [0] * PROCESSES
    assert outcomes == {"ok": 2, "slot_taken": PROCESSES - 2}
    assert sorted(host for host, _ in attendance(db)) == sorted(ids.values())
