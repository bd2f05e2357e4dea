"""A conversation's transcript: appending entries with the next seq, and reading them back.

Every entry (visitor, assistant, staff, system, tool_call, tool_result) gets the next seq of its
conversation, allocated by `UPDATE conversations SET last_seq = last_seq + 1 ... RETURNING`
inside a write transaction: the row lock (PostgreSQL) or the write lock (SQLite, BEGIN
IMMEDIATE) serialises concurrent writers, so seqs never collide. These statements run on every
visitor message, on the path the visitor waits on, so they are plain SQL on the DBAPI
connection (frontdesk.db.raw) rather than ORM or Core statements. On PostgreSQL the bump and
the insert are one statement instead (chat.pg_writes: no BEGIN / COMMIT round trips). A turn's
own last write (its message with its state and token counts) is in chat.turn_record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from frontdesk.assistant.base import HistoryEntry
from frontdesk.db import Database, raw
from frontdesk.db.raw import SQL
from frontdesk.db.types import utcnow

VISIBLE_ROLES = ("visitor", "assistant", "staff", "system")
HISTORY_LIMIT = 30
WELCOME_LIMIT = 500
T = TypeVar("T")
_COLUMNS = (
    "id, conversation_id, seq, role, text, html, client_id, flagged, created_at, payload, "
    "work_pending"
)
ENTRY_COLUMNS = _COLUMNS  # what Entry.of_row reads, for other modules' queries


# Not frozen (treat as read-only): a frozen dataclass sets each of its fields through
# object.__setattr__, and every message builds two of these (~5 µs each).
@dataclass(slots=True)
class Entry:
    """A stored transcript entry, detached from any session."""

    id: int
    conversation_id: int
    seq: int
    role: str
    text: str
    html: str
    client_id: str | None
    flagged: bool
    created_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    work_pending: bool = False  # acked work (an answer, a confirm) not done yet (chat.work)

    @classmethod
    def of_row(cls, row: tuple) -> Entry:
        """Build from a raw row in _COLUMNS order."""
        id_, conversation_id, seq, role, text, html, client_id, flagged, created_at, payload, \
            pending = row  # fmt: skip
        return cls(
            id=id_, conversation_id=conversation_id, seq=seq, role=role, text=text, html=html,
            client_id=client_id, flagged=bool(flagged), created_at=raw.read_time(created_at),
            payload=raw.read_json(payload) or {}, work_pending=bool(pending),
        )  # fmt: skip


class _Duplicate(Exception):
    def __init__(self, entry: Entry) -> None:
        self.entry = entry


def append(
    db: Database,
    conversation_id: int,
    role: str,
    text: str,
    *,
    html: str = "",
    payload: dict[str, Any] | None = None,
    client_id: str | None = None,
    flagged: bool = False,
    also: Callable[[Session, Entry], None] | None = None,
    pending: bool = False,
    done: int | None = None,
) -> tuple[Entry, bool]:
    """Store an entry with the next seq; (entry, created). A repeated client_id returns the
    original entry with created=False and stores nothing. `also` runs in the same transaction.
    `pending`: the entry is acked work still to do; `done`: the id of the entry whose work this
    one completes (cleared in the same transaction)."""
    values = entry_values(conversation_id, role, text, html, payload, client_id, flagged, pending)

    def attempt() -> Entry:
        try:
            if also is None and not db.is_sqlite:
                return _append_one(db, values, done)
            if also is None:
                with raw.writing(db) as cursor:
                    return _append_in(cursor, values, done)
            # `also` writes through the ORM: share its transaction (and its connection).
            with raw.sqlite_writer(db), db.write_transaction() as session:
                with raw.in_session(session) as cursor:
                    entry = _append_in(cursor, values, done)
                also(session, entry)
                return entry
        except raw.integrity_errors(db):
            # Rolled back. A client_id already stored (a re-sent frame) is a duplicate, not an
            # error; looked up only now, so the common path writes without reading first.
            existing = _find_client_id(db, conversation_id, client_id)
            if existing is not None:
                raise _Duplicate(existing) from None
            raise  # another constraint (the day's first usage row): retrying() tries again

    try:
        return retrying(db, attempt), True
    except _Duplicate as duplicate:  # the transaction was rolled back: nothing stored
        return duplicate.entry, False


def entry_values(
    conversation_id, role, text, html, payload, client_id, flagged, pending=False
) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id, "role": role, "client_id": client_id, "text": text,
        "html": html, "payload": payload or {}, "flagged": flagged, "work_pending": pending,
    }  # fmt: skip


def retrying(db: Database, attempt: Callable[[], T]) -> T:
    """Run a write transaction, again when a racing writer broke a unique constraint first
    (the same client_id, the day's first usage row): the retry sees the winner's row."""
    for _attempt in range(3):
        try:
            return attempt()
        except raw.integrity_errors(db):
            continue
    raise RuntimeError("could not write to the transcript")


_BUMP_SEQ = SQL(
    "UPDATE conversations SET last_seq = last_seq + 1, updated_at = :now "
    "WHERE id = :conversation_id RETURNING last_seq"
)
# A visitor's entry also says they were heard from (chat.presence's visitor_seen_at), so the
# socket's heartbeat needs no write of its own while the visitor is writing.
_BUMP_SEQ_SEEN = SQL(
    "UPDATE conversations SET last_seq = last_seq + 1, updated_at = :now, visitor_seen_at = :now "
    "WHERE id = :conversation_id RETURNING last_seq"
)
_FIND_CLIENT_ID = SQL(
    f"SELECT {_COLUMNS} FROM messages "
    "WHERE conversation_id = :conversation_id AND client_id = :client_id"
)
_INSERT = SQL(
    "INSERT INTO messages (conversation_id, seq, role, client_id, text, html, payload, flagged, "
    "created_at, work_pending) VALUES (:conversation_id, :seq, :role, :client_id, :text, :html, "
    ":payload, :flagged, :created_at, :work_pending) RETURNING id"
)
_WORK_DONE = SQL("UPDATE messages SET work_pending = :no WHERE id = :id AND work_pending")


def work_done_in(cursor: raw.Cursor, message_id: int | None) -> None:
    """Mark an entry's acked work done, in the caller's transaction."""
    if message_id is not None:
        cursor.run(_WORK_DONE, {"id": message_id, "no": False})


_IS_PENDING = SQL("SELECT work_pending FROM messages WHERE id = :id")


def pending_query(message_id: int) -> tuple[raw.SQL, dict[str, Any]]:
    """The query whether an entry's acked work is unfinished (read it with `pending_of`)."""
    return _IS_PENDING, {"id": message_id}


def pending_of(rows: list[tuple]) -> bool:
    """Whether pending_query's rows say the work is unfinished."""
    return bool(rows and rows[0][0])


def mark_done(db: Database, message_id: int) -> None:
    """Mark an entry's acked work done (in a transaction of its own)."""
    with raw.writing(db) as cursor:
        work_done_in(cursor, message_id)


def _find_client_id(db: Database, conversation_id: int, client_id: str | None) -> Entry | None:
    """The conversation's stored entry with this client_id, if any."""
    if client_id is None:
        return None
    with raw.reading(db) as cursor:
        row = cursor.one(
            _FIND_CLIENT_ID, {"conversation_id": conversation_id, "client_id": client_id}
        )
    return Entry.of_row(row) if row is not None else None


def _append_in(cursor: raw.Cursor, values: dict[str, Any], done: int | None = None) -> Entry:
    now = utcnow()
    conversation_id = values["conversation_id"]
    # The conversation row first (its row lock on PostgreSQL): a concurrent writer of the same
    # client_id waits here, then breaks the unique constraint on insert (a duplicate).
    bump = _BUMP_SEQ_SEEN if values["role"] == "visitor" else _BUMP_SEQ
    bound_now = cursor.time(now)
    bumped = cursor.one(bump, {"conversation_id": conversation_id, "now": bound_now})
    if bumped is None:
        raise LookupError(f"no conversation {conversation_id}")
    return insert_in(cursor, values, bumped[0], now, done, bound_now)


def _append_one(db: Database, values: dict[str, Any], done: int | None) -> Entry:
    """PostgreSQL: _append_in's writes as one statement (chat.pg_writes)."""
    from frontdesk.chat import pg_writes

    now = utcnow()
    stored = pg_writes.append(db, values, now, done)
    if stored is None:
        raise LookupError(f"no conversation {values['conversation_id']}")
    return Entry(id=stored[0], seq=stored[1], created_at=now, **values)


def insert_in(
    cursor: raw.Cursor, values: dict[str, Any], seq: int, now: datetime, done: int | None,
    bound_now: Any = None,
) -> Entry:  # fmt: skip
    """Insert the entry with its seq (already bumped) and mark `done`'s work done, in the
    caller's transaction (`bound_now`: cursor.time(now), when the caller has it already)."""
    bound = {**values, "seq": seq, "payload": cursor.json(values["payload"]),
             "created_at": cursor.time(now) if bound_now is None else bound_now}  # fmt: skip
    (message_id,) = cursor.one(_INSERT, bound)
    work_done_in(cursor, done)
    return Entry(id=message_id, seq=seq, created_at=now, **values)


_VISIBLE_SINCE = SQL(
    f"SELECT {_COLUMNS} FROM messages WHERE conversation_id = :conversation_id "
    f"AND seq > :after AND role IN {VISIBLE_ROLES!r} ORDER BY seq DESC LIMIT {WELCOME_LIMIT}"
)


def visible_since(db: Database, conversation_id: int, after: int) -> list[Entry]:
    """Visible entries (not tool calls/results) with seq > after, oldest first (capped)."""
    with raw.reading(db) as cursor:
        rows = cursor.all(_VISIBLE_SINCE, {"conversation_id": conversation_id, "after": after})
    return [Entry.of_row(row) for row in reversed(rows)]


_LAST_SEQ = SQL("SELECT last_seq FROM conversations WHERE id = :conversation_id")


def last_seq(db: Database, conversation_id: int) -> int:
    """The seq of the conversation's newest entry (0 when it has none or does not exist)."""
    with raw.reading(db) as cursor:
        row = cursor.one(_LAST_SEQ, {"conversation_id": conversation_id})
    return int(row[0]) if row else 0


# Only tool entries' payloads matter to the engines (calls, results, card actions); the visible
# entries' payloads (sources, chips, cards for the widget) are left undecoded.
_HISTORY = SQL(
    "SELECT role, text, CASE WHEN role IN ('tool_call', 'tool_result') THEN payload END "
    "FROM messages WHERE conversation_id = :conversation_id "
    "AND seq <> :current_seq AND NOT (seq > :current_seq AND role = 'visitor') "
    f"ORDER BY seq DESC LIMIT {HISTORY_LIMIT}"
)


def history(cursor: raw.Cursor, conversation_id: int, current_seq: int) -> list[HistoryEntry]:
    """The last HISTORY_LIMIT entries the engine should see for the visitor entry `current_seq`.

    Everything stored so far except that entry itself and visitor messages that came after it
    (they get their own turns). Answers to earlier messages may have a higher seq than the
    current message when the visitor wrote during a turn; they are history all the same.
    Payloads are read for tool entries only (the rest have an empty payload here). Runs on the
    caller's cursor: a turn reads its conversation and history on one connection.
    """
    return history_of(cursor.all(*history_query(conversation_id, current_seq)))


def history_query(conversation_id: int, current_seq: int) -> tuple[raw.SQL, dict[str, Any]]:
    """history's query, for a batch of reads (frontdesk.db.batch)."""
    return _HISTORY, {"conversation_id": conversation_id, "current_seq": current_seq}


def history_of(rows: list[tuple]) -> list[HistoryEntry]:
    """history's result from its query's rows (newest first, as the query returns them)."""
    return [
        HistoryEntry(role, text, {} if payload is None else raw.read_json(payload) or {})
        for role, text, payload in reversed(rows)
    ]
