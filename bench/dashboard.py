"""Server time of the dashboard's busiest pages with 10,000 bookings and 10,000 conversations
on one site (issue 15: p99 <= 50 ms each, SQLite and PostgreSQL).

The inbox, the bookings list, the week grid and the overview are requested through the real
app (Flask's test client: routing, the signed-in session, queries, templates; no network),
after warm-up, --rounds times each; p50 and p99 wall-clock, p50 and p99 of this process's CPU
time (the steadier figures on a shared machine; for SQLite they are all of the work) and the
queries each page ran are printed. The app's heap is settled as a serving process settles it
(frontdesk.wsgi.freeze_startup_heap: `frontdesk serve` and gunicorn's workers do the same). The
PostgreSQL run needs a server (FRONTDESK_TEST_PG_URL, default postgres@127.0.0.1/test); a
temporary database is made and dropped; without a server it is skipped and says so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import event
from tests.support.apps import app_config
from tests.support.dashboard_data import seed
from tests.support.factories import make_site
from tests.support.staff_accounts import make_staff, sign_in

from frontdesk import create_app
from frontdesk.db import Database
from frontdesk.db.migrate import upgrade
from frontdesk.wsgi import freeze_startup_heap

TARGET_MS = 50.0
PG_ADMIN_URL = os.environ.get(
    "FRONTDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PAGES = {
    "inbox": "conversations/",
    "inbox (needs a person)": "conversations/?view=waiting",
    "bookings list": "bookings/",
    "week grid": "bookings/week",
    "overview": "",
}


def bench_backend(label: str, url: str, count: int, rounds: int, folder: Path) -> bool:
    """Seed one site and time each page; True when every page meets the target."""
    db = Database(url)
    upgrade(db)
    db.dispose()
    app = create_app(app_config(url, folder, MAIL_WORKER=False))
    db = app.extensions["frontdesk.db"]
    site = make_site(db, name="Bench Studio", timezone="Europe/London")
    make_staff(db, site.id)
    started = time.perf_counter()
    seed(db, site.id, conversations=count, bookings=count)
    print(f"{label}: seeded {count:,} conversations and {count:,} bookings "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    if db.engine.dialect.name == "postgresql":
        # The planner's statistics, as autovacuum keeps them after a bulk insert (the test
        # server runs with autovacuum off: without this it plans for an empty database).
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    freeze_startup_heap()  # as `frontdesk serve` and gunicorn's workers do before their first request
    client = app.test_client()
    assert sign_in(client).status_code == 302
    statements = {"n": 0}
    for engine in {db.engine, db.write_engine}:
        event.listen(
            engine,
            "before_cursor_execute",
            lambda *a: statements.__setitem__("n", statements["n"] + 1),
        )
    ok = True
    for name, path in PAGES.items():
        target = f"/staff/{site.public_key}/{path}"
        for _ in range(5):  # warm-up: template compilation, caches, the query planner
            assert client.get(target).status_code == 200, target
        times, cpu = [], []
        statements["n"] = 0
        for _ in range(rounds):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(target)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200
        queries = statements["n"] / rounds
        times.sort()
        cpu.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        cpu99 = cpu[min(len(cpu) - 1, int(len(cpu) * 0.99))]
        verdict = "ok" if p99 <= TARGET_MS else "OVER"
        ok = ok and p99 <= TARGET_MS
        print(f"  {name:24} p50 {statistics.median(times):6.1f} ms  p99 {p99:6.1f} ms  "
              f"(CPU p50 {statistics.median(cpu):5.1f}, p99 {cpu99:5.1f} ms)  "
              f"{queries:3.0f} queries  target {TARGET_MS:.0f} ms: {verdict}")  # fmt: skip
    db.dispose()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    ok, measured = True, ["SQLite"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ok &= bench_backend("SQLite", f"sqlite:///{folder}/bench.sqlite3", args.count,
                            args.rounds, folder)  # fmt: skip
        admin = Database(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        if not admin.ping():
            print(f"PostgreSQL: SKIPPED, no server at {PG_ADMIN_URL} (set FRONTDESK_TEST_PG_URL)")
        else:
            name = f"fd_bench_{uuid.uuid4().hex[:10]}"
            with admin.engine.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
                ok &= bench_backend("PostgreSQL", url, args.count, args.rounds, folder)
                measured.append("PostgreSQL")
            finally:
                with admin.engine.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    verdict = "all pages within target" if ok else "some pages over target"
    print(f"{verdict} ({' and '.join(measured)}{'' if len(measured) == 2 else ' only'})")


if __name__ == "__main__":
    main()
