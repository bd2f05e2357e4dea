"""time_blocks and bookings.staff_notes: time staff block out, and their notes on a booking

Blocked time is a table of its own (start, end, a short note) that the slot engine counts as
busy. The notes column is added in place (ALTER TABLE ... ADD COLUMN, never a SQLite table
rebuild, which would drop the bookings' overlap triggers).

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-07 03:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "bookings", sa.Column("staff_notes", sa.Text(), nullable=False, server_default="")
    )
    op.create_table(
        "time_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_time_blocks_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_blocks")),
        sa.UniqueConstraint("public_id", name=op.f("uq_time_blocks_public_id")),
    )
    op.create_index("ix_time_blocks_site_start", "time_blocks", ["site_id", "start"])


def downgrade() -> None:
    op.drop_index("ix_time_blocks_site_start", table_name="time_blocks")
    op.drop_table("time_blocks")
    # SQLite 3.35+ drops a column in place (no table rebuild, the triggers stay).
    op.drop_column("bookings", "staff_notes")
