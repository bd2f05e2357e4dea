"""The append-only audit log: every booking change and every assistant tool call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db.models.base import Base
from frontdesk.db.types import UTCDateTime, utcnow


class AuditEvent(Base):
    """Who (visitor, staff, assistant, system) did what to which thing, and when.

    Database triggers refuse UPDATE and DELETE; ids are plain integers, not foreign keys,
    so the log outlives what it describes.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer, index=True)
    actor_type: Mapped[str] = mapped_column(String(16))  # visitor / staff / assistant / system
    actor_id: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    conversation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    message_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
