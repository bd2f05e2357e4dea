"""Booking benchmark: slot computation speed (one resource, and a 5-host team with busy calendars),
booking throughput on a 3-host round-robin service, and a 100-way race for one slot of it.

Run: .venv/bin/python bench/booking.py [--bookings N] [--runs N]
Slot figures are CPU time (time.process_time) per call, so other processes on a shared machine
weigh less; booking throughput is wall-clock (the database's own work is in another process).
Creates its own temporary databases (a SQLite file, and a PostgreSQL database when the server
is reachable), migrates them with frontdesk.db.migrate.upgrade and removes them afterwards.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import tempfile
import threading
import time as clock
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta

from frontdesk.audit import Actor
from frontdesk.booking import slots, team_slots
from frontdesk.booking.errors import BookingError
from frontdesk.booking.hosts import (
    add_site_host,
    new_host,
    register_busy_source,
    unregister_busy_source,
)
from frontdesk.booking.service import BookingRequest, Bookings
from frontdesk.calendars.base import ICS, BusyInterval, BusyResult, CalendarInfo
from frontdesk.calendars.credentials import Credentials
from frontdesk.calendars.store import (
    add_connection,
    choose_calendars,
    hosts_busy_seconds,
    save_busy,
)
from frontdesk.db import Database
from frontdesk.db.migrate import upgrade
from frontdesk.db.models import OpeningHours, Service, ServiceHost, Site
from frontdesk.wsgi import freeze_startup_heap

PG_ADMIN_URL = os.environ.get(
    "FRONTDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2030, 3, 1, tzinfo=UTC)
ACTOR = Actor("system", "bench")
RACERS = 100
TEAM_HOSTS = 5
BUSY_PER_HOST = 500  # 100 of them from recurring events
BOOKING_HOSTS = 3


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_free_slots(runs: int) -> None:
    """Pure slots.free_slots over a 60-day horizon with ~100 busy blocks."""
    hours = ((time(9), time(12)), (time(13), time(17)))
    availability = slots.Availability(
        timezone="Australia/Sydney",
        weekly={day: hours for day in range(5)},
        buffer_before=timedelta(minutes=10),
        buffer_after=timedelta(minutes=10),
        min_notice=timedelta(hours=2),
        max_days_ahead=60,
    )
    rng = random.Random(7)
    busy = []
    for _ in range(100):
        start = NOW + timedelta(days=rng.randrange(60), hours=rng.randrange(24))
        busy.append(slots.Busy(start, start + timedelta(minutes=rng.choice((30, 60, 90)))))
    start_day = NOW.date()
    end_day = start_day + timedelta(days=60)
    timings, found = cpu_timings(
        lambda: slots.free_slots(
            availability, timedelta(minutes=30), start_day, end_day, now=NOW, busy=busy
        ),
        runs,
    )
    print(
        f"free_slots (one resource), 60-day horizon, {len(busy)} busy blocks, {len(found)} slots "
        f"found: {figures(timings)} CPU over {runs} runs (target <= 5 ms)"
    )


def team_calendars(rng: random.Random) -> list[list[slots.Busy]]:
    """TEAM_HOSTS hosts' busy intervals over the horizon: 400 one-off events each, and 100 from
    recurring ones (a daily stand-up and a weekly meeting, as an expanded calendar gives them)."""
    calendars = []
    for host in range(TEAM_HOSTS):
        busy = []
        for day in range(60):  # a daily 15-minute stand-up
            start = NOW + timedelta(days=day, hours=22 + host % 2)
            busy.append(slots.Busy(start, start + timedelta(minutes=15)))
        for week in range(40):  # five weekly series of eight meetings
            start = NOW + timedelta(days=7 * (week % 8) + week // 8, hours=1 + host)
            busy.append(slots.Busy(start, start + timedelta(hours=1)))
        for _ in range(BUSY_PER_HOST - len(busy)):
            start = NOW + timedelta(days=rng.randrange(60), minutes=15 * rng.randrange(96))
            busy.append(slots.Busy(start, start + timedelta(minutes=rng.choice((30, 45, 60)))))
        calendars.append(busy)
    return calendars


def cpu_timings(call, runs: int) -> tuple[list[float], object]:
    """CPU milliseconds of each of `runs` calls (process time: other processes on a loaded
    machine don't count), and the last result."""
    timings, found = [], None
    for _ in range(runs):
        began = clock.process_time()
        found = call()
        timings.append((clock.process_time() - began) * 1000)
    return timings, found


def figures(timings: list[float]) -> str:
    return f"median {statistics.median(timings):.2f} ms, p99 {percentile(timings, 0.99):.2f} ms"


def bench_team_free_slots(runs: int) -> None:
    """team_free_slots over a 60-day horizon: a 5-host round-robin service, 500 busy each."""
    hours = ((time(9), time(12)), (time(13), time(17)))
    availability = slots.Availability(
        timezone="Australia/Sydney",
        weekly={day: hours for day in range(5)},
        buffer_before=timedelta(minutes=10),
        buffer_after=timedelta(minutes=10),
        min_notice=timedelta(hours=2),
        max_days_ahead=60,
        step=timedelta(minutes=15),
    )
    calendars = team_calendars(random.Random(11))
    hosts = [
        team_slots.HostSchedule(
            host_id=i,
            timezone="Europe/London" if i == 4 else "Australia/Sydney",
            weekly={} if i != 4 else {d: ((time(0), time(0)),) for d in range(7)},
            bookings=busy[:50],
            away=[(int(b.start.timestamp()), int(b.end.timestamp())) for b in busy[50:]],
        )
        for i, busy in enumerate(calendars)
    ]
    start_day = NOW.date()
    end_day = start_day + timedelta(days=60)
    timings, found = cpu_timings(
        lambda: team_slots.team_free_slots(
            availability, timedelta(minutes=30), start_day, end_day, now=NOW, hosts=hosts
        ),
        runs,
    )
    print(
        f"team_free_slots (the engine alone), 60-day horizon, {TEAM_HOSTS} hosts x "
        f"{BUSY_PER_HOST} busy intervals (100 recurring), {len(found)} slots found: "
        f"{figures(timings)} CPU over {runs} runs (target <= 10 ms)"
    )


def store_calendars(db: Database, host_ids: list[int], calendars) -> None:
    """Each host's busy intervals stored as the calendar sync stores a fetched calendar."""
    credentials = Credentials.from_config({"SECRET_KEY": "bench"})
    info = CalendarInfo(id="busy", name="Busy", writable=False)
    with db.transaction() as session:
        for host_id, busy in zip(host_ids, calendars, strict=True):
            row = add_connection(
                session, credentials, host_id=host_id, kind=ICS, url=f"https://bench.test/{host_id}"
            )
            choose_calendars(session, row, [info], [info.id], None)
            intervals = [BusyInterval(b.start, b.end) for b in busy]
            save_busy(session, row.sources[0], BusyResult(info.id, intervals), NOW)


def bench_team_service(runs: int) -> None:
    """The booking service's team_slots on SQLite for the same team, as a request runs it: the
    queries (hosts, hours, bookings, time off, the calendars' stored busy times) and the engine.
    Measured with the heap as it is, then frozen as the server freezes it after start-up."""
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as folder:
        db = Database(f"sqlite:///{folder}/team.sqlite3")
        try:
            upgrade(db)
            site_id, host_ids = make_open_site(db, hosts=TEAM_HOSTS)
            store_calendars(db, host_ids, team_calendars(random.Random(11)))
            register_busy_source(hosts_busy_seconds)
            service = Bookings(db, secret_key="bench-secret", public_url="http://bench.test")
            start_day = NOW.date()
            end_day = start_day + timedelta(days=60)

            def request():
                return service.team_slots(site_id, "consult", start_day, end_day, now=NOW)

            frozen, found = cpu_timings(request, runs)
            gc.unfreeze()
            loose, _ = cpu_timings(request, runs)
            freeze_startup_heap()
        finally:
            unregister_busy_source(hosts_busy_seconds)
            db.dispose()
    print(
        f"Bookings.team_slots on SQLite (queries included), same team, busy times stored as "
        f"the calendar sync stores them, open around the clock, {len(found)} slots found: "
        f"{figures(frozen)} CPU over {runs} runs with the start-up heap frozen as the server "
        f"does (target <= 10 ms); unfrozen {figures(loose)}"
    )


def make_open_site(db: Database, *, hosts: int = BOOKING_HOSTS) -> tuple[int, list[int]]:
    """A site open around the clock every day, so thousands of distinct slots exist, whose
    round-robin service is offered by `hosts` people; (site id, host ids)."""
    with db.transaction() as session:
        site = Site(
            public_key="pk_" + uuid.uuid4().hex[:16],
            name="Bench Studio",
            timezone="UTC",
            calendar_secret=uuid.uuid4().hex,
            min_notice_min=0,
            max_days_ahead=365,
            slot_step_min=30,
        )
        session.add(site)
        session.flush()
        service = Service(site_id=site.id, slug="consult", name="Consult", duration_min=30)
        session.add(service)
        for weekday in range(7):
            session.add(
                OpeningHours(site_id=site.id, weekday=weekday, start_time=time(0), end_time=time(0))
            )
        host_ids = []
        for index in range(hosts):
            host = add_site_host(session, site, new_host(f"Host {index}", timezone="UTC"))
            session.add(ServiceHost(service_id=service.id, host_id=host.id, position=index))
            host_ids.append(host.id)
        return site.id, host_ids


def request_for(start: datetime, index: int, **extra) -> BookingRequest:
    return BookingRequest(
        service="consult",
        start=start,
        name=f"Visitor {index}",
        email=f"visitor{index}@example.com",
        **extra,
    )


def bench_backend(label: str, url: str, bookings_count: int) -> None:
    """Sequential bookings on distinct slots of a 3-host round-robin service (each slot once:
    the throughput of choosing a host and writing), then RACERS threads on one slot."""
    db = Database(url)
    try:
        upgrade(db)
        service = Bookings(db, secret_key="bench-secret", public_url="http://bench.test")
        site_id, _ = make_open_site(db)
        first = datetime.combine(date(2030, 3, 2), time(0), UTC)
        began, cpu_began = clock.perf_counter(), clock.process_time()
        for i in range(bookings_count):
            start = first + timedelta(minutes=30 * i)
            service.create(site_id, request_for(start, i), ACTOR, now=NOW)
        elapsed = clock.perf_counter() - began
        cpu_ms = (clock.process_time() - cpu_began) * 1000 / bookings_count
        print(
            f"{label}: {bookings_count} bookings on distinct slots of a {BOOKING_HOSTS}-host "
            f"round-robin service in {elapsed:.2f} s = "
            f"{bookings_count / elapsed:.0f} bookings/s (target >= 200/s); "
            f"{cpu_ms:.1f} ms CPU per booking in this process"
        )
        race_for_one_slot(label, service, site_id, first - timedelta(hours=12))
    finally:
        db.dispose()


def race_for_one_slot(label: str, service: Bookings, site_id: int, start: datetime) -> None:
    barrier = threading.Barrier(RACERS)

    def attempt(i: int) -> str:
        barrier.wait()
        try:
            service.create(site_id, request_for(start, 10_000 + i), ACTOR, now=NOW)
            return "success"
        except BookingError as exc:
            return exc.code
        except Exception as exc:
            return f"other ({type(exc).__name__})"

    began = clock.perf_counter()
    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = Counter(pool.map(attempt, range(RACERS)))
    elapsed = clock.perf_counter() - began
    counts = ", ".join(f"{key}={value}" for key, value in sorted(outcomes.items()))
    other = sum(v for k, v in outcomes.items() if k not in {"success", "slot_taken"})
    print(
        f"{label}: {RACERS} concurrent attempts on one slot of {BOOKING_HOSTS} hosts in "
        f"{elapsed:.2f} s: success={outcomes['success']} (expected {BOOKING_HOSTS}), "
        f"slot_taken={outcomes['slot_taken']}, other={other} ({counts})"
    )


def bench_sqlite(bookings_count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as folder:
        bench_backend("SQLite", f"sqlite:///{folder}/bench.sqlite3", bookings_count)


def bench_postgresql(bookings_count: int) -> None:
    admin = Database(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    if not admin.ping():
        print(f"PostgreSQL: skipped, server not reachable at {PG_ADMIN_URL}")
        admin.dispose()
        return
    name = f"fd_bench_{uuid.uuid4().hex[:10]}"
    with admin.engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        bench_backend("PostgreSQL", PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, bookings_count)
    finally:
        with admin.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=500, help="sequential bookings per backend")
    parser.add_argument("--runs", type=int, default=500, help="free_slots runs")
    args = parser.parse_args()
    # Wall-clock figures depend on what else runs: say how busy the machine was.
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    freeze_startup_heap()  # as `frontdesk serve` and the WSGI entry point do after start-up
    bench_free_slots(args.runs)
    bench_team_free_slots(args.runs)
    bench_team_service(args.runs)
    bench_sqlite(args.bookings)
    bench_postgresql(args.bookings)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
