"""PostgreSQL: a message's append, and a turn's whole last write, as one statement each.

On SQLite chat.transcript and chat.turn_record run their statements in a write transaction
(one writer, no round trips). On PostgreSQL every statement is a round trip, and BEGIN and
COMMIT two more: a visitor's message took four, a turn's end six. Here each is one statement
whose data-modifying CTEs do the same writes, run in autocommit, because a single statement
is atomic by itself: all of it commits or none of it does (a duplicate client_id, a missing
conversation). The conversation row's UPDATE comes first, so its row lock still orders the
writers of one conversation (seqs never collide) as in the transaction.
"""

from __future__ import annotations

from typing import Any

from frontdesk.chat.usage import shard_of, usage_day
from frontdesk.db import raw
from frontdesk.db.raw import SQL

_SEEN = ", visitor_seen_at = :now"  # a visitor's entry: heard from (chat.presence)
_SAVE = (
    ", engine_state = :state, turns = turns + 1, prompt_tokens = prompt_tokens + :prompt, "
    "completion_tokens = completion_tokens + :completion"
)
_BUMP = (
    "bumped AS (UPDATE conversations SET last_seq = last_seq + 1, updated_at = :now{set} "
    "WHERE id = :conversation_id RETURNING last_seq, status)"
)
# Every CTE below reads `bumped`: with no conversation row, nothing at all is written.
_DONE = (
    "done AS (UPDATE messages SET work_pending = false WHERE id = :done AND work_pending "
    "AND EXISTS (SELECT 1 FROM bumped))"
)
# A turn adds to its conversation's row of the site's day (why: chat.usage.USAGE_SHARDS).
_TALLY = (
    "tally AS (INSERT INTO token_usage (site_id, day, shard, prompt_tokens, completion_tokens) "
    "SELECT :site_id, :day, :shard, :prompt, :completion FROM bumped WHERE :counted "
    "ON CONFLICT (site_id, day, shard) DO UPDATE SET "
    "prompt_tokens = token_usage.prompt_tokens + excluded.prompt_tokens, "
    "completion_tokens = token_usage.completion_tokens + excluded.completion_tokens)"
)
_INSERT = (
    "INSERT INTO messages (conversation_id, seq, role, client_id, text, html, payload, flagged, "
    "created_at, work_pending) SELECT :conversation_id, last_seq, :role, :client_id, :text, "
    ":html, :payload, :flagged, :now, :work_pending FROM bumped RETURNING id, seq"
)
_APPEND = {
    seen: SQL(f"WITH {_BUMP.format(set=_SEEN if seen else '')}, {_DONE} {_INSERT}")
    for seen in (False, True)
}
_APPEND_WITH_TURN = SQL(
    f"WITH {_BUMP.format(set=_SAVE)}, {_DONE}, {_TALLY}, entry AS ({_INSERT}) "
    "SELECT entry.id, entry.seq, bumped.status FROM entry, bumped"
)
_SAVE_TURN = SQL(  # no message: the seq stays, the CTE keeps its name for _DONE and _TALLY
    f"WITH bumped AS (UPDATE conversations SET {_SAVE[2:]} WHERE id = :conversation_id "
    f"RETURNING status), {_DONE}, {_TALLY} SELECT status FROM bumped"
)


def append(db, values: dict[str, Any], now: Any, done: int | None) -> tuple[int, int] | None:
    """Store an entry with the next seq (and mark `done`'s work done); (id, seq), or None when
    the conversation does not exist. A repeated client_id raises the driver's IntegrityError."""
    with raw.reading(db) as cursor:  # autocommit: the one statement is the transaction
        return cursor.one(_APPEND[values["role"] == "visitor"], _entry(cursor, values, now, done))


def append_with_turn(
    db, values: dict[str, Any], now: Any, done: int | None, counts: dict[str, Any], site_id: int
) -> tuple[int, int, str] | None:
    """A turn's last message, its saved state and token usage, and `done`'s work marked done;
    (id, seq, status), or None when the conversation does not exist."""
    with raw.reading(db) as cursor:
        params = {**_entry(cursor, values, now, done),
                  **_tally(cursor, counts, site_id, values["conversation_id"])}  # fmt: skip
        return cursor.one(_APPEND_WITH_TURN, params)


def save_turn(db, conversation_id: int, done: int | None, counts: dict[str, Any],
              site_id: int) -> str | None:  # fmt: skip
    """A turn's state and token usage without a message; the status, None without the row."""
    with raw.reading(db) as cursor:
        params = {"conversation_id": conversation_id, "done": done,
                  **_tally(cursor, counts, site_id, conversation_id)}  # fmt: skip
        row = cursor.one(_SAVE_TURN, params)
    return row[0] if row else None


def _entry(cursor: raw.Cursor, values: dict[str, Any], now: Any, done: int | None) -> dict:
    return {**values, "payload": cursor.json(values["payload"]), "now": cursor.time(now),
            "done": done}  # fmt: skip


def _tally(cursor: raw.Cursor, counts: dict[str, Any], site_id: int,
           conversation_id: int) -> dict[str, Any]:  # fmt: skip
    """The turn's state (JSON), tokens, the site's day and the conversation's shard of it;
    `counted`: there is usage to add."""
    return {**counts, "state": cursor.json(counts["state"]), "site_id": site_id,
            "day": cursor.day(usage_day()), "shard": shard_of(conversation_id),
            "counted": bool(counts["prompt"] or counts["completion"])}  # fmt: skip
