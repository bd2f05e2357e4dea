"""Conversation rows: opening or resuming one, lookups, flags and the turn's snapshot.

The transcript itself (entries with their per-conversation seq) is in chat.transcript.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from frontdesk.chat import alerts
from frontdesk.db import Database, raw
from frontdesk.db.models import Conversation, Message
from frontdesk.db.raw import SQL

# Append + publish happen under a per-conversation lock so subscribers see seqs in order
# (striped: a fixed set of locks, no per-conversation bookkeeping to clean up).
_LOCKS = [threading.RLock() for _ in range(256)]


def conversation_lock(conversation_id: int) -> threading.RLock:
    """The in-process lock ordering writes+publishes of one conversation."""
    return _LOCKS[conversation_id % len(_LOCKS)]


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
    # Read-then-write: take the write lock up front (queued with the chat's other writers).
    with raw.sqlite_writer(db), db.write_transaction() as session:
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


@dataclass(slots=True)  # not frozen: read once per turn, and frozen costs ~4 µs to build
class ConversationRow:
    """What an assistant turn reads of its conversation (a snapshot, not a live object)."""

    id: int
    public_id: str
    site_id: int
    visitor_id: str
    status: str
    visitor_tz: str
    page_url: str
    page_title: str
    lang: str
    turns: int
    site_version: int  # the site's settings_version now (see db.site_versions)
    engine_state: dict[str, Any]


_ROW = SQL(
    "SELECT c.id, c.public_id, c.site_id, c.visitor_id, c.status, c.visitor_tz, c.page_url, "
    "c.page_title, c.lang, c.turns, s.settings_version, c.engine_state "
    "FROM conversations c JOIN sites s ON s.id = c.site_id WHERE c.id = :conversation_id"
)


def conversation_row(cursor: raw.Cursor, conversation_id: int) -> ConversationRow | None:
    """A conversation's snapshot by internal id, for the assistant turn's hot path.

    Plain SQL (frontdesk.db.raw) on the caller's cursor: an ORM load costs several times more
    than the query, and a turn reads its conversation and history on one connection.
    """
    return conversation_of(cursor.all(*conversation_query(conversation_id)))


def conversation_query(conversation_id: int) -> tuple[raw.SQL, dict[str, Any]]:
    """conversation_row's query, for a batch of reads (frontdesk.db.batch)."""
    return _ROW, {"conversation_id": conversation_id}


def conversation_of(rows: list[tuple]) -> ConversationRow | None:
    """conversation_row's result from its query's rows."""
    if not rows:
        return None
    row = rows[0]
    return ConversationRow(*row[:-1], engine_state=raw.read_json(row[-1]) or {})


def find_conversation(db: Database, public_id: str) -> Conversation | None:
    """A conversation by public id (detached)."""
    with db.session() as session:
        return session.scalars(
            select(Conversation).where(Conversation.public_id == public_id)
        ).one_or_none()


def flag(db: Database, conversation_id: int, message_id: int | None) -> None:
    """Mark a message and its conversation as flagged by moderation."""
    with raw.sqlite_writer(db), db.write_transaction() as session:
        newly = session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.flagged.is_(False))
            .values(flagged=True)
        ).rowcount
        # One e-mail per conversation, when it is first flagged, queued with the flag.
        alerted = bool(newly) and alerts.enqueue(session, conversation_id, "flagged")
        if message_id is not None:
            session.execute(update(Message).where(Message.id == message_id).values(flagged=True))
    if alerted:
        alerts.wake()
