"""messages.work_pending: acked work not finished yet (a visitor message to answer, a confirm to
run), set in the transaction that stores the entry and cleared in the one that stores its
answer; a partial index finds what a crash left behind.

Revision ID: 0009
Revises: 0010
Create Date: 2026-12-07 04:05:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "messages",
        sa.Column("work_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_messages_work_pending", "messages", ["conversation_id", "seq"],
        postgresql_where=sa.text("work_pending"), sqlite_where=sa.text("work_pending"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_messages_work_pending", table_name="messages")
    # SQLite 3.35+ drops a column in place (no table rebuild).
    op.drop_column("messages", "work_pending")
