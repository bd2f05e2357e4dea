"""indexes for the dashboard's busiest pages (issue 15: 10,000 bookings and conversations a site)

bookings (site_id, start): the bookings list and the week and day grids read a site's bookings
in start order within a range. bookings (site_id, created_at) and conversations (site_id,
created_at): the overview counts what was made in the last 30 days.

Revision ID: 0015
Revises: 0009
Create Date: 2026-12-07 06:40:00.000000
"""

from alembic import op

revision = "0015"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_bookings_site_start", "bookings", ["site_id", "start"]),
    ("ix_bookings_site_created", "bookings", ["site_id", "created_at"]),
    ("ix_conversations_site_created", "conversations", ["site_id", "created_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
