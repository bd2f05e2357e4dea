"""Database access: engines, sessions and write transactions for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from frontdesk.db import liveness, site_versions
from frontdesk.db.checkpoint import BACKSTOP_PAGES, DEFAULT_PAGES, Checkpointer
from frontdesk.db.models import Base
from frontdesk.db.raw import SqliteConnections

__all__ = ["Base", "Database"]


class Database:
    """Owns the engines and hands out sessions; one per app, never built at import time."""

    def __init__(
        self,
        url: str,
        *,
        checkpoint_interval: float = 0,
        checkpoint_pages: int = DEFAULT_PAGES,
        **engine_options: Any,
    ) -> None:
        """`checkpoint_interval` > 0 (SQLite, long-lived servers): WAL checkpoints run on a
        background thread instead of inside commits, looking that often and checkpointing once
        `checkpoint_pages` are waiting (see db.checkpoint)."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        background = self.is_sqlite and checkpoint_interval > 0
        autocheckpoint = BACKSTOP_PAGES if background else None
        self.engine = self._make_engine(
            url, immediate=False, autocheckpoint=autocheckpoint, **engine_options
        )
        # SQLite serialises writers; booking writes take the write lock up front (BEGIN
        # IMMEDIATE) so the availability re-check and the insert see the same state.
        self.write_engine = (
            self._make_engine(url, immediate=True, autocheckpoint=autocheckpoint, **engine_options)
            if self.is_sqlite
            else self.engine
        )
        # The chat's plain-SQL path keeps its own SQLite connections (see db.raw).
        self.sqlite_connections = SqliteConnections(self.write_engine) if self.is_sqlite else None
        self.checkpointer = (
            Checkpointer(self, checkpoint_interval, checkpoint_pages) if background else None
        )
        if self.checkpointer is not None:
            self.checkpointer.start()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self.write_engine, expire_on_commit=False)
        for sessions in (self._sessions, self._write_sessions):
            site_versions.watch(sessions)

    @staticmethod
    def _make_engine(
        url: str, *, immediate: bool, autocheckpoint: int | None, **options: Any
    ) -> Engine:
        # Hand out the most recently used connection: its caches (SQLite's page cache and
        # prepared statements, PostgreSQL's backend) are the warmest.
        options.setdefault("pool_use_lifo", True)
        if not url.startswith("sqlite"):
            # Up to 20 kept open, 30 at most: a connection past the kept ones is closed when
            # handed back, and opening one costs ~2 ms of CPU (the client's 0.6, the new
            # backend's 1.2); with 10 kept, bursts at 150 msg/s opened one every 20 messages.
            options.setdefault("pool_size", 20)
            options.setdefault("max_overflow", 10)
            engine = create_engine(url, **options)
            if not options.get("pool_pre_ping"):
                liveness.check_on_checkout(engine)  # a poll of the socket, not a SELECT 1
            return engine
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **options
        )
        _configure_sqlite(
            engine, begin="BEGIN IMMEDIATE" if immediate else "BEGIN", autocheckpoint=autocheckpoint
        )
        return engine

    def session(self) -> Session:
        """A session for reads and ordinary writes."""
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def write_transaction(self) -> Iterator[Session]:
        """A transaction that holds the database write lock from its first statement (SQLite)."""
        with self._write_sessions() as session, session.begin():
            yield session

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        """Stop the checkpoint thread and close every pooled connection."""
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if self.sqlite_connections is not None:
            self.sqlite_connections.close()
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


def _configure_sqlite(engine: Engine, *, begin: str, autocheckpoint: int | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if autocheckpoint is not None:
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)
