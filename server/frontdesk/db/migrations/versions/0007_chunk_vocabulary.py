"""chunks_fts_vocab: how many passages hold each word, so searches can skip ubiquitous words

An FTS5 vocabulary table over the existing full-text index (SQLite only; it stores nothing of
its own). Knowledge search asks it how common a question's words are and leaves out of the
full-text query those found in most passages: they cannot single a passage out, and scoring
every passage that holds them is what makes a search slow on a large knowledge base.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 00:30:00.000000
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE chunks_fts_vocab USING fts5vocab(chunks_fts, row)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS chunks_fts_vocab")
