"""Plain SQL on DBAPI connections, for the chat's per-message statements.

SQLAlchemy's execution layer costs about 80 µs per statement (execution context, events,
result objects), several times what SQLite spends running it. A visitor's message is stored,
read back into the prompt and answered with a handful of statements on the path the visitor
waits on, so those few are written once as SQL with `:name` parameters and run on a DBAPI
connection (sqlite3 from SqliteConnections, psycopg from SQLAlchemy's pool). Everything else
keeps the ORM. Values that the ORM's
column types would convert are converted here the same way (see `Cursor.time` and
`Cursor.json`, `read_time` and `read_json`), so both paths read each other's rows.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy.exc
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from frontdesk.db import Database

# ":name" but not a PostgreSQL cast ("::jsonb") or a time literal inside a word.
_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")
# SQLAlchemy's SQLite DATETIME text ("2026-01-02 03:04:05.000000"), which string comparisons
# and the ORM rely on; written with isoformat (a third of strftime's cost, and the year always
# has four digits, as SQLAlchemy writes it).
SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class SQL:
    """One statement with `:name` parameters, kept in each driver's parameter style."""

    __slots__ = ("sqlite", "postgresql")

    def __init__(self, text: str) -> None:
        self.sqlite = text  # sqlite3 understands :name itself
        self.postgresql = _PARAMETER.sub(r"%(\1)s", text)


class Cursor:
    """A DBAPI cursor that runs `SQL` in the right style and binds values like the ORM."""

    __slots__ = ("dbapi", "is_sqlite")  # dbapi: the driver cursor (db.batch uses its connection)

    def __init__(self, cursor: Any, is_sqlite: bool) -> None:
        self.dbapi = cursor
        self.is_sqlite = is_sqlite

    def run(self, sql: SQL, params: dict[str, Any]) -> int:
        """Execute a statement; returns the number of rows it changed."""
        return self.dbapi.execute(sql.sqlite if self.is_sqlite else sql.postgresql, params).rowcount

    def one(self, sql: SQL, params: dict[str, Any]) -> tuple | None:
        """The first row of a query (or RETURNING clause), None when there is none."""
        cursor = self.dbapi
        cursor.execute(sql.sqlite if self.is_sqlite else sql.postgresql, params)
        return cursor.fetchone()

    def all(self, sql: SQL, params: dict[str, Any]) -> list[tuple]:
        """Every row of a query."""
        cursor = self.dbapi
        cursor.execute(sql.sqlite if self.is_sqlite else sql.postgresql, params)
        return cursor.fetchall()

    def time(self, value: datetime) -> Any:
        """Bind an aware datetime as UTCDateTime does: naive UTC text on SQLite."""
        if value.tzinfo is not UTC:  # utcnow()'s values need no conversion
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
        return (
            value.replace(tzinfo=None).isoformat(" ", "microseconds") if self.is_sqlite else value
        )

    def day(self, value: date) -> Any:
        """Bind a date as the ORM's Date type does: ISO text on SQLite."""
        return value.isoformat() if self.is_sqlite else value

    def json(self, value: Any) -> Any:
        """Bind a JSON column's value: text on SQLite, psycopg's JSON adapter on PostgreSQL."""
        if self.is_sqlite:
            return json.dumps(value)
        from psycopg.types.json import Json

        return Json(value)


def read_time(value: Any) -> datetime:
    """A UTCDateTime column's value as an aware UTC datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def read_json(value: Any) -> Any:
    """A JSON column's value: SQLite returns the text, psycopg has decoded it already."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def integrity_errors(db: Database) -> tuple[type[Exception], ...]:
    """The exceptions a violated constraint raises here: the driver's own and SQLAlchemy's."""
    return (db.engine.dialect.dbapi.IntegrityError, sqlalchemy.exc.IntegrityError)


_SQLITE_WRITERS: dict[str, threading.RLock] = {}


@contextmanager
def sqlite_writer(db: Database) -> Iterator[None]:
    """Queue this process's SQLite writers on a lock (a no-op on PostgreSQL).

    SQLite has one writer at a time, and a writer that finds the database locked polls with
    growing sleeps (1, 2, 5 ... 100 ms). With dozens of chats writing, those sleeps dominated
    reply latency; waiting on a lock instead wakes the next writer as soon as one commits.
    """
    lock = _writer_lock(db)
    if lock is None:
        yield
        return
    with lock:
        yield


def _writer_lock(db: Database) -> threading.RLock | None:
    """The process's lock for this SQLite database's writers (None on PostgreSQL)."""
    if not db.is_sqlite:
        return None
    return _SQLITE_WRITERS.get(db.url) or _SQLITE_WRITERS.setdefault(db.url, threading.RLock())


class SqliteConnections:
    """The raw path's own idle SQLite connections: a stack, the most recently used on top.

    SQLAlchemy's pool checkout and return (events, reset-on-return) cost ~10 µs on a busy
    server but ~0.25 ms on one that sat idle between two messages, and the path to the first
    words of an answer takes two; a list's pop and append (atomic under the GIL) cost next to
    nothing. The connections come from the engine's pool, detached, so they carry its setup
    (WAL, synchronous, foreign keys, busy timeout, checkpoint threshold). SQLite connections to
    a local file do not go stale, which is what makes a pool without health checks safe;
    PostgreSQL keeps SQLAlchemy's pool (with db.liveness's check at checkout).
    """

    MAX_IDLE = 16

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self._idle: list[Any] = []

    def take(self) -> Any:
        """An idle connection, or a new one."""
        try:
            return self._idle.pop()
        except IndexError:
            pooled = self._engine.raw_connection()
            pooled.detach()  # ours from now on: never returned to the engine's pool
            return pooled.dbapi_connection

    def give_back(self, connection: Any) -> None:
        """Keep a connection (outside any transaction) for the next caller."""
        if len(self._idle) < self.MAX_IDLE:
            self._idle.append(connection)
        else:
            connection.close()

    def close(self) -> None:
        """Close the idle connections."""
        while self._idle:
            self._idle.pop().close()


# writing() and reading() run on every chat message: each is one small class with plain calls
# inside, not nested context managers (each level cost ~2.5 µs) nor a generator (~2 µs more).


def _open(db: Database) -> Any:
    """A DBAPI connection for the raw path (hand it back with _close)."""
    return db.sqlite_connections.take() if db.is_sqlite else db.engine.raw_connection()


def _close(db: Database, connection: Any) -> None:
    """Return a connection from _open: kept for reuse, or dropped if it is unusable."""
    if not db.is_sqlite:
        connection.close()  # the pool's reset ends PostgreSQL's implicit transaction
    elif _outside_transaction(connection):
        db.sqlite_connections.give_back(connection)
    else:  # a rollback that failed: not safe to hand out again
        with contextlib.suppress(Exception):
            connection.close()


class writing:  # noqa: N801 - used as `with raw.writing(db) as cursor`, like a function
    """A write transaction of its own: committed on success, rolled back on any error.

    On SQLite it holds the write lock from the start (BEGIN IMMEDIATE), like write_transaction.
    """

    __slots__ = ("_db", "_lock", "_connection", "_cursor")

    def __init__(self, db: Database) -> None:
        self._db = db
        self._connection = self._cursor = None

    def __enter__(self) -> Cursor:
        db = self._db
        self._lock = _writer_lock(db)
        if self._lock is not None:
            self._lock.acquire()
        try:
            self._connection = _open(db)
            self._cursor = self._connection.cursor()
            if db.is_sqlite:
                self._cursor.execute("BEGIN IMMEDIATE")
        except BaseException as exc:
            self.__exit__(type(exc), exc, None)
            raise
        return Cursor(self._cursor, db.is_sqlite)

    def __exit__(self, kind: Any, error: Any, trace: Any) -> bool:
        db, connection, cursor = self._db, self._connection, self._cursor
        try:
            if cursor is not None:
                try:
                    if kind is None:
                        cursor.execute("COMMIT") if db.is_sqlite else connection.commit()
                except BaseException:
                    kind = BaseException  # a failed commit is rolled back
                    raise
                finally:
                    if kind is not None:
                        _roll_back(connection, cursor, db.is_sqlite)
                    cursor.close()
        finally:
            try:
                if connection is not None:
                    _close(db, connection)
            finally:
                if self._lock is not None:
                    self._lock.release()
        return False  # errors go on to the caller


class reading:  # noqa: N801 - used as `with raw.reading(db) as cursor`, like a function
    """A cursor for reads; each statement sees the latest committed data.

    On PostgreSQL the statements run in autocommit: psycopg would otherwise send BEGIN before
    the first and the pool ROLLBACK after the last, each a round trip of its own (READ
    COMMITTED either way); the connection goes back to the pool in its transactional mode.
    """

    __slots__ = ("_db", "_connection", "_cursor")

    def __init__(self, db: Database) -> None:
        self._db = db

    def __enter__(self) -> Cursor:
        db = self._db
        connection = self._connection = _open(db)
        try:
            if not db.is_sqlite:
                connection.dbapi_connection.autocommit = True  # checked out outside a transaction
            self._cursor = connection.cursor()
        except BaseException:
            _close(db, connection)
            raise
        return Cursor(self._cursor, db.is_sqlite)

    def __exit__(self, kind: Any, error: Any, trace: Any) -> bool:
        try:
            self._cursor.close()
            if not self._db.is_sqlite:
                _leave_autocommit(self._connection)
        finally:
            _close(self._db, self._connection)
        return False


@contextmanager
def in_session(session: Session) -> Iterator[Cursor]:
    """A cursor inside an ORM session's transaction (its connection, its commit)."""
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()
    try:
        yield Cursor(cursor, connection.dialect.name == "sqlite")
    finally:
        cursor.close()


def _roll_back(connection: Any, cursor: Any, is_sqlite: bool) -> None:
    try:
        if not is_sqlite:
            connection.rollback()
        elif connection.in_transaction:
            cursor.execute("ROLLBACK")
    except Exception:  # a broken connection must not be handed out again
        if not is_sqlite:
            connection.invalidate()  # (SQLite: _connection drops it, still in a transaction)


def _leave_autocommit(connection: Any) -> None:
    try:
        connection.dbapi_connection.autocommit = False
    except Exception:  # closed or broken: the pool must not hand it out again
        connection.invalidate()


def _outside_transaction(connection: Any) -> bool:
    try:
        return not connection.in_transaction
    except Exception:  # closed or broken
        return False
