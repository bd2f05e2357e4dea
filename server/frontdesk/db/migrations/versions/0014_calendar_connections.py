"""calendar connections: hosts' CalDAV accounts and ICS feeds, their busy times, write-backs

calendar_connections (one per account or feed, the password encrypted), calendar_sources (the
calendars that count as busy, with their last fetch and validators), calendar_busy (intervals per
source and host) and calendar_writes (the write-back outbox, like outbox_emails).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 03:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

from frontdesk.db.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    name = op.f(f"fk_{table}_{column}_{target}")
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=name, ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "calendar_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("username", sa.String(254), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("write_calendar_id", sa.String(2048), nullable=True),
        sa.Column("write_calendar_name", sa.String(200), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_success_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_warning", sa.Text(), nullable=False),
        sa.Column("warned_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _fk("calendar_connections", "host_id", "hosts"),
        _pk("calendar_connections"),
    )
    op.create_index(op.f("ix_calendar_connections_host_id"), "calendar_connections", ["host_id"])
    op.create_table(
        "calendar_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.String(2048), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("etag", sa.String(200), nullable=False),
        sa.Column("last_modified", sa.String(100), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        _fk("calendar_sources", "connection_id", "calendar_connections"),
        _pk("calendar_sources"),
    )
    op.create_index(
        op.f("ix_calendar_sources_connection_id"), "calendar_sources", ["connection_id"]
    )
    op.create_table(
        "calendar_busy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("end", UTCDateTime(), nullable=False),
        _fk("calendar_busy", "source_id", "calendar_sources"),
        _fk("calendar_busy", "host_id", "hosts"),
        _pk("calendar_busy"),
    )
    op.create_index(op.f("ix_calendar_busy_source_id"), "calendar_busy", ["source_id"])
    op.create_index("ix_calendar_busy_host_start", "calendar_busy", ["host_id", "start"])
    op.create_table(
        "calendar_writes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("conflict", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _fk("calendar_writes", "booking_id", "bookings"),
        _fk("calendar_writes", "connection_id", "calendar_connections"),
        _pk("calendar_writes"),
    )
    for column in ("booking_id", "connection_id", "next_attempt_at"):
        op.create_index(op.f(f"ix_calendar_writes_{column}"), "calendar_writes", [column])


def downgrade() -> None:
    op.drop_table("calendar_writes")
    op.drop_table("calendar_busy")
    op.drop_table("calendar_sources")
    op.drop_table("calendar_connections")
