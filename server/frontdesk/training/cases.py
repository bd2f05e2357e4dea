"""Evaluation cases from real conversations ("Turn into a test") and edits to their checks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from frontdesk import audit
from frontdesk.db.models import EvalCase, Message, MessageFeedback
from frontdesk.training.checks import PROPOSE_TOOLS, clean_check
from frontdesk.training.feedback import Target

KEPT_ROLES = ("visitor", "assistant", "staff", "tool_call", "tool_result")
# Arguments worth matching in a derived check: what, not when or who (times shift with the clock).
MATCHED_ARGS = ("service", "booking_id")


def case_from_message(
    db: Any, site: Any, target: Target, *, staff_id: int | None, replay: bool = False
) -> EvalCase:
    """A case whose last visitor turn is the one the rated message answered.

    Frozen: everything said before that turn (or, with `replay`, the visitor's earlier messages
    to be played again), the conversation's zone, language and page, and the turn's time.
    Checks come from the feedback: the corrected tool calls, or what the good answer did.
    """
    with db.session() as session:
        entries = list(session.scalars(
            select(Message).where(Message.conversation_id == target.conversation.id,
                                  Message.seq < target.message.seq).order_by(Message.seq)
        ))  # fmt: skip
        feedback = session.scalars(
            select(MessageFeedback).where(MessageFeedback.message_id == target.message.id)
        ).one_or_none()
        answer = list(session.scalars(
            select(Message).where(Message.conversation_id == target.conversation.id,
                                  Message.seq <= target.message.seq).order_by(Message.seq)
        ))  # fmt: skip
    visitors = [e for e in entries if e.role == "visitor"]
    if not visitors:
        raise ValueError("That answer follows no visitor message.")
    last = visitors[-1]
    before = [e for e in entries if e.seq < last.seq and e.role in KEPT_ROLES]
    history = [] if replay else [{"role": e.role, "text": e.text, "payload": e.payload or {}}
                                 for e in before]  # fmt: skip
    turns = [e.text for e in visitors[:-1]] if replay else []
    own_calls = [e.payload for e in answer if e.seq > last.seq and e.role == "tool_call"]
    checks = derived_checks(feedback, own_calls, target.message.payload or {})
    conversation = target.conversation
    with db.transaction() as session:
        case = EvalCase(
            site_id=site.id, name=f"From conversation {conversation.public_id} #{target.message.seq}",
            origin="feedback", history=history, turns=[*turns, last.text],
            visitor_tz=conversation.visitor_tz, lang=conversation.lang,
            page={"url": conversation.page_url, "title": conversation.page_title},
            now=last.created_at, checks=checks, source_message_id=target.message.id,
            created_by=staff_id,
        )  # fmt: skip
        session.add(case)
        session.flush()
        audit.record(
            session, site_id=site.id, actor=audit.Actor("staff", id=str(staff_id or "")),
            action="eval_case.created", subject_type="eval_case", subject_id=str(case.id),
            data={"conversation": conversation.public_id, "seq": target.message.seq},
        )  # fmt: skip
    return case


def derived_checks(
    feedback: MessageFeedback | None, own_calls: list[dict[str, Any]], payload: dict[str, Any]
) -> list[dict[str, Any]]:
    """Checks saying what the right answer does: the correction's, else the good answer's."""
    corrected = feedback is not None and bool(feedback.correction)
    if corrected:
        calls = [{"name": c["name"], "arguments": c.get("arguments") or {}}
                 for c in feedback.correction_calls]  # fmt: skip
        sources: list[dict[str, Any]] = []
    else:
        calls = [{"name": c.get("name", ""), "arguments": c.get("arguments") or {}}
                 for c in own_calls]  # fmt: skip
        sources = payload.get("sources") or []
    checks: list[dict[str, Any]] = []
    names = [c["name"] for c in calls]
    for call in calls:
        if call["name"] in PROPOSE_TOOLS:
            action = {"propose_booking": "book", "propose_reschedule": "reschedule",
                      "propose_cancellation": "cancel"}[call["name"]]  # fmt: skip
            checks.append({"kind": "proposes_booking", "action": action})
        elif call["name"] == "request_human":
            checks.append({"kind": "hands_over"})
        elif call["name"] != "search_knowledge":  # a search may be phrased any way
            args = {k: v for k, v in call["arguments"].items() if k in MATCHED_ARGS and v}
            checks.append({"kind": "calls_tool", "tool": call["name"], "args": args})
    if not any(name in PROPOSE_TOOLS for name in names):
        checks.append({"kind": "never_books"})
    for source in sources[:2]:
        checks.append({"kind": "cites", "value": source.get("title") or source.get("url", "")})
    checks.append({"kind": "language"})
    unique = []
    for check in checks:
        cleaned = clean_check(check)
        if cleaned not in unique:
            unique.append(cleaned)
    return unique


def set_checks(db: Any, case_id: int, site_id: int, checks: list[dict[str, Any]]) -> EvalCase:
    """Replace a case's checks (each cleaned; CheckError when one cannot run)."""
    cleaned = [clean_check(check) for check in checks]
    with db.transaction() as session:
        case = session.get(EvalCase, case_id)
        if case is None or case.site_id != site_id:
            raise LookupError("no such case")
        case.checks = cleaned
    return case
