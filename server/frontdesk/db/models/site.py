"""A site (one business), its consultation types and its availability."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from frontdesk.db.models.base import Base

if TYPE_CHECKING:
    from frontdesk.db.models.host import ServiceHost
from frontdesk.db.types import UTCDateTime, utcnow


class Site(Base):
    """A business using the widget; the public key is what the script tag carries."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    profile: Mapped[str] = mapped_column(Text, default="")
    greeting: Mapped[str] = mapped_column(Text, default="Hi! How can we help?")
    notification_email: Mapped[str | None] = mapped_column(String(254))
    appearance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    llm_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    moderation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    calendar_secret: Mapped[str] = mapped_column(String(64), unique=True)
    buffer_before_min: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_min: Mapped[int] = mapped_column(Integer, default=0)
    min_notice_min: Mapped[int] = mapped_column(Integer, default=120)
    max_days_ahead: Mapped[int] = mapped_column(Integer, default=60)
    slot_step_min: Mapped[int] = mapped_column(Integer, default=30)
    daily_token_budget: Mapped[int | None] = mapped_column(Integer)
    retention_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by every ORM change to the site or its services, hours and closures
    # (db.site_versions), so running chats reload their cached copy at once.
    settings_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # When and from where the widget first loaded on the site itself (onboarding's "installed");
    # written with a plain UPDATE so it does not bump settings_version.
    widget_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    widget_seen_origin: Mapped[str] = mapped_column(String(200), default="", server_default="")
    onboarding_dismissed: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    services: Mapped[list[Service]] = relationship(
        back_populates="site", order_by="Service.position, Service.id"
    )
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        order_by="OpeningHours.weekday, OpeningHours.start_time", cascade="all, delete-orphan"
    )
    date_overrides: Mapped[list[DateOverride]] = relationship(
        order_by="DateOverride.day, DateOverride.start_time", cascade="all, delete-orphan"
    )


class Service(Base):
    """A consultation type a visitor can book."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("site_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_min: Mapped[int] = mapped_column(Integer)
    price_text: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # How its hosts share it: round_robin, chosen or collective (db.models.host).
    assignment: Mapped[str] = mapped_column(
        String(16), default="round_robin", server_default="round_robin"
    )

    site: Mapped[Site] = relationship(back_populates="services")
    host_links: Mapped[list[ServiceHost]] = relationship(
        order_by="ServiceHost.position, ServiceHost.id", cascade="all, delete-orphan"
    )


class OpeningHours(Base):
    """One opening range on a weekday (0 = Monday) in the site's local time; several per day."""

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class DateOverride(Base):
    """Special hours on one date; a row without times closes the whole day."""

    __tablename__ = "date_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(200), default="")
