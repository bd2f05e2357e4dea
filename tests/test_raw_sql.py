"""frontdesk.db.raw: transactions and the SQLite connection stack, on real databases."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy.exc
from sqlalchemy.dialects import sqlite

from frontdesk.db import Database, raw

CREATE = raw.SQL("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT UNIQUE)")
INSERT = raw.SQL("INSERT INTO notes (body) VALUES (:body)")
COUNT = raw.SQL("SELECT count(*) FROM notes")


@pytest.fixture
def sqlite_db(sqlite_url):
    database = Database(sqlite_url)
    with raw.writing(database) as cursor:
        cursor.run(CREATE, {})
    yield database
    database.dispose()


def count(db: Database) -> int:
    with raw.reading(db) as cursor:
        return cursor.one(COUNT, {})[0]


def test_sqlite_connections_are_reused_most_recent_first(sqlite_db):
    with raw.reading(sqlite_db) as cursor:
        first = cursor.dbapi.connection
    with raw.writing(sqlite_db) as cursor:
        assert cursor.dbapi.connection is first  # taken from the stack, not opened anew
        cursor.run(INSERT, {"body": "a"})
    with raw.reading(sqlite_db) as outer, raw.reading(sqlite_db) as inner:
        assert outer.dbapi.connection is first
        assert inner.dbapi.connection is not first  # in use: a second one is opened
    assert count(sqlite_db) == 1


def test_stacked_connections_carry_the_engines_setup(sqlite_db):
    with raw.reading(sqlite_db) as cursor:
        connection = cursor.dbapi.connection
        assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
        assert connection.in_transaction is False  # autocommit: transactions are explicit


def test_a_failed_write_is_rolled_back_and_its_connection_stays_usable(sqlite_db):
    with raw.writing(sqlite_db) as cursor:
        cursor.run(INSERT, {"body": "same"})
    with pytest.raises(sqlite3.IntegrityError), raw.writing(sqlite_db) as cursor:
        cursor.run(INSERT, {"body": "other"})
        cursor.run(INSERT, {"body": "same"})  # violates UNIQUE: the whole transaction goes
    assert count(sqlite_db) == 1
    with raw.writing(sqlite_db) as cursor:
        cursor.run(INSERT, {"body": "other"})
    assert count(sqlite_db) == 2


def test_a_connection_left_in_a_transaction_is_not_handed_out_again(sqlite_db):
    with raw.reading(sqlite_db) as cursor:
        spoiled = cursor.dbapi.connection
        cursor.dbapi.execute("BEGIN")  # as if a rollback had failed
    with raw.reading(sqlite_db) as cursor:
        assert cursor.dbapi.connection is not spoiled
    with pytest.raises(sqlite3.ProgrammingError):
        spoiled.execute("SELECT 1")  # it was closed


def test_idle_connections_are_bounded_and_closed_on_dispose(sqlite_url):
    db = Database(sqlite_url)
    connections = []
    ready, release = threading.Barrier(21), threading.Event()

    def hold():
        with raw.reading(db) as cursor:
            connections.append(cursor.dbapi.connection)
            ready.wait(timeout=30)  # a thread that fails breaks the barrier, not the run
            release.wait(timeout=30)

    threads = [threading.Thread(target=hold) for _ in range(20)]
    for thread in threads:
        thread.start()
    ready.wait(timeout=30)
    release.set()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in connections}) == 20
    assert len(db.sqlite_connections._idle) == raw.SqliteConnections.MAX_IDLE
    db.dispose()
    assert db.sqlite_connections._idle == []
    closed = 0
    for connection in connections:
        try:
            connection.execute("SELECT 1")
        except sqlite3.ProgrammingError:
            closed += 1
    assert closed == 20  # the idle ones on dispose, the extra ones when given back


def test_postgresql_uses_the_engines_pool(new_database_url):
    db = Database(new_database_url("postgresql"))
    try:
        assert db.sqlite_connections is None
        with raw.writing(db) as cursor:
            cursor.run(raw.SQL("CREATE TABLE notes (id SERIAL PRIMARY KEY, body TEXT UNIQUE)"), {})
            cursor.run(INSERT, {"body": "pg"})
        assert count(db) == 1
    finally:
        db.dispose()


def test_times_are_bound_as_sqlalchemys_sqlite_datetime_writes_them(sqlite_db):
    orm_text = sqlite.DATETIME().bind_processor(sqlite_db.engine.dialect)
    cursor = raw.Cursor(None, True)
    for value in (
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # no microseconds: still six digits
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 6, 1, 12, 30, tzinfo=ZoneInfo("Europe/Dublin")),  # stored as UTC
        datetime(5, 1, 2, tzinfo=UTC),  # a four-digit year, as SQLAlchemy writes it
    ):
        assert cursor.time(value) == orm_text(value.astimezone(UTC).replace(tzinfo=None))


def traced_queries(db: Database, tmp_path, work) -> list[str]:
    """The statements libpq sent while `work(db)` ran on the pool's one connection."""
    pooled = db.engine.raw_connection()
    trace = tmp_path / "libpq.trace"
    with trace.open("w") as sink:
        pooled.dbapi_connection.pgconn.trace(sink.fileno())
        pooled.close()
        work(db)
        pooled = db.engine.raw_connection()
        pooled.dbapi_connection.pgconn.untrace()
        pooled.close()
    return [line.rsplit("\t", 1)[1].strip(' "') for line in trace.read_text().splitlines()
            if "\tQuery\t" in line]  # fmt: skip


def test_a_postgresql_reading_sends_its_statements_alone(new_database_url, tmp_path):
    db = Database(new_database_url("postgresql"), pool_size=1, max_overflow=0)
    try:
        with raw.writing(db) as cursor:
            cursor.run(raw.SQL("CREATE TABLE notes (id SERIAL PRIMARY KEY, body TEXT UNIQUE)"), {})

        def read_twice(db: Database) -> None:
            with raw.reading(db) as cursor:
                cursor.one(COUNT, {})
                cursor.one(COUNT, {})

        # Autocommit: no BEGIN before them, no ROLLBACK after (a round trip each).
        assert traced_queries(db, tmp_path, read_twice) == ["SELECT count(*) FROM notes"] * 2
        # The connection went back transactional: a failed write is still rolled back whole.
        with pytest.raises(RuntimeError), raw.writing(db) as cursor:
            cursor.run(INSERT, {"body": "rolled back"})
            raise RuntimeError
        assert count(db) == 0
    finally:
        db.dispose()


def test_postgresql_keeps_a_burst_of_twenty_connections_open(new_database_url):
    # A burst past the kept connections would close the extra ones on return, and the next
    # burst would pay for opening them again (a new PostgreSQL backend each).
    db = Database(new_database_url("postgresql"), pool_timeout=0.2)
    held = []
    try:
        for _ in range(20):
            held.append(db.engine.raw_connection())
        for connection in held:
            connection.close()
        assert db.engine.pool.checkedin() == 20
        held = []
        with pytest.raises(sqlalchemy.exc.TimeoutError):  # and no more than 30 at once
            for _ in range(31):
                held.append(db.engine.raw_connection())
        assert len(held) == 30
    finally:
        for connection in held:
            connection.close()
        db.dispose()
