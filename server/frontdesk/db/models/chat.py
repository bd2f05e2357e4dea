"""Conversations, their messages (every kind, in order) and token usage."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.models.base import Base
from frontdesk.db.types import UTCDateTime, utcnow


class Conversation(Base):
    """One visitor's chat with a site; status is bot / needs_human / staff / closed."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    visitor_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="bot")
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    page_url: Mapped[str] = mapped_column(String(2000), default="")
    page_title: Mapped[str] = mapped_column(String(500), default="")
    visitor_tz: Mapped[str] = mapped_column(String(64), default="UTC")
    lang: Mapped[str] = mapped_column(String(16), default="en")
    turns: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    engine_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # How to reach the visitor, when they gave it asking for a person (bookings have their own).
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    # The last seq staff have read: later visitor messages are the inbox's unread count.
    staff_seen_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The visitor's socket is open (and was heard from at visitor_seen_at): "live now".
    visitor_live: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    visitor_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_conversations_site_updated", "site_id", "updated_at"),
        Index("ix_conversations_site_created", "site_id", "created_at"),  # the overview
    )


class Message(Base):
    """One entry of a transcript: visitor, assistant, staff, system, tool_call or tool_result."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("conversation_id", "client_id"),
        Index(
            "ix_messages_work_pending",
            "conversation_id",
            "seq",
            postgresql_where=sql_text("work_pending"),
            sqlite_where=sql_text("work_pending"),
        ),  # fmt: skip
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Acked work not done yet: a visitor message not answered, a confirm not carried out.
    work_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class TokenUsage(Base):
    """Tokens a site spent on one day, for the daily budget and the dashboard.

    A day is counted in up to USAGE_SHARDS rows (chat.usage): a turn adds to its
    conversation's shard, so turns of different conversations seldom wait on one row lock.
    Readers sum a day's rows."""

    __tablename__ = "token_usage"
    __table_args__ = (UniqueConstraint("site_id", "day", "shard"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    day: Mapped[date]
    shard: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
