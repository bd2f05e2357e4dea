"""Bookings and the assistant's pending proposals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.db.models.base import Base
from frontdesk.db.models.host import BookingHost
from frontdesk.db.models.site import Service
from frontdesk.db.types import UTCDateTime, utcnow

CONFIRMED = "confirmed"
CANCELLED = "cancelled"
# Outcomes staff record once a booking's time has come: it happened, or the visitor didn't come.
COMPLETED = "completed"
NO_SHOW = "no_show"
OUTCOMES = (COMPLETED, NO_SHOW)


class Booking(Base):
    """A booked consultation. Times are UTC; block_* include the buffers around it."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("site_id", "idempotency_key"),
        Index("ix_bookings_site_block", "site_id", "status", "block_start"),
        # The dashboard: the list and grids read by start, the overview by when made.
        Index("ix_bookings_site_start", "site_id", "start"),
        Index("ix_bookings_site_created", "site_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    block_start: Mapped[datetime] = mapped_column(UTCDateTime)
    block_end: Mapped[datetime] = mapped_column(UTCDateTime)
    visitor_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    visitor_tz: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[str] = mapped_column(String(16), default=CONFIRMED)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # Staff's own notes, never shown to the visitor (`notes` is what the visitor wrote).
    staff_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    visitor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    service: Mapped[Service] = relationship(lazy="joined")
    # Who attends: one row per host (several for a collective service).
    hosts: Mapped[list[BookingHost]] = relationship(
        order_by=BookingHost.id, cascade="all, delete-orphan", lazy="selectin"
    )


class TimeBlock(Base):
    """Time staff blocked out (lunch, a day off): nothing can be booked over it. Times are UTC."""

    __tablename__ = "time_blocks"
    __table_args__ = (Index("ix_time_blocks_site_start", "site_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Proposal(Base):
    """A booking, reschedule or cancellation the assistant proposed; only the visitor commits it."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # book / reschedule / cancel
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
