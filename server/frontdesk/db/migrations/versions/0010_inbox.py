"""The inbox and onboarding: who the visitor is, what staff have read, who is live, and the
widget's first load from the site's own origin

conversations gain the contact a visitor gave when asking for a person (name, e-mail), the
last seq staff have read (unread counts), whether the visitor's socket is open and when it was
last heard from (a crashed process cannot leave a visitor "live" for more than a few minutes),
and an index for the inbox's newest-first list. sites gain when and from where the widget
first loaded (the onboarding checklist's "script tag installed") and whether the owner put
the checklist away. Columns are added in place (ALTER TABLE ... ADD COLUMN).

Revision ID: 0010
Revises: 0014
Create Date: 2026-12-07 03:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0014"
branch_labels = None
depends_on = None

CONVERSATION_COLUMNS = (
    sa.Column("contact_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("contact_email", sa.String(254), nullable=False, server_default=""),
    sa.Column("staff_seen_seq", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("visitor_live", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("visitor_seen_at", sa.DateTime(timezone=True), nullable=True),
)
SITE_COLUMNS = (
    sa.Column("widget_seen_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("widget_seen_origin", sa.String(200), nullable=False, server_default=""),
    sa.Column("onboarding_dismissed", sa.Boolean(), nullable=False, server_default=sa.false()),
)


def upgrade() -> None:
    for column in CONVERSATION_COLUMNS:
        op.add_column("conversations", column)
    for column in SITE_COLUMNS:
        op.add_column("sites", column)
    op.create_index("ix_conversations_site_updated", "conversations", ["site_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_conversations_site_updated", table_name="conversations")
    # SQLite 3.35+ drops a column in place (no table rebuild, the triggers stay).
    for column in reversed(SITE_COLUMNS):
        op.drop_column("sites", column.name)
    for column in reversed(CONVERSATION_COLUMNS):
        op.drop_column("conversations", column.name)
