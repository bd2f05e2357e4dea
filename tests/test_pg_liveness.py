"""frontdesk.db.liveness: pooled PostgreSQL connections checked at checkout by a socket poll."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from frontdesk.db import Database, raw

PID = raw.SQL("SELECT pg_backend_pid()")


@pytest.fixture
def pg_db(new_database_url):
    database = Database(new_database_url("postgresql"), pool_size=1, max_overflow=0)
    yield database
    database.dispose()


def backend_pid(db: Database) -> int:
    with raw.reading(db) as cursor:
        return cursor.one(PID, {})[0]


def terminate(db: Database, pid: int) -> None:
    url = db.engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def test_a_connection_postgresql_ended_while_pooled_is_replaced_at_checkout(pg_db):
    first = backend_pid(pg_db)
    terminate(pg_db, first)  # as a PostgreSQL restart or an idle timeout would
    second = backend_pid(pg_db)  # no error: the closed one was dropped, a new one opened
    assert second != first
    terminate(pg_db, second)
    with pg_db.session() as session:  # the ORM's checkouts go through the same check
        assert session.execute(text("SELECT 1")).scalar() == 1


def test_a_live_pooled_connection_is_handed_out_without_a_statement(pg_db, tmp_path):
    pid = backend_pid(pg_db)
    pooled = pg_db.engine.raw_connection()
    trace = tmp_path / "libpq.trace"
    with trace.open("w") as sink:
        pooled.dbapi_connection.pgconn.trace(sink.fileno())
        pooled.close()  # back to the pool
        assert backend_pid(pg_db) == pid  # the same connection, checked out again
        pooled = pg_db.engine.raw_connection()
        pooled.dbapi_connection.pgconn.untrace()
        pooled.close()
    queries = [line.rsplit("\t", 1)[1] for line in trace.read_text().splitlines()
               if "\tQuery\t" in line]  # fmt: skip
    # Only our reading's own statement: no SELECT 1 (pre-ping) before it.
    assert queries == [' "SELECT pg_backend_pid()"'], queries
