"""A turn's own last write: the engine's state, the turn count and token usage, with the
turn's last message when it has one, in one transaction (chat.output's finish_turn).

The message's seq and the turn's counts live on the same conversation row, so one UPDATE
bumps the seq and saves the turn. The transaction also marks the answered entry's acked work
done (chat.work): the answer and that mark commit together or not at all. On PostgreSQL all
of it is one statement (chat.pg_writes), atomic by itself.
"""

from __future__ import annotations

from typing import Any

from frontdesk.chat import pg_writes, usage
from frontdesk.chat.transcript import Entry, entry_values, insert_in, retrying, work_done_in
from frontdesk.db import Database, raw
from frontdesk.db.raw import SQL
from frontdesk.db.types import utcnow

_SAVE_TURN = SQL(
    "UPDATE conversations SET engine_state = :state, turns = turns + 1, "
    "prompt_tokens = prompt_tokens + :prompt, completion_tokens = completion_tokens + :completion "
    "WHERE id = :conversation_id RETURNING status"
)
_BUMP_SEQ_SAVE_TURN = SQL(
    "UPDATE conversations SET last_seq = last_seq + 1, updated_at = :now, "
    "engine_state = :state, turns = turns + 1, prompt_tokens = prompt_tokens + :prompt, "
    "completion_tokens = completion_tokens + :completion "
    "WHERE id = :conversation_id RETURNING last_seq, status"
)


def _tokens(tokens: tuple[int, int]) -> dict[str, int]:
    return {"prompt": max(0, int(tokens[0])), "completion": max(0, int(tokens[1]))}


def _counts(state: dict[str, Any], tokens: tuple[int, int], cursor: raw.Cursor) -> dict[str, Any]:
    return {"state": cursor.json(state), **_tokens(tokens)}


def save_turn(
    db: Database,
    conversation_id: int,
    state: dict[str, Any],
    *,
    site_id: int,
    tokens: tuple[int, int] = (0, 0),
    done: int | None = None,
) -> str | None:
    """Persist the engine's state, count the turn and add its token usage (prompt, completion)
    to the conversation and the site's day, in one transaction (which also marks the work of
    entry `done` done); returns the status now."""

    def attempt() -> str | None:
        if not db.is_sqlite:  # one statement (chat.pg_writes)
            counts = {"state": state, **_tokens(tokens)}
            return pg_writes.save_turn(db, conversation_id, done, counts, site_id)
        with raw.writing(db) as cursor:
            work_done_in(cursor, done)
            counts = _counts(state, tokens, cursor)
            status = cursor.one(_SAVE_TURN, {"conversation_id": conversation_id, **counts})
            usage.add_to_day(cursor, site_id, counts["prompt"], counts["completion"])
            return status[0] if status else None

    return retrying(db, attempt)


def append_with_turn(
    db: Database,
    conversation_id: int,
    role: str,
    text: str,
    *,
    html: str,
    payload: dict[str, Any],
    state: dict[str, Any],
    site_id: int,
    tokens: tuple[int, int],
    done: int | None = None,
) -> tuple[Entry, str | None]:
    """transcript.append() a turn's last message and save_turn(), in one transaction;
    returns (entry, status)."""
    values = entry_values(conversation_id, role, text, html, payload, None, False)

    def attempt() -> tuple[Entry, str | None]:
        now = utcnow()
        if not db.is_sqlite:  # one statement (chat.pg_writes)
            counts = {"state": state, **_tokens(tokens)}
            stored = pg_writes.append_with_turn(db, values, now, done, counts, site_id)
            if stored is None:
                raise LookupError(f"no conversation {conversation_id}")
            return Entry(id=stored[0], seq=stored[1], created_at=now, **values), stored[2]
        with raw.writing(db) as cursor:
            counts = _counts(state, tokens, cursor)
            params = {"conversation_id": conversation_id, "now": cursor.time(now), **counts}
            bumped = cursor.one(_BUMP_SEQ_SAVE_TURN, params)
            if bumped is None:
                raise LookupError(f"no conversation {conversation_id}")
            entry = insert_in(cursor, values, bumped[0], now, done, params["now"])
            usage.add_to_day(cursor, site_id, counts["prompt"], counts["completion"])
            return entry, bumped[1]

    return retrying(db, attempt)
