"""The conversation history as OpenAI chat messages, tool calls paired with their results."""

from __future__ import annotations

import json
from typing import Any

from frontdesk.assistant.base import HistoryEntry

MAX_HISTORY_ENTRIES = 40
MAX_HISTORY_TEXT = 4000
# Entries told to the model as plain messages: (its role, a prefix for the text).
_SPEAKERS = {
    "visitor": ("user", ""),
    "assistant": ("assistant", ""),
    "staff": ("assistant", "[staff member wrote] "),
}


def history_messages(history: list[HistoryEntry]) -> list[dict[str, Any]]:
    """Earlier transcript entries as chat messages; tool calls keep their results paired."""
    messages: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []  # tool messages owed to the last assistant tool_calls
    visitor_actions: dict[str, HistoryEntry] = {}  # card buttons pressed, by call id
    for entry in history[-MAX_HISTORY_ENTRIES:]:
        speaker = _SPEAKERS.get(entry.role)
        if speaker is not None:  # most entries: plain text, no payload to look at
            if pending:
                messages.extend(_flush(pending))
            text = speaker[1] + entry.text[:MAX_HISTORY_TEXT]
            messages.append({"role": speaker[0], "content": text})
            continue
        payload = entry.payload or {}
        call_id = str(payload.get("call_id") or payload.get("id") or "")
        if entry.role == "tool_call" and payload.get("by") == "visitor":
            visitor_actions[call_id] = entry  # not a model tool: told as text with its outcome
        elif entry.role == "tool_result" and call_id in visitor_actions:
            messages.extend(_flush(pending))
            messages.append(_visitor_action(visitor_actions.pop(call_id), entry))
        elif entry.role == "tool_call":
            _add_tool_call(messages, pending, entry)
        elif entry.role == "tool_result":
            _add_tool_result(pending, entry)
        else:  # system notices (and unknown roles) are UI chrome, not conversation
            messages.extend(_flush(pending))
    messages.extend(_flush(pending))
    return messages


def _visitor_action(call: HistoryEntry, result: HistoryEntry) -> dict[str, Any]:
    """A card button the visitor pressed (confirm / decline) and what it did."""
    outcome = {"error": result.payload.get("error")} if result.payload.get("error") else {}
    outcome = outcome or {"untrusted_data": result.payload.get("content")}
    action = {"action": call.payload.get("name"), "arguments": call.payload.get("arguments")}
    text = f"[visitor pressed a card button: {json.dumps(action, default=str)}; outcome: "
    text += json.dumps(outcome, default=str) + "]"
    return {"role": "user", "content": text[:MAX_HISTORY_TEXT]}


def _add_tool_call(messages: list, pending: list, entry: HistoryEntry) -> None:
    payload = entry.payload or {}
    fallback_id = f"call_h{len(messages)}_{len(pending)}"
    call_id = str(payload.get("id") or payload.get("call_id") or fallback_id)
    call = {"id": call_id, "type": "function", "function": {"name": payload.get("name", "")}}
    call["function"]["arguments"] = _arguments_json(payload.get("arguments"))
    last = messages[-1] if messages else None
    if last and last["role"] == "assistant" and last.get("tool_calls") and pending:
        last["tool_calls"].append(call)  # a parallel call of the same round
    else:
        messages.extend(_flush(pending))
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    pending.append({"tool_call_id": call_id, "content": None})
    result = payload.get("result", payload.get("content"))
    if result is not None or payload.get("error"):  # one entry may carry call and result
        _fill(pending[-1], result, payload.get("error"))


def _arguments_json(arguments: Any) -> str:
    """Arguments as a JSON object string; unreadable ones (stored raw) become "{}"."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            arguments = {}
    return json.dumps(arguments if isinstance(arguments, dict) else {}, default=str)


def _add_tool_result(pending: list, entry: HistoryEntry) -> None:
    payload = entry.payload or {}
    call_id = str(payload.get("id") or payload.get("call_id") or "")
    for message in pending:
        if message["tool_call_id"] == call_id or (not call_id and message["content"] is None):
            _fill(message, payload.get("content", payload.get("result")), payload.get("error"))
            return
    # a result without its call cannot be sent (the API rejects orphan tool messages): drop it


def _fill(message: dict[str, Any], result: Any, error: Any) -> None:
    body = {"error": str(error)} if error else {"untrusted_data": result}
    message["content"] = json.dumps(body, default=str)[:MAX_HISTORY_TEXT]


def _flush(pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The owed tool messages (every call gets an answer, or the API rejects the request)."""
    flushed = []
    for message in pending:
        content = message["content"] or json.dumps({"error": "no result was recorded"})
        flushed.append(
            {"role": "tool", "tool_call_id": message["tool_call_id"], "content": content}
        )
    pending.clear()
    return flushed
