"""Staff feedback on assistant messages: good or bad, and the answer it should have given."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from frontdesk import audit
from frontdesk.assistant.tools.read_only import ReadOnlyTools
from frontdesk.assistant.tools.specs import SPECS_BY_NAME
from frontdesk.db.models import Conversation, Message, MessageFeedback
from frontdesk.db.types import utcnow

RATINGS = ("good", "bad", "")
MAX_CORRECTION = 8000
MAX_CALLS = 6
CALL_LINE = re.compile(r"^\s*([a-z_]+)\s*(\{.*\})?\s*$")


class FeedbackError(ValueError):
    """Feedback that cannot be saved as written; the message says what to fix."""


@dataclass(frozen=True)
class Target:
    """The assistant message rated, its conversation, and the visitor turn it answered."""

    conversation: Conversation
    message: Message


def find_target(db: Any, site_id: int, public_id: str, seq: int) -> Target | None:
    """The site's assistant message at `seq` of conversation `public_id`, or None."""
    with db.session() as session:
        conversation = session.scalars(
            select(Conversation).where(
                Conversation.public_id == public_id[:64], Conversation.site_id == site_id
            )
        ).one_or_none()
        if conversation is None:
            return None
        message = session.scalars(
            select(Message).where(
                Message.conversation_id == conversation.id,
                Message.seq == seq,
                Message.role == "assistant",
            )
        ).one_or_none()
    return None if message is None else Target(conversation, message)


def parse_calls(text: str) -> list[dict[str, Any]]:
    """'tool_name {json arguments}' per line -> [{name, arguments}]; FeedbackError if wrong."""
    calls = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = CALL_LINE.match(line)
        if not match or match.group(1) not in SPECS_BY_NAME:
            known = ", ".join(SPECS_BY_NAME)
            raise FeedbackError(f"Line {number}: write a tool name ({known}) and its arguments.")
        try:
            arguments = json.loads(match.group(2) or "{}")
        except ValueError:
            raise FeedbackError(f"Line {number}: the arguments are not a JSON object.") from None
        if not isinstance(arguments, dict):
            raise FeedbackError(f"Line {number}: the arguments must be a JSON object.")
        calls.append({"name": match.group(1), "arguments": arguments})
    if len(calls) > MAX_CALLS:
        raise FeedbackError(f"At most {MAX_CALLS} tool calls per correction.")
    return calls


def run_calls(db: Any, bookings: Any, site: Any, target: Target, calls: list[dict[str, Any]]):
    """Each call run read-only at the rated message's time, as the visitor then; with results."""
    tools = ReadOnlyTools(
        db, bookings, site, visitor_id=target.conversation.visitor_id,
        visitor_tz=target.conversation.visitor_tz, now=target.message.created_at,
    )  # fmt: skip
    done = []
    try:
        for call in calls:
            result = tools.call(call["name"], call["arguments"])
            done.append({
                "id": "call_fix_" + secrets.token_hex(6), "name": call["name"],
                "arguments": call["arguments"], "ok": result.ok,
                "content": json.loads(json.dumps(result.content, default=str)),
                "error": "" if result.ok else str(result.content.get("error", "")),
            })  # fmt: skip
    finally:
        tools.close()
    return done


def save(
    db: Any, bookings: Any, site: Any, target: Target, *, staff_id: int, rating: str,
    correction: str = "", calls_text: str = "",
) -> MessageFeedback:  # fmt: skip
    """Store (or replace) the feedback on the message and audit it; FeedbackError if invalid."""
    if rating not in RATINGS:
        raise FeedbackError("Rate the answer good or bad.")
    correction = (correction or "").strip()
    if len(correction) > MAX_CORRECTION:
        raise FeedbackError(f"The corrected answer is too long (max {MAX_CORRECTION} characters).")
    calls = parse_calls(calls_text)
    if calls and not correction:
        raise FeedbackError("Write the answer that goes with the tool calls.")
    if correction and not rating:
        rating = "bad"  # an answer that needed correcting was not good
    results = run_calls(db, bookings, site, target, calls) if calls else []
    with db.transaction() as session:
        row = session.scalars(
            select(MessageFeedback).where(MessageFeedback.message_id == target.message.id)
        ).one_or_none()
        if row is None:
            row = MessageFeedback(site_id=site.id, conversation_id=target.conversation.id,
                                  message_id=target.message.id)  # fmt: skip
            session.add(row)
        row.rating, row.correction, row.correction_calls = rating, correction, results
        row.staff_id, row.updated_at = staff_id, utcnow()
        session.flush()
        audit.record(
            session, site_id=site.id,
            actor=audit.Actor("staff", id=str(staff_id), conversation_id=target.conversation.id,
                              message_id=target.message.id),
            action="feedback.saved", subject_type="conversation",
            subject_id=target.conversation.public_id,
            data={"seq": target.message.seq, "rating": rating, "corrected": bool(correction),
                  "calls": [call["name"] for call in results]},
        )  # fmt: skip
    return row


def feedback_by_message(db: Any, conversation_id: int) -> dict[int, MessageFeedback]:
    """The conversation's feedback rows by message id."""
    with db.session() as session:
        rows = session.scalars(
            select(MessageFeedback).where(MessageFeedback.conversation_id == conversation_id)
        )
        return {row.message_id: row for row in rows}


def calls_as_text(calls: list[dict[str, Any]]) -> str:
    """Stored correction calls back in the form's 'name {json}' lines."""
    return "\n".join(f"{c['name']} {json.dumps(c.get('arguments') or {})}" for c in calls)
