"""Token usage and the daily budget: per conversation and per site and UTC day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from frontdesk.db import Database, raw
from frontdesk.db.raw import SQL


def usage_day(now: datetime | None = None) -> date:
    """The budget day: the UTC date."""
    return (now or datetime.now(UTC)).astimezone(UTC).date()


# A site's day is counted in up to this many rows: on PostgreSQL a turn adds to its
# conversation's row (chat.pg_writes), whose lock lasts until the commit's WAL flush; with one
# row per day every turn of the site, in every process, queued behind the one before it.
USAGE_SHARDS = 32


def shard_of(conversation_id: int) -> int:
    """The row of the site's day that a conversation's turns add to."""
    return conversation_id % USAGE_SHARDS


# Plain SQL (frontdesk.db.raw): these run on every assistant turn.
_USED_TODAY = SQL(
    "SELECT sum(prompt_tokens + completion_tokens) FROM token_usage "
    "WHERE site_id = :site_id AND day = :day"
)
# SQLite has one writer at a time whatever the rows, so its turns all add to shard 0.
_ADD_TO_DAY = SQL(
    "UPDATE token_usage SET prompt_tokens = prompt_tokens + :prompt, "
    "completion_tokens = completion_tokens + :completion "
    "WHERE site_id = :site_id AND day = :day AND shard = 0"
)
_INSERT_DAY = SQL(
    "INSERT INTO token_usage (site_id, day, shard, prompt_tokens, completion_tokens) "
    "VALUES (:site_id, :day, 0, :prompt, :completion)"
)


def tokens_used_today(db: Database, site_id: int) -> int:
    """Prompt + completion tokens the site spent today (UTC)."""
    with raw.reading(db) as cursor:
        row = cursor.one(_USED_TODAY, {"site_id": site_id, "day": cursor.day(usage_day())})
    return int(row[0] or 0) if row else 0


def add_to_day(cursor: raw.Cursor, site_id: int, prompt: int, completion: int) -> None:
    """Add token usage to the site's row for today, inside the caller's write transaction.

    A first-of-the-day insert can race another one and raise an integrity error: the caller
    retries its transaction (see chat.turn_record).
    """
    if not (prompt or completion):
        return
    params = {
        "site_id": site_id, "day": cursor.day(usage_day()), "prompt": prompt,
        "completion": completion,
    }  # fmt: skip
    if not cursor.run(_ADD_TO_DAY, params):
        cursor.run(_INSERT_DAY, params)
