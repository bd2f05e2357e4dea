"""Conversations in tests: rows written directly, a visitor's hello, and a conversation's stored
state read back."""

from __future__ import annotations

import secrets

from frontdesk.chat import conversation_store
from frontdesk.db import Database, raw
from frontdesk.db.models import Conversation, Message

HELLO = {"page": {"url": "https://studio.test/", "title": "Home"}, "tz": "UTC", "lang": "en"}


def make_conversation(
    db: Database, site, *, visitor_id: str | None = None, visitor_tz: str | None = None, texts=()
) -> Conversation:
    """A conversation row with (role, text[, payload]) messages, written directly (not through
    the chat)."""
    with db.transaction() as session:
        conversation = Conversation(
            public_id="cv_" + secrets.token_hex(6),
            site_id=site.id,
            visitor_id=visitor_id or "v_" + secrets.token_hex(6),
        )
        if visitor_tz is not None:
            conversation.visitor_tz = visitor_tz
        session.add(conversation)
        session.flush()
        for seq, (role, text, *payload) in enumerate(texts, start=1):
            message = Message(conversation_id=conversation.id, seq=seq, role=role, text=text)
            message.payload = payload[0] if payload else {}
            session.add(message)
        conversation.last_seq = len(texts)
    return conversation


def conversation_snapshot(db, conversation_id: int):
    """The conversation's row as the chat reads it for a turn (plain SQL), or None."""
    with raw.reading(db) as cursor:
        return conversation_store.conversation_row(cursor, conversation_id)


def conversation_status(db, conversation_id: int) -> str:
    """The conversation's stored status."""
    with db.session() as session:
        return session.get(Conversation, conversation_id).status
