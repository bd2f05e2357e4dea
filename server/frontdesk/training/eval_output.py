"""The Output an evaluation gives the engines: it keeps the answer, sends it nowhere."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from frontdesk.assistant.base import Choice, Source, ToolResult


class EvalOutput:
    """Collects what an engine says and does, as transcript entries {role, text, payload}."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self._turn_start = 0

    def begin_turn(self, visitor_text: str) -> None:
        """Start a visitor turn: its message is the first entry of the turn."""
        self.entries.append({"role": "visitor", "text": visitor_text, "payload": {}})
        self._turn_start = len(self.entries)

    def turn_entries(self) -> list[dict[str, Any]]:
        """What the engine produced since the last visitor message."""
        return self.entries[self._turn_start :]

    def whole_turn(self) -> list[dict[str, Any]]:
        """The last visitor message and everything the engine produced after it."""
        return self.entries[self._turn_start - 1 :]

    def typing(self) -> None:
        """Nobody is watching."""

    def delta(self, reply_id: str, text: str) -> None:
        """Streamed pieces are not needed: the final message carries the whole text."""

    def discard(self, reply_id: str) -> None:
        """Nothing streamed was kept, so nothing to withdraw."""

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
        """Keep a complete message with its sources, chips and card."""
        payload = {
            "sources": [asdict(source) for source in sources or []],
            "choices": [asdict(choice) for choice in choices or []],
            "card": card,
            "reply": reply_id,
        }
        self.entries.append({"role": role, "text": text, "payload": _json(payload)})

    def record_tool(
        self, call_id: str, name: str, arguments: Any, result: ToolResult | None, error: str = ""
    ) -> None:
        """Keep a tool call and its result, shaped like the chat's transcript entries."""
        call = {"call_id": call_id, "name": name, "arguments": arguments, "by": "assistant"}
        self.entries.append({"role": "tool_call", "text": name, "payload": _json(call)})
        outcome = {
            "call_id": call_id,
            "name": name,
            "ok": bool(result and result.ok) and not error,
            "content": result.content if result else None,
            "card": result.card if result else None,
            "error": error,
        }
        self.entries.append({"role": "tool_result", "text": name, "payload": _json(outcome)})

    def record_usage(self, prompt_tokens: int, completion_tokens: int) -> None:
        """Count the provider's tokens."""
        self.prompt_tokens += max(0, int(prompt_tokens))
        self.completion_tokens += max(0, int(completion_tokens))


def _json(value: Any) -> Any:
    """A JSON-safe copy (dates become strings), as it would be stored."""
    return json.loads(json.dumps(value, default=str))
