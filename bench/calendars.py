"""Calendar benchmark: a 5,000-event ICS feed fetched from a local HTTP server, expanded over
the horizon and stored (target: <= 1 s), on SQLite and PostgreSQL.

Run: .venv/bin/python bench/calendars.py [--events N] [--runs N]
The feed holds one-off events, weekly series with exceptions, all-day and "free" events. Each
run serves a changed feed (every event a minute later than the run before), so every run is a
full fetch (no 304) and every stored interval is replaced. Figures are wall time and, beside
them, this process's CPU time (the local feed server is a thread of it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time as clock
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import func, select

from frontdesk.booking.hosts import new_host
from frontdesk.calendars.base import ICS, CalendarInfo
from frontdesk.calendars.credentials import Credentials
from frontdesk.calendars.store import add_connection, choose_calendars
from frontdesk.calendars.sync import CalendarSync
from frontdesk.db import Database
from frontdesk.db.migrate import upgrade
from frontdesk.db.models import CalendarBusy
from frontdesk.outbound.guard import OutboundPolicy

PG_ADMIN_URL = os.environ.get(
    "FRONTDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TARGET_SECONDS = 1.0
HORIZON_DAYS = 60


def make_feed(events: int, start: datetime, version: int, *, history_days: int) -> bytes:
    """A feed of `events` VEVENTs spread from `history_days` back to the horizon's end (a real
    feed holds years of past meetings): 90% one-off, 8% weekly series (one EXDATE each), 1%
    all-day, 1% transparent."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN", f"X-VERSION:{version}"]
    span_days = history_days + HORIZON_DAYS
    for i in range(events):
        minutes = 15 * (i % 37) + version
        offset = timedelta(days=(i * 7919) % span_days - history_days, minutes=minutes)
        day = start + offset + timedelta(hours=8)
        stamp = day.strftime("%Y%m%dT%H%M%SZ")
        end = (day + timedelta(minutes=30 + 15 * (i % 4))).strftime("%Y%m%dT%H%M%SZ")
        lines += ["BEGIN:VEVENT", f"UID:e{i}@bench", "DTSTAMP:20300101T000000Z"]
        kind = i % 100
        if kind < 8:
            exdate = (day + timedelta(weeks=2)).strftime("%Y%m%dT%H%M%SZ")
            lines += [f"DTSTART:{stamp}", f"DTEND:{end}", "RRULE:FREQ=WEEKLY;COUNT=8",
                      f"EXDATE:{exdate}"]  # fmt: skip
        elif kind == 8:
            lines += [f"DTSTART;VALUE=DATE:{day:%Y%m%d}"]
        else:
            lines += [f"DTSTART:{stamp}", f"DTEND:{end}"]
            if kind == 9:
                lines.append("TRANSP:TRANSPARENT")
        lines += [f"SUMMARY:Meeting {i}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


class Feed:
    """The feed on a local HTTP server; `body` can be swapped between fetches."""

    def __init__(self) -> None:
        self.body = b""
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(feed.body)))
                self.end_headers()
                self.wfile.write(feed.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/feed.ics"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def bench_backend(label: str, url: str, events: int, runs: int) -> None:
    """Both feeds on one database: years of history (the target), and all in the horizon."""
    db = Database(url)
    try:
        upgrade(db)
        for history_days, shape in ((3 * 365, "3 years of history"), (0, "all in the horizon")):
            bench_feed(f"{label}, {shape}", db, events, runs, history_days)
    finally:
        db.dispose()


def bench_feed(label: str, db: Database, events: int, runs: int, history_days: int) -> None:
    """Time sync.refresh of one connection holding the feed."""
    feed = Feed()
    try:
        sync = CalendarSync(
            db,
            Credentials.from_config({"SECRET_KEY": "bench"}),
            OutboundPolicy(allow_private=True),
            horizon_days=HORIZON_DAYS,
        )
        with db.transaction() as session:
            host = new_host("Bench host", timezone="Europe/Berlin")
            session.add(host)
            session.flush()
            row = add_connection(session, sync.credentials, host_id=host.id, kind=ICS, url=feed.url)
            info = CalendarInfo(id=feed.url, name="Bench", writable=False)
            choose_calendars(session, row, [info], [feed.url], None)
            connection_id = row.id
        now = datetime.now(UTC).replace(microsecond=0)
        times, cpu = [], []
        # Run 0 warms the process (imports, zone data, compiled patterns), as a running
        # server's sync worker is; it is not counted.
        for run in range(runs + 1):
            feed.body = make_feed(events, now, run, history_days=history_days)
            began, cpu_began = clock.perf_counter(), clock.process_time()
            error = sync.refresh(connection_id, now=now)
            if run:
                times.append(clock.perf_counter() - began)
                cpu.append(clock.process_time() - cpu_began)
            assert not error, error
        with db.session() as session:
            stored = session.scalar(
                select(func.count())
                .select_from(CalendarBusy)
                .where(CalendarBusy.host_id == host.id)
            )
        size = len(feed.body) / 1e6
        median, worst = statistics.median(times), max(times)
        verdict = "OK" if worst <= TARGET_SECONDS else "OVER TARGET"
        print(
            f"{label}: {events} events ({size:.1f} MB) fetched, expanded over {HORIZON_DAYS} days "
            f"and stored as {stored} busy intervals: median {median:.3f} s, worst {worst:.3f} s "
            f"of {runs} runs (target <= {TARGET_SECONDS:.1f} s) {verdict}; CPU median "
            f"{statistics.median(cpu):.3f} s, worst {max(cpu):.3f} s"
        )
    finally:
        feed.server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as folder:
        bench_backend("SQLite", f"sqlite:///{folder}/bench.sqlite3", args.events, args.runs)
    admin = Database(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    if not admin.ping():
        print(f"PostgreSQL: skipped, server not reachable at {PG_ADMIN_URL}")
        return
    name = f"fd_bench_cal_{uuid.uuid4().hex[:8]}"
    with admin.engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        bench_backend("PostgreSQL", url, args.events, args.runs)
    finally:
        with admin.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
