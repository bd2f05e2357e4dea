"""Training data export: chosen conversations as OpenAI chat-format JSONL, split by conversation.

The system prompt is rebuilt the way the LLM engine builds it (assistant.llm.prompts), with the
clock of the conversation's first visitor message, its zone and page, and the site's settings
as they are at export time; the `tools` are the schemas the engine sends. See docs/finetuning.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select

from frontdesk.assistant.llm.prompts import system_prompt
from frontdesk.assistant.tools.specs import SPECS
from frontdesk.db.models import Booking, Conversation, Message, MessageFeedback
from frontdesk.training.examples import conversation_messages, learn_people, trains_something
from frontdesk.training.redaction import Redactor

MAX_CONVERSATIONS = 5000


@dataclass(frozen=True)
class ExportOptions:
    """Which conversations to export, and how to split them."""

    since: datetime | None = None
    until: datetime | None = None
    rated_only: bool = False
    min_rating: str = ""  # "good": leave out conversations with a bad answer nobody corrected
    validation_share: float = 0.2  # share of conversations for the validation file


@dataclass
class Export:
    """The examples, split, and what was left out and why."""

    train: list[dict[str, Any]] = field(default_factory=list)
    validation: list[dict[str, Any]] = field(default_factory=list)
    conversations: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def jsonl(self, part: str = "train") -> bytes:
        """One example per line, UTF-8."""
        rows = self.train if part == "train" else self.validation
        return b"".join(json.dumps(row, ensure_ascii=False).encode() + b"\n" for row in rows)


def tool_schemas() -> list[dict[str, Any]]:
    """The `tools` entries every example carries: those the LLM engine sends."""
    return [spec.openai() for spec in SPECS]


def build_export(db: Any, site: Any, options: ExportOptions, additions: str = "") -> Export:
    """The site's chosen conversations as examples (see the module docstring)."""
    export = Export()
    redactor = Redactor()
    additions = additions or str((site.llm_settings or {}).get("system_prompt_additions") or "")
    tools = tool_schemas()
    with db.session() as session:
        for conversation in session.scalars(_chosen(site.id, options)):
            entries = list(session.scalars(
                select(Message).where(Message.conversation_id == conversation.id)
                .order_by(Message.seq)
            ))  # fmt: skip
            feedback = {f.message_id: f for f in session.scalars(
                select(MessageFeedback).where(MessageFeedback.conversation_id == conversation.id)
            )}  # fmt: skip
            if options.min_rating == "good" and any(
                f.rating == "bad" and not f.correction for f in feedback.values()
            ):
                _skip(export, "a bad answer not corrected")
                continue
            bookings = list(session.scalars(
                select(Booking).where(Booking.conversation_id == conversation.id)
            ))  # fmt: skip
            learn_people(entries, bookings, redactor)
            for row in feedback.values():
                for call in row.correction_calls:
                    redactor.learn_from_arguments(call.get("arguments"))
            example = _example(site, conversation, entries, feedback, redactor, tools, additions)
            if example is None:
                _skip(export, "no assistant answer to learn from")
                continue
            export.conversations += 1
            part = "validation" if in_validation(conversation.public_id, options) else "train"
            getattr(export, part).append(example)
    return export


def _example(site, conversation, entries, feedback, redactor, tools, additions):
    messages = conversation_messages(entries, feedback, redactor)
    if not messages or not trains_something(messages):
        return None
    first = next((e for e in entries if e.role == "visitor"), entries[0])
    prompt = system_prompt(
        site, now=first.created_at, visitor_tz=conversation.visitor_tz,
        page={"url": conversation.page_url, "title": conversation.page_title},
        additions=additions, lang=conversation.lang,
    )  # fmt: skip
    return {
        "messages": [{"role": "system", "content": prompt}, *messages],
        "tools": tools,
        "parallel_tool_calls": False,  # every recorded call is its own round (see examples)
    }


def in_validation(public_id: str, options: ExportOptions) -> bool:
    """Whether a conversation goes to the validation file: a stable hash of its id, so the
    same conversation always lands on the same side, export after export."""
    if options.validation_share <= 0:
        return False
    bucket = int(hashlib.sha256(public_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < options.validation_share


def _chosen(site_id: int, options: ExportOptions):
    query = select(Conversation).where(Conversation.site_id == site_id)
    if options.since is not None:
        query = query.where(Conversation.created_at >= options.since)
    if options.until is not None:
        query = query.where(Conversation.created_at < options.until)
    if options.rated_only or options.min_rating:
        rated = exists().where(
            MessageFeedback.conversation_id == Conversation.id,
            or_(MessageFeedback.rating != "", MessageFeedback.correction != ""),
        )
        query = query.where(rated)
    return query.order_by(Conversation.created_at, Conversation.id).limit(MAX_CONVERSATIONS)


def _skip(export: Export, reason: str) -> None:
    export.skipped[reason] = export.skipped.get(reason, 0) + 1
