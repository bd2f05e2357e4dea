"""Booking races: threads released together, and processes each with its own database
connection and booking service, all aiming at Monday 10:00 (tests.support.bookings)."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from frontdesk.audit import Actor
from frontdesk.booking.errors import BookingError
from frontdesk.db import Database
from tests.support.bookings import MONDAY, NOW, at, booking_request, make_bookings


def race(count: int, attempt) -> list:
    """Run attempt(i) in `count` threads released together; the outcome of each (a booking
    error's code, or "error: ..." for anything else, which the assertions must show)."""
    barrier = threading.Barrier(count)

    def run(i: int):
        barrier.wait()
        try:
            return attempt(i)
        except BookingError as exc:
            return exc.code
        except Exception as exc:  # anything else is a bug the assertions must show
            return f"error: {exc!r}"

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


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


def race_processes(database_url: str, site_id: int, processes: int) -> tuple[list, Counter]:
    """`processes` spawned processes book Monday 10:00 on the site at once: (their exit codes,
    the count of their outcomes)."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_book_in_process, args=(database_url, site_id, i, barrier, results))
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    exit_codes = [worker.exitcode for worker in workers]
    return exit_codes, Counter(results.get(timeout=5) for code in exit_codes if code == 0)
