"""token_usage (site_id, day, shard): a site's day is counted in several rows

Every assistant turn adds its tokens to the site's row for the day, in the turn's last write.
On PostgreSQL that row's lock is held until the commit's WAL flush, so every turn of a site,
across every process, waited for the one before it to reach the disk: one slow flush queued
all of them, and they then committed one flush at a time. With the day spread over a few
rows (by conversation), turns of different conversations seldom meet on a row; readers sum.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 01:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("token_usage") as batch_op:
        batch_op.add_column(
            sa.Column("shard", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint("uq_token_usage_site_id_day", type_="unique")
        batch_op.create_unique_constraint(
            "uq_token_usage_site_id_day_shard", ["site_id", "day", "shard"]
        )


def downgrade() -> None:
    op.execute(  # fold each day's shards back into shard 0, then drop the others
        "UPDATE token_usage SET "
        "prompt_tokens = (SELECT sum(u.prompt_tokens) FROM token_usage u "
        "WHERE u.site_id = token_usage.site_id AND u.day = token_usage.day), "
        "completion_tokens = (SELECT sum(u.completion_tokens) FROM token_usage u "
        "WHERE u.site_id = token_usage.site_id AND u.day = token_usage.day) "
        "WHERE shard = (SELECT min(u.shard) FROM token_usage u "
        "WHERE u.site_id = token_usage.site_id AND u.day = token_usage.day)"
    )
    op.execute(
        "DELETE FROM token_usage WHERE shard > (SELECT min(u.shard) FROM token_usage u "
        "WHERE u.site_id = token_usage.site_id AND u.day = token_usage.day)"
    )
    with op.batch_alter_table("token_usage") as batch_op:
        batch_op.drop_constraint("uq_token_usage_site_id_day_shard", type_="unique")
        batch_op.create_unique_constraint("uq_token_usage_site_id_day", ["site_id", "day"])
        batch_op.drop_column("shard")
