"""Token usage and the daily budget: per conversation and per site and UTC day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Integer, bindparam, func, insert, select, update

from frontdesk.db import Database
from frontdesk.db.models import Conversation, TokenUsage


def usage_day(now: datetime | None = None) -> date:
    """The budget day: the UTC date."""
    return (now or datetime.now(UTC)).astimezone(UTC).date()


_conversations, _usage = Conversation.__table__, TokenUsage.__table__
# Built once with bind parameters: these run on every assistant turn.
_USED_TODAY = select(func.coalesce(_usage.c.prompt_tokens + _usage.c.completion_tokens, 0)).where(
    _usage.c.site_id == bindparam("site_id"), _usage.c.day == bindparam("day")
)
# Bind names must differ from column names in UPDATE statements (SQLAlchemy reserves those).
_ADD_TO_CONVERSATION = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("b_conversation"))
    .values(
        prompt_tokens=_conversations.c.prompt_tokens + bindparam("b_prompt", type_=Integer),
        completion_tokens=_conversations.c.completion_tokens
        + bindparam("b_completion", type_=Integer),
    )
)
_ADD_TO_DAY = (
    update(_usage)
    .where(_usage.c.site_id == bindparam("b_site"), _usage.c.day == bindparam("b_day"))
    .values(
        prompt_tokens=_usage.c.prompt_tokens + bindparam("b_prompt", type_=Integer),
        completion_tokens=_usage.c.completion_tokens + bindparam("b_completion", type_=Integer),
    )
)
_INSERT_DAY = insert(_usage)


def tokens_used_today(db: Database, site_id: int) -> int:
    """Prompt + completion tokens the site spent today (UTC)."""
    with db.session() as session:
        total = session.execute(_USED_TODAY, {"site_id": site_id, "day": usage_day()}).scalar()
    return int(total or 0)


def add_usage_in(connection: Any, site_id: int, conversation_id: int, prompt: int, completion: int):
    """Add token usage to the conversation and the site's row for today, inside the caller's
    transaction (a Session or Connection).

    A first-of-the-day insert can race another one and raise IntegrityError: the caller retries
    its transaction (see chat.session.save_turn).
    """
    prompt, completion, day = max(0, int(prompt)), max(0, int(completion)), usage_day()
    if not (prompt or completion):
        return
    tokens = {"b_prompt": prompt, "b_completion": completion}
    connection.execute(_ADD_TO_CONVERSATION, {"b_conversation": conversation_id, **tokens})
    updated = connection.execute(_ADD_TO_DAY, {"b_site": site_id, "b_day": day, **tokens})
    if not updated.rowcount:
        connection.execute(_INSERT_DAY, {
            "site_id": site_id, "day": day, "prompt_tokens": prompt, "completion_tokens": completion,
        })  # fmt: skip
