"""The chat session's implementation of assistant.base.Output: persist, then publish."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import Any

from frontdesk import audit
from frontdesk.assistant.base import Choice, Source, ToolResult
from frontdesk.chat import conversation_store, transcript, turn_record
from frontdesk.chat.hub import Hub
from frontdesk.chat.protocol import (
    delta_frame,
    discard_frame,
    error_frame,
    message_frame,
    typing_frame,
)
from frontdesk.chat.render import render_markdown
from frontdesk.db import Database

MAX_TOOL_JSON_CHARS = 20000
TYPING_REPEAT_SECONDS = 2.0


class ChatOutput:
    """Output bound to one conversation: every message is stored, then sent to its sockets.

    During an engine's turn (begin_turn .. finish_turn) each visible message is held until the
    next output or the end of the turn, so that the turn's last message, its engine state and
    its token usage are stored in one write (a write fewer per answer); the order of
    everything the sockets see is unchanged.
    """

    def __init__(self, db: Database, hub: Hub, *, site_id: int, conversation_id: int) -> None:
        self.db = db
        self.hub = hub
        self.site_id = site_id
        self.conversation_id = conversation_id
        self.messages_sent = 0
        # Token usage is saved with the turn (one transaction, not one per model round).
        self.prompt_tokens = self.completion_tokens = 0
        self._typing_since: float | None = None  # when the typing indicator went up
        self._holding = False
        self._held: tuple[str, str, dict[str, Any]] | None = None  # (role, text, payload)
        # The entry whose acked work this output answers (chat.work): marked done in the
        # transaction of the turn's last write, or of the next post when `complete_on_post`.
        self.completes: int | None = None
        self.complete_on_post = False

    def begin_turn(self) -> None:
        """From now until finish_turn(), hold each message until the next output."""
        self._holding = True

    def finish_turn(self, state: dict[str, Any]) -> str | None:
        """Store the held message (if any) with the turn's state and token usage, in one
        transaction, and publish it; returns the conversation's status now."""
        held, self._held, self._holding = self._held, None, False
        tokens = self.take_usage()
        done, self.completes = self.completes, None
        if held is None:
            return turn_record.save_turn(
                self.db, self.conversation_id, state, site_id=self.site_id, tokens=tokens,
                done=done,
            )  # fmt: skip
        role, text, payload = held
        with conversation_store.conversation_lock(self.conversation_id):
            entry, status = turn_record.append_with_turn(
                self.db, self.conversation_id, role, text, html=render_markdown(text),
                payload=payload, state=state, site_id=self.site_id, tokens=tokens, done=done,
            )  # fmt: skip
            self.hub.publish(self.conversation_id, message_frame(entry))
        return status

    def _flush(self) -> None:
        """Store and publish the held message before anything else goes out."""
        held, self._held = self._held, None
        if held is not None:
            self._store_and_publish(*held)

    def typing(self) -> None:
        """Show the typing indicator on every socket of the conversation."""
        self._flush()
        # The session and the engine both announce the turn: send that once. A later repeat
        # (after slow tool calls) still goes out, as the widget hides the indicator eventually.
        now = time.monotonic()
        if self._typing_since is not None and now - self._typing_since < TYPING_REPEAT_SECONDS:
            return
        self._typing_since = now
        self.hub.publish(self.conversation_id, typing_frame())

    def delta(self, reply_id: str, text: str) -> None:
        """Stream a piece of a reply (not stored: the final message is)."""
        self._flush()
        if text:
            self._typing_since = None
            self.hub.publish(self.conversation_id, delta_frame(reply_id, text))

    def discard(self, reply_id: str) -> None:
        """Tell every socket to drop what was streamed of a reply (nothing was stored)."""
        self._flush()
        self.hub.publish(self.conversation_id, discard_frame(reply_id))

    def message(
        self,
        text: str,
        *,
        reply_id: str | None = None,
        sources: list[Source] | None = None,
        choices: list[Choice] | None = None,
        card: dict[str, Any] | None = None,
        role: str = "assistant",
    ) -> None:
        """Render, persist and publish a complete message."""
        payload = {
            "sources": [asdict(source) for source in sources or []],
            "choices": [_chip(choice) for choice in choices or []],
            "card": card,
            "reply": reply_id,
        }
        if not self._holding:
            self.post(role, text, payload)
            return
        self._flush()
        self._held = (role, text, payload)
        self._typing_since = None
        self.messages_sent += 1

    def post(self, role: str, text: str, payload: dict[str, Any] | None = None) -> transcript.Entry:
        """Store a visible entry and publish it, in seq order (after any held message)."""
        self._flush()
        entry = self._store_and_publish(role, text, payload or {})
        self.messages_sent += 1
        return entry

    def complete(self) -> None:
        """Mark the answered entry's work done, if no write of this output did already."""
        done, self.completes = self.completes, None
        if done is not None:
            transcript.mark_done(self.db, done)

    def _store_and_publish(self, role: str, text: str, payload: dict[str, Any]) -> transcript.Entry:
        done = None
        if self.complete_on_post:
            done, self.completes = self.completes, None
        with conversation_store.conversation_lock(self.conversation_id):
            entry, _created = transcript.append(
                self.db, self.conversation_id, role, text,
                html=render_markdown(text), payload=payload, done=done,
            )  # fmt: skip
            self.hub.publish(self.conversation_id, message_frame(entry))
        self._typing_since = None
        return entry

    def error(self, code: str, message: str) -> None:
        """Send an `error` frame to every socket of the conversation (not stored)."""
        self._flush()
        self._typing_since = None
        self.hub.publish(self.conversation_id, error_frame(code, message))

    def record_tool(
        self, call_id: str, name: str, arguments: Any, result: ToolResult | None, error: str = ""
    ) -> None:
        """Persist a tool call and its result (hidden from visitors) and audit the call."""
        self.record_call(call_id, name, arguments, by="assistant")
        self.record_result(call_id, name, result, error)

    def record_call(self, call_id: str, name: str, arguments: Any, *, by: str) -> transcript.Entry:
        """Persist a tool call (by the assistant, or the visitor pressing a card button)."""
        self._flush()
        payload = {"call_id": call_id, "name": name, "arguments": _bounded(arguments), "by": by}

        def audit_call(session, entry) -> None:
            audit.record(
                session,
                site_id=self.site_id,
                actor=audit.Actor(by, conversation_id=self.conversation_id, message_id=entry.id),
                action=f"transcript.tool_call.{name}"[:64],
                subject_type="conversation",
                subject_id=str(self.conversation_id),
                data={"call_id": call_id},
            )

        with conversation_store.conversation_lock(self.conversation_id):
            entry, _created = transcript.append(
                self.db, self.conversation_id, "tool_call", name, payload=payload, also=audit_call
            )
        return entry

    def record_result(
        self, call_id: str, name: str, result: ToolResult | None, error: str = ""
    ) -> transcript.Entry:
        """Persist a tool result so later turns (and the model) see what happened."""
        self._flush()
        payload = {
            "call_id": call_id,
            "name": name,
            "ok": bool(result and result.ok) and not error,
            "content": _bounded(result.content) if result else None,
            "card": result.card if result else None,
            "error": error,
        }
        with conversation_store.conversation_lock(self.conversation_id):
            entry, _created = transcript.append(
                self.db, self.conversation_id, "tool_result", name, payload=payload
            )
        return entry

    def record_usage(self, prompt_tokens: int, completion_tokens: int) -> None:
        """Count provider token usage; `take_usage` hands it to the turn's final write."""
        self.prompt_tokens += max(0, int(prompt_tokens))
        self.completion_tokens += max(0, int(completion_tokens))

    def take_usage(self) -> tuple[int, int]:
        """The (prompt, completion) tokens counted since the last call."""
        tokens = (self.prompt_tokens, self.completion_tokens)
        self.prompt_tokens = self.completion_tokens = 0
        return tokens


def _bounded(value: Any) -> Any:
    """The value if its JSON is reasonably small, else a truncated string (transcripts stay sane)."""
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        return {"unserializable": str(value)[:MAX_TOOL_JSON_CHARS]}
    if len(text) <= MAX_TOOL_JSON_CHARS:
        return json.loads(text)
    return {"truncated": text[:MAX_TOOL_JSON_CHARS]}


def _chip(choice: Choice) -> dict[str, str]:
    """A chip as stored and sent: its `text` only when it has one (English chips don't)."""
    chip = asdict(choice)
    if not chip["text"]:
        del chip["text"]
    return chip
