"""PostgreSQL databases for tests: the admin connection, URLs, and fresh copies of the migrated
template made and dropped off the tests' critical path."""

from __future__ import annotations

import os
import queue
import threading
import uuid

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from frontdesk.db import Database

PG_ADMIN_URL = os.environ.get(
    "FRONTDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# Copies made ahead of the tests that will take them: one is enough to hide a CREATE behind a
# test; two covers a test that takes two (new_database_url) without waiting.
READY_COPIES = 2
# Drops at once, each on a connection of its own opened for it: every DROP DATABASE waits for a
# forced checkpoint, and the drops asked for while one checkpoint runs all share the next one, so
# eight threads cut the server's checkpoints (the cost to every other query too) up to eightfold.
DROP_THREADS = 8
# Databases waiting to be dropped, at most: a teardown waits once this many are queued, so a slow
# server cannot pile up hundreds of copies (10 MB each) on disk.
MAX_PENDING_DROPS = 16


def pg_admin_or_none() -> Database | None:
    """An autocommit connection to the PostgreSQL server, or None if it is not reachable."""
    admin = Database(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    if admin.ping():
        return admin
    admin.dispose()
    return None


def pg_url(name: str) -> str:
    """The URL of database `name` on the test server."""
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_now(admin: Database | Engine, name: str) -> None:
    """Drop database `name`, closing whatever connections are still open to it."""
    engine = admin if isinstance(admin, Engine) else admin.engine
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class TemplateCopies:
    """Fresh copies of the migrated template database, one per test, made and dropped by threads
    of their own.

    Each test still gets a database nobody has used, copied from the template, and it is still
    dropped (with FORCE) after the test. What moved is the waiting: PostgreSQL 15 makes every
    DROP DATABASE wait for a forced checkpoint, and CREATE DATABASE writes the copy to the WAL;
    0.1-0.5 s each on a quiet machine, seconds on a busy one, that was in the setup and
    teardown of every PostgreSQL test. Now the next copy is made and the last ones dropped while
    a test runs. `close` drops the spare copies and the last ones, and raises if a thread failed.
    """

    def __init__(self, admin: Database, template: str) -> None:
        self._admin = admin
        # Not pooled: eight idle connections per test process would crowd max_connections.
        self._drop_engine = create_engine(
            admin.engine.url, isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        self._template = template
        self._ready: queue.Queue[str] = queue.Queue(maxsize=READY_COPIES)
        self._drops: queue.Queue[str | None] = queue.Queue(maxsize=MAX_PENDING_DROPS)
        self._stop = threading.Event()
        self._errors: list[str] = []
        self._maker = threading.Thread(target=self._make, name="pg-copies", daemon=True)
        self._droppers = [
            threading.Thread(target=self._drop, name=f"pg-drops-{n}", daemon=True)
            for n in range(DROP_THREADS)
        ]
        self._maker.start()
        for dropper in self._droppers:
            dropper.start()

    def take(self) -> str:
        """The name of a fresh copy of the template, for one test (waits for one if need be)."""
        while True:
            if self._errors:
                raise RuntimeError("could not copy the template: " + "; ".join(self._errors))
            try:
                return self._ready.get(timeout=0.5)
            except queue.Empty:
                continue

    def give_back(self, name: str) -> None:
        """Drop database `name` soon (waits while MAX_PENDING_DROPS are queued)."""
        self._drops.put(name)

    def close(self) -> None:
        """Drop the spare copies and the queued ones, stop both threads, fail if any step did."""
        self._stop.set()
        self._maker.join()
        while not self._ready.empty():
            self._drops.put(self._ready.get())
        for _ in self._droppers:
            self._drops.put(None)
        for dropper in self._droppers:
            dropper.join()
        self._drop_engine.dispose()
        if self._errors:
            raise RuntimeError("test databases: " + "; ".join(self._errors))

    def _make(self) -> None:
        while not self._stop.is_set():
            name = f"fd_test_{uuid.uuid4().hex[:12]}"
            try:
                with self._admin.engine.connect() as conn:
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
            except Exception as exc:  # noqa: BLE001 - take() and close() report it
                self._errors.append(f"create {name}: {exc}")
                return
            while True:
                try:
                    self._ready.put(name, timeout=0.5)
                    break
                except queue.Full:
                    if self._stop.is_set():
                        self._drops.put(name)
                        return

    def _drop(self) -> None:
        while (name := self._drops.get()) is not None:
            try:
                drop_now(self._drop_engine, name)
            except Exception as exc:  # noqa: BLE001 - close() reports it
                self._errors.append(f"drop {name}: {exc}")
