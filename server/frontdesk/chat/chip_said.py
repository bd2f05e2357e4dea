"""The words a pressed chip says for the visitor: the `text` of the chip with that `value`
among the conversation's newest offers, looked up on the server (the client's word is not
taken: staff read what the visitor saw, and it always matches what the engine acted on)."""

from __future__ import annotations

from frontdesk.db import Database, raw
from frontdesk.db.raw import SQL

RECENT = 4  # chips of older messages are gone from the widget; a re-sent press is recent too

_OFFERS = SQL(
    "SELECT payload FROM messages WHERE conversation_id = :conversation_id "
    f"AND role IN ('assistant', 'system') ORDER BY seq DESC LIMIT {RECENT}"
)


def said(db: Database, conversation_id: int, value: str) -> str:
    """The `text` of the newest offered chip whose value is `value`; "" when it has none."""
    with raw.reading(db) as cursor:
        rows = cursor.all(_OFFERS, {"conversation_id": conversation_id})
    for (payload,) in rows:
        for chip in (raw.read_json(payload) or {}).get("choices") or []:
            if isinstance(chip, dict) and chip.get("value") == value:
                return str(chip.get("text") or "")
    return ""
