"""staff roles: owner, admin and member on each site

Before this revision every membership was "staff" and could do everything. They keep what they
could do: the earliest membership of each site becomes its owner, the others admins. New
members get "member" unless given another role.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 07:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        sa.text("UPDATE site_memberships SET role = 'admin' WHERE role NOT IN ('owner', 'admin')")
    )
    op.execute(
        sa.text(
            "UPDATE site_memberships SET role = 'owner' WHERE id IN "
            "(SELECT MIN(id) FROM site_memberships GROUP BY site_id) AND site_id NOT IN "
            "(SELECT site_id FROM site_memberships WHERE role = 'owner')"
        )
    )


def downgrade() -> None:
    op.execute(sa.text("UPDATE site_memberships SET role = 'staff'"))
