"""Hosts (the people who take consultations), their hours and time off, and who serves what."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.db.models.base import Base
from frontdesk.db.types import UTCDateTime, utcnow

# How a service's hosts are assigned to a booking.
ROUND_ROBIN = "round_robin"  # any available host; the least busy one gets it
CHOSEN = "chosen"  # the visitor (or the assistant for them) picks the person
COLLECTIVE = "collective"  # every host of the service attends
ASSIGNMENTS = (ROUND_ROBIN, CHOSEN, COLLECTIVE)


class Host(Base):
    """A person who takes consultations; one row per person across every site of the server.

    A host without weekly hours of their own works whenever a site they serve is open."""

    __tablename__ = "hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), unique=True
    )
    feed_secret: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    weekly_hours: Mapped[list[HostHours]] = relationship(
        order_by="HostHours.weekday, HostHours.start_time", cascade="all, delete-orphan"
    )
    date_overrides: Mapped[list[HostDateOverride]] = relationship(
        order_by="HostDateOverride.day, HostDateOverride.start_time",
        cascade="all, delete-orphan",
    )
    time_off: Mapped[list[HostTimeOff]] = relationship(
        order_by="HostTimeOff.start", cascade="all, delete-orphan"
    )


class HostHours(Base):
    """One working range on a weekday (0 = Monday) in the host's own time zone."""

    __tablename__ = "host_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class HostDateOverride(Base):
    """A host's own hours on one date (host's zone); a row without times: not working that day."""

    __tablename__ = "host_date_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(200), default="")


class HostTimeOff(Base):
    """An absence (holiday, sick leave): the host takes nothing in [start, end), UTC."""

    __tablename__ = "host_time_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(200), default="")


class SiteHost(Base):
    """A host works for a site: the site's staff see and manage them, its services may name them."""

    __tablename__ = "site_hosts"
    __table_args__ = (UniqueConstraint("site_id", "host_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    host: Mapped[Host] = relationship(lazy="joined")


class ServiceHost(Base):
    """A host offers a service (the service's `assignment` says how they share it)."""

    __tablename__ = "service_hosts"
    __table_args__ = (UniqueConstraint("service_id", "host_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    host: Mapped[Host] = relationship(lazy="joined")


class BookingHost(Base):
    """A host attending a booking (a collective booking has several). block_* and status mirror
    the booking's, so the database can refuse a person booked twice at once, whatever the site."""

    __tablename__ = "booking_hosts"
    __table_args__ = (
        UniqueConstraint("booking_id", "host_id"),
        Index("ix_booking_hosts_host_block", "host_id", "status", "block_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="RESTRICT"))
    block_start: Mapped[datetime] = mapped_column(UTCDateTime)
    block_end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="confirmed")

    host: Mapped[Host] = relationship(lazy="joined")
