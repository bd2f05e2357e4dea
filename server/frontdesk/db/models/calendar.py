"""Hosts' calendar connections: the accounts, the calendars chosen, the busy times they hold,
and the write-back outbox (bookings written to a host's calendar after commit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.db.models.base import Base
from frontdesk.db.types import UTCDateTime, utcnow


class CalendarConnection(Base):
    """One connected account or feed of a host; the password is encrypted (never shown again)."""

    __tablename__ = "calendar_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # caldav / ics
    label: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(2048))
    username: Mapped[str] = mapped_column(String(254), default="")
    secret: Mapped[bytes] = mapped_column(LargeBinary, default=b"")  # Fernet token, or empty
    write_calendar_id: Mapped[str | None] = mapped_column(String(2048))
    write_calendar_name: Mapped[str] = mapped_column(String(200), default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # A booking went ahead on old busy times because this calendar did not answer in time.
    last_warning: Mapped[str] = mapped_column(Text, default="")
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sources: Mapped[list[CalendarSource]] = relationship(
        order_by="CalendarSource.id", cascade="all, delete-orphan", back_populates="connection"
    )


class CalendarSource(Base):
    """One calendar of a connection that counts as busy, with its last fetch."""

    __tablename__ = "calendar_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_connections.id", ondelete="CASCADE"), index=True
    )
    calendar_id: Mapped[str] = mapped_column(String(2048))
    name: Mapped[str] = mapped_column(String(200), default="")
    etag: Mapped[str] = mapped_column(String(200), default="")
    last_modified: Mapped[str] = mapped_column(String(100), default="")
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")

    connection: Mapped[CalendarConnection] = relationship(back_populates="sources")


class CalendarBusy(Base):
    """One busy interval (UTC) of a host, from one source, as last fetched."""

    __tablename__ = "calendar_busy"
    __table_args__ = (Index("ix_calendar_busy_host_start", "host_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_sources.id", ondelete="CASCADE"), index=True
    )
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarWrite(Base):
    """A booking to write to a host's calendar: queued in the booking's transaction, sent after
    commit, retried with backoff; `conflict` tells staff the time was taken meanwhile."""

    __tablename__ = "calendar_writes"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_connections.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(16))  # created / rescheduled / cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str] = mapped_column(Text, default="")
    conflict: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
