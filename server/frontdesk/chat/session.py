"""Conversation storage: opening/resuming, appending entries with per-conversation seq, reads.

Every transcript entry (visitor, assistant, staff, system, tool_call, tool_result) gets the next
seq of its conversation. The seq is allocated by `UPDATE conversations SET last_seq = last_seq
+ 1 ... RETURNING` inside a write transaction: the row lock (PostgreSQL) or the write lock
(SQLite, BEGIN IMMEDIATE) serialises concurrent writers, so seqs never collide.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frontdesk.assistant.base import HistoryEntry
from frontdesk.chat import usage
from frontdesk.db import Database
from frontdesk.db.models import Conversation, Message
from frontdesk.db.types import utcnow

STATUSES = ("bot", "needs_human", "staff", "closed")
VISIBLE_ROLES = ("visitor", "assistant", "staff", "system")
HISTORY_LIMIT = 30
WELCOME_LIMIT = 500

# Append + publish happen under a per-conversation lock so subscribers see seqs in order
# (striped: a fixed set of locks, no per-conversation bookkeeping to clean up).
_LOCKS = [threading.RLock() for _ in range(256)]


def conversation_lock(conversation_id: int) -> threading.RLock:
    """The in-process lock ordering writes+publishes of one conversation."""
    return _LOCKS[conversation_id % len(_LOCKS)]


_SQLITE_WRITERS: dict[str, threading.RLock] = {}


@contextmanager
def sqlite_writer(db: Database) -> Iterator[None]:
    """Queue this process's SQLite writers on a lock (a no-op on PostgreSQL).

    SQLite has one writer at a time, and a writer that finds the database locked polls with
    growing sleeps (1, 2, 5 ... 100 ms). With dozens of chats writing, those sleeps dominated
    reply latency; waiting on a lock instead wakes the next writer as soon as one commits.
    """
    if not db.is_sqlite:
        yield
        return
    lock = _SQLITE_WRITERS.get(db.url) or _SQLITE_WRITERS.setdefault(db.url, threading.RLock())
    with lock:
        yield


@dataclass(frozen=True)
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

    @classmethod
    def of(cls, row: Message) -> Entry:
        """Copy a Message row."""
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            seq=row.seq,
            role=row.role,
            text=row.text,
            html=row.html,
            client_id=row.client_id,
            flagged=row.flagged,
            created_at=row.created_at,
            payload=dict(row.payload or {}),
        )


def new_public_id() -> str:
    """A conversation's public id (what the widget and dashboard see)."""
    return "c_" + secrets.token_urlsafe(15)


def open_conversation(
    db: Database, site_id: int, visitor_id: str, public_id: str | None, hello: dict[str, Any]
) -> Conversation:
    """Resume the visitor's own open conversation `public_id`, else start a new one.

    A conversation id belonging to another visitor or site is treated as unknown: a new
    conversation starts and nothing about the other one is revealed.
    """
    with db.write_transaction() as session:  # read-then-write: take the write lock up front
        conversation = None
        if public_id:
            conversation = session.scalars(
                select(Conversation).where(
                    Conversation.public_id == public_id,
                    Conversation.site_id == site_id,
                    Conversation.visitor_id == visitor_id,
                    Conversation.status != "closed",
                )
            ).one_or_none()
        if conversation is None:
            conversation = Conversation(
                public_id=new_public_id(), site_id=site_id, visitor_id=visitor_id, status="bot",
                last_seq=0, turns=0, prompt_tokens=0, completion_tokens=0, engine_state={},
            )  # fmt: skip
            session.add(conversation)
        conversation.page_url = hello["page"]["url"]
        conversation.page_title = hello["page"]["title"]
        conversation.visitor_tz = hello["tz"]
        conversation.lang = hello["lang"]
        session.flush()
    return conversation


def get_conversation(db: Database, conversation_id: int) -> Conversation | None:
    """A conversation by internal id (detached)."""
    with db.session() as session:
        return session.get(Conversation, conversation_id)


_CONVERSATION_BY_ID = select(Conversation.__table__).where(
    Conversation.__table__.c.id == bindparam("conversation_id")
)


def conversation_row(db: Database, conversation_id: int) -> Any | None:
    """A conversation's columns by internal id as a read-only row (attribute access).

    For the assistant turn's hot path: a plain row costs a fraction of an ORM load.
    """
    with db.engine.connect() as connection:
        return connection.execute(_CONVERSATION_BY_ID, {"conversation_id": conversation_id}).first()


def find_conversation(db: Database, public_id: str) -> Conversation | None:
    """A conversation by public id (detached)."""
    with db.session() as session:
        return session.scalars(
            select(Conversation).where(Conversation.public_id == public_id)
        ).one_or_none()


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
) -> tuple[Entry, bool]:
    """Store an entry with the next seq; (entry, created). A repeated client_id returns the
    original entry with created=False and stores nothing. `also` runs in the same transaction."""
    for _attempt in range(3):
        try:
            return _append_once(
                db, conversation_id, role, text, html, payload, client_id, flagged, also
            )
        except _Duplicate as duplicate:
            return duplicate.entry, False
        except IntegrityError:
            # Two writers raced on the same client_id; the retry finds the winner's row.
            continue
    raise RuntimeError("could not store the message")


# Built once: constructing statements (and their cache keys) cost more than running them.
_conversations, _messages = Conversation.__table__, Message.__table__
_BUMP_SEQ = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("b_conversation"))
    .values(last_seq=_conversations.c.last_seq + 1, updated_at=bindparam("b_now"))
    .returning(_conversations.c.last_seq)
)
_FIND_CLIENT_ID = select(_messages).where(
    _messages.c.conversation_id == bindparam("conversation_id"),
    _messages.c.client_id == bindparam("client_id"),
)
_INSERT = insert(_messages).returning(_messages.c.id)


def _append_once(db, conversation_id, role, text, html, payload, client_id, flagged, also):
    now = utcnow()
    # Without `also`, a Core connection does: an ORM session costs more than the statements.
    transaction = db.write_transaction() if also else db.write_engine.begin()
    with sqlite_writer(db), transaction as session:
        # Lock the conversation row first: a concurrent writer with the same client_id waits
        # here, then (READ COMMITTED) sees the committed duplicate below.
        seq = session.execute(
            _BUMP_SEQ, {"b_conversation": conversation_id, "b_now": now}
        ).scalar_one()
        if client_id is not None:
            existing = session.execute(
                _FIND_CLIENT_ID, {"conversation_id": conversation_id, "client_id": client_id}
            ).one_or_none()
            if existing is not None:
                raise _Duplicate(Entry(**existing._asdict()))  # rolls the seq bump back
        values = {
            "conversation_id": conversation_id, "seq": seq, "role": role, "client_id": client_id,
            "text": text, "html": html, "payload": payload or {}, "flagged": flagged,
            "created_at": now,
        }  # fmt: skip
        message_id = session.execute(_INSERT, values).scalar_one()
        entry = Entry(id=message_id, **values)
        if also is not None:
            also(session, entry)
        return entry, True


def visible_since(db: Database, conversation_id: int, after: int) -> list[Entry]:
    """Visible entries (not tool calls/results) with seq > after, oldest first (capped)."""
    with db.session() as session:
        rows = session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.seq > after,
                Message.role.in_(VISIBLE_ROLES),
            )
            .order_by(Message.seq.desc())
            .limit(WELCOME_LIMIT)
        ).all()
        return [Entry.of(row) for row in reversed(rows)]


_HISTORY = (
    select(_messages.c.role, _messages.c.text, _messages.c.payload)
    .where(
        _messages.c.conversation_id == bindparam("conversation_id"),
        _messages.c.seq != bindparam("current_seq"),
        ~((_messages.c.seq > bindparam("current_seq")) & (_messages.c.role == "visitor")),
    )
    .order_by(_messages.c.seq.desc())
    .limit(HISTORY_LIMIT)
)


def history(db: Database, conversation_id: int, current_seq: int) -> list[HistoryEntry]:
    """The last HISTORY_LIMIT entries the engine should see for the visitor entry `current_seq`.

    Everything stored so far except that entry itself and visitor messages that came after it
    (they get their own turns). Answers to earlier messages may have a higher seq than the
    current message when the visitor wrote during a turn; they are history all the same.
    """
    params = {"conversation_id": conversation_id, "current_seq": current_seq}
    with db.engine.connect() as connection:
        rows = connection.execute(_HISTORY, params).all()
    return [HistoryEntry(role, text, dict(payload or {})) for role, text, payload in reversed(rows)]


_SAVE_TURN = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("b_conversation"))
    .values(engine_state=bindparam("b_state"), turns=_conversations.c.turns + 1)
    .returning(_conversations.c.status)
)


def save_turn(
    db: Database,
    conversation_id: int,
    state: dict[str, Any],
    *,
    site_id: int,
    tokens: tuple[int, int] = (0, 0),
) -> str | None:
    """Persist the engine's state, count the turn and add its token usage (prompt, completion),
    in one transaction; returns the conversation's status now."""
    params = {"b_conversation": conversation_id, "b_state": state}
    for _attempt in range(3):
        try:
            with sqlite_writer(db), db.write_engine.begin() as connection:
                usage.add_usage_in(connection, site_id, conversation_id, *tokens)
                return connection.execute(_SAVE_TURN, params).scalar_one_or_none()
        except IntegrityError:  # the day's usage row was inserted concurrently: retry
            continue
    raise RuntimeError("could not save the turn")


def flag(db: Database, conversation_id: int, message_id: int | None) -> None:
    """Mark a message and its conversation as flagged by moderation."""
    with db.transaction() as session:
        session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(flagged=True)
        )
        if message_id is not None:
            session.execute(update(Message).where(Message.id == message_id).values(flagged=True))


def set_status(db: Database, conversation_id: int, status: str) -> str:
    """Change a conversation's status; returns the previous one."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    with db.write_transaction() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise LookupError("no such conversation")
        previous = conversation.status
        conversation.status = status
        return previous
