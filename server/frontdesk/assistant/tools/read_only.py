"""The tool box's read-only mode: the real tools on the real database, and nothing written.

Evaluations run the assistant against a site's real services, hours, bookings and knowledge.
Every write the tools would make (a proposal row, an unanswered question, an audit event, a
status change, a booking) is refused and recorded in a `WriteJournal` instead. Beneath that the
database connections are read-only themselves (PostgreSQL read-only transactions, SQLite
`query_only`), so a write that slipped past the journal fails instead of landing. Proposals are
checked in full and shown as cards, but cannot be confirmed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from frontdesk.assistant.base import ToolResult
from frontdesk.assistant.tools.proposals import fail
from frontdesk.assistant.tools.toolbox import ConversationTools
from frontdesk.booking.errors import NotAllowed
from frontdesk.booking.service import Bookings

NOT_CONFIRMABLE = "This is an evaluation: proposals are checked, never confirmed."
BOOKING_REFUSED = "Evaluation runs never change bookings."


class RefusedWrite(RuntimeError):
    """A statement that would have changed the database in read-only mode."""


@dataclass
class WriteJournal:
    """What the tools tried to write, in order: {"kind", ...details}."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, **detail: Any) -> None:
        """Record one refused write."""
        self.entries.append({"kind": kind, **_plain(detail)})

    def of(self, *kinds: str) -> list[dict[str, Any]]:
        """The entries of these kinds."""
        return [entry for entry in self.entries if entry["kind"] in kinds]


class ReadOnlyDatabase:
    """A `Database` stand-in whose sessions read the real data and never write.

    It owns its own small connection pool, read-only at the database: call `dispose()` after.
    """

    def __init__(self, db: Any, journal: WriteJournal) -> None:
        self.url = db.url
        self.is_sqlite = db.is_sqlite
        self.journal = journal
        self.engine = _read_only_engine(db.url)
        self.write_engine = self.engine
        self.sqlite_connections = None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self._sessions, "before_flush", self._before_flush)
        event.listen(self._sessions, "do_orm_execute", self._on_execute)

    def session(self) -> Session:
        """A session for reads; anything added to it is recorded and dropped at flush."""
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A 'unit of work' that is recorded, then rolled back instead of committed."""
        with self._sessions() as session:
            try:
                yield session
                self._refuse_pending(session)
            finally:
                session.rollback()

    write_transaction = transaction

    def dispose(self) -> None:
        """Close the read-only pool."""
        self.engine.dispose()

    def _before_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        self._refuse_pending(session)

    def _refuse_pending(self, session: Session) -> None:
        for verb, objects in (("insert", session.new), ("update", session.dirty),
                              ("delete", session.deleted)):  # fmt: skip
            for obj in list(objects):
                self.journal.add(verb, table=obj.__tablename__, row=_row(obj))
                session.expunge(obj)

    def _on_execute(self, state: Any) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(getattr(state.statement, "table", None), "name", "")
            self.journal.add("statement", table=table)
            raise RefusedWrite(f"read-only mode refused a write to {table or 'the database'}")


class ReadOnlyBookings(Bookings):
    """The booking service over a read-only database: reads as usual, changes refused."""

    def __init__(self, db: ReadOnlyDatabase, source: Bookings) -> None:
        super().__init__(db, secret_key=source.secret_key, public_url=source.public_url)
        self.journal = db.journal

    def create(self, site_id: int, request: Any, actor: Any, *, now: datetime | None = None):
        """Refused (recorded as a booking attempt)."""
        self.journal.add("booking", action="create", service=request.service)
        raise NotAllowed(BOOKING_REFUSED)

    def reschedule(self, public_id: str, new_start: datetime, actor: Any, *, now=None):
        """Refused (recorded as a booking attempt)."""
        self.journal.add("booking", action="reschedule", booking=public_id)
        raise NotAllowed(BOOKING_REFUSED)

    def cancel(self, public_id: str, actor: Any, *, reason: str = "", now=None):
        """Refused (recorded as a booking attempt)."""
        self.journal.add("booking", action="cancel", booking=public_id)
        raise NotAllowed(BOOKING_REFUSED)


class ReadOnlyTools(ConversationTools):
    """The eight tools for an imagined conversation on a real site, at a frozen time.

    Nothing is written: see the module docstring. `journal` says what would have been.
    """

    def __init__(
        self, db: Any, bookings: Bookings, site: Any, *, visitor_id: str, visitor_tz: str,
        now: datetime, journal: WriteJournal | None = None,
    ) -> None:  # fmt: skip
        self.journal = journal if journal is not None else WriteJournal()
        self.read_db = ReadOnlyDatabase(db, self.journal)
        super().__init__(
            self.read_db, ReadOnlyBookings(self.read_db, bookings), site,
            conversation_id=0, visitor_id=visitor_id, visitor_tz=visitor_tz,
            change_status=self._change_status, now=now,
        )  # fmt: skip

    def close(self) -> None:
        """Release the read-only connections."""
        self.read_db.dispose()

    def confirm(self, proposal_id: str) -> ToolResult:
        """Never commits: recorded as an attempt."""
        self.journal.add("confirm", proposal=str(proposal_id)[:40])
        return fail(NOT_CONFIRMABLE)

    def decline(self, proposal_id: str) -> ToolResult:
        """Nothing to drop: no proposal was stored."""
        return fail(NOT_CONFIRMABLE)

    def _audit_call(self, name: str, result: ToolResult) -> None:
        """Journalled like every audit here: no transaction, nothing written."""
        self.audit(None, f"tool.{name}", {"ok": result.ok})

    def audit(
        self, session, action: str, data: dict[str, Any], *, actor_type: str = "assistant"
    ) -> None:
        """Kept in the journal, not in the audit log."""
        self.journal.add("audit", action=action, data=data)

    def _change_status(self, status: str, *, only_from: Any = None) -> str:
        self.journal.add("status", status=status)
        return status

    def _require_conversation(self, session: Session) -> None:
        """The imagined conversation has no row: there is nothing to look up."""


def _read_only_engine(url: str) -> Engine:
    """An engine whose connections the database itself keeps from writing."""
    if not url.startswith("sqlite"):
        options = {"options": "-c default_transaction_read_only=on"}
        return create_engine(url, connect_args=options, pool_size=2, max_overflow=4,
                             pool_pre_ping=True)  # fmt: skip
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy decides when transactions begin
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def _row(obj: Any) -> dict[str, Any]:
    """The column values of a refused row, for the journal."""
    return {attr.key: getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs}


def _plain(value: Any) -> Any:
    """JSON-safe copy: dates as ISO strings, other unknown objects as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
