"""unanswered_questions (conversation_id): a question is queued once per conversation

Every answer the knowledge base cannot give checks whether the conversation already queued the
same question; with only the site indexed, that read every unanswered question the site ever
had, on the answer's path, and deleting a conversation (ON DELETE SET NULL) scanned them all.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 16:15:00.000000
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_unanswered_questions_conversation_id", "unanswered_questions", ["conversation_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_unanswered_questions_conversation_id", table_name="unanswered_questions")
