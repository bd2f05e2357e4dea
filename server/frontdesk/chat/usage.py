"""Token usage and the daily budget: per conversation and per site and UTC day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frontdesk.db import Database
from frontdesk.db.models import Conversation, TokenUsage


def usage_day(now: datetime | None = None) -> date:
    """The budget day: the UTC date."""
    return (now or datetime.now(UTC)).astimezone(UTC).date()


def tokens_used_today(db: Database, site_id: int) -> int:
    """Prompt + completion tokens the site spent today (UTC)."""
    with db.session() as session:
        total = session.scalar(
            select(func.coalesce(TokenUsage.prompt_tokens + TokenUsage.completion_tokens, 0)).where(
                TokenUsage.site_id == site_id, TokenUsage.day == usage_day()
            )
        )
    return int(total or 0)


def add_usage(db: Database, site_id: int, conversation_id: int, prompt: int, completion: int):
    """Add token usage to the conversation and to the site's row for today."""
    prompt, completion = max(0, int(prompt)), max(0, int(completion))
    for _attempt in range(3):
        try:
            with db.write_transaction() as session:
                _add_usage(session, site_id, conversation_id, prompt, completion)
            return
        except IntegrityError:  # two first-of-the-day inserts raced; update the winner's row
            continue


def _add_usage(session: Session, site_id: int, conversation_id: int, prompt: int, completion: int):
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(
            prompt_tokens=Conversation.prompt_tokens + prompt,
            completion_tokens=Conversation.completion_tokens + completion,
        )
    )
    day = usage_day()
    updated = session.execute(
        update(TokenUsage)
        .where(TokenUsage.site_id == site_id, TokenUsage.day == day)
        .values(
            prompt_tokens=TokenUsage.prompt_tokens + prompt,
            completion_tokens=TokenUsage.completion_tokens + completion,
        )
    ).rowcount
    if not updated:
        session.add(
            TokenUsage(site_id=site_id, day=day, prompt_tokens=prompt, completion_tokens=completion)
        )
        session.flush()
