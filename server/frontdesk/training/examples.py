"""One conversation as an OpenAI chat fine-tuning example, with staff feedback applied.

The assistant's messages keep the shape the model met them in: each tool call its own round
followed by its result (in the envelope the LLM engine wraps results in), then the answer.
A corrected answer replaces the turn it corrects (its tool calls, with the results they gave
when staff wrote them, and its text); a bad answer left uncorrected stays, with weight 0, as
do staff messages and moderation refusals: context, not something to learn.
"""

from __future__ import annotations

import json
from typing import Any

from frontdesk.assistant.llm.engine import UNTRUSTED_NOTE
from frontdesk.training.redaction import Redactor

VISIBLE = ("visitor", "assistant", "staff")


def conversation_messages(
    entries: list[Any], feedback: dict[int, Any], redactor: Redactor
) -> list[dict[str, Any]]:
    """The conversation's chat messages (no system prompt) ending with its last assistant one."""
    messages: list[dict[str, Any]] = []
    segment: list[Any] = []  # the assistant's tool entries since the last visible message
    visitor_calls: dict[str, Any] = {}
    for entry in entries:
        payload = entry.payload or {}
        if entry.role == "tool_call" and payload.get("by") == "visitor":
            visitor_calls[str(payload.get("call_id"))] = entry
        elif entry.role == "tool_result" and str(payload.get("call_id")) in visitor_calls:
            messages.append(_visitor_action(visitor_calls.pop(str(payload["call_id"])), entry))
        elif entry.role in ("tool_call", "tool_result"):
            segment.append(entry)
        elif entry.role == "visitor":
            segment = []
            messages.append({"role": "user", "content": redactor.text(entry.text)})
        elif entry.role == "staff":
            segment = []
            text = "[staff member wrote] " + redactor.text(entry.text)
            messages.append({"role": "assistant", "content": text, "weight": 0})
        elif entry.role == "assistant":
            messages += _turn(entry, segment, feedback.get(entry.id), redactor)
            segment = []
    while messages and messages[-1]["role"] != "assistant":
        messages.pop()
    return messages


def _turn(entry: Any, segment: list[Any], feedback: Any, redactor: Redactor) -> list[dict]:
    """One assistant turn: its tool rounds and its answer, or the staff's correction."""
    if feedback is not None and feedback.correction:
        calls = [(c["id"], c["name"], c.get("arguments") or {}, c.get("ok", False),
                  c.get("content"), c.get("error", "")) for c in feedback.correction_calls]  # fmt: skip
        text, weight = feedback.correction, 1
    else:
        calls = _recorded_calls(segment)
        text = entry.text
        bad = feedback is not None and feedback.rating == "bad"
        weight = 0 if bad or (entry.payload or {}).get("moderated") else 1
    turn: list[dict[str, Any]] = []
    for call_id, name, arguments, ok, content, error in calls:
        arguments = redactor.value(arguments if isinstance(arguments, dict) else {})
        function = {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)}
        call = {"id": call_id, "type": "function", "function": function}
        turn.append({"role": "assistant", "tool_calls": [call], "weight": weight})
        body = ({"error": error} if content is None else
                {"tool": name, "ok": ok, "untrusted_data": content, "note": UNTRUSTED_NOTE})  # fmt: skip
        result = json.dumps(redactor.value(body), ensure_ascii=False, default=str)
        turn.append({"role": "tool", "tool_call_id": call_id, "content": result})
    turn.append({"role": "assistant", "content": redactor.text(text), "weight": weight})
    return turn


def _recorded_calls(segment: list[Any]) -> list[tuple]:
    """(id, name, arguments, ok, content, error) for each recorded call, paired by call id."""
    results = {
        str((e.payload or {}).get("call_id")): e.payload or {}
        for e in segment
        if e.role == "tool_result"
    }
    calls = []
    for n, entry in enumerate(e for e in segment if e.role == "tool_call"):
        payload = entry.payload or {}
        call_id = str(payload.get("call_id") or f"call_{entry.seq}_{n}")
        result = results.get(call_id, {})
        error = result.get("error") or ("no result was recorded" if not result else "")
        content = result.get("content") if result else None
        calls.append((call_id, payload.get("name", ""), payload.get("arguments"),
                      bool(result.get("ok")), content, error))  # fmt: skip
    return calls


def _visitor_action(call: Any, result: Any) -> dict[str, Any]:
    """A card button the visitor pressed, told as the chat history tells it."""
    outcome = result.payload.get("error") or "done"
    action = {"action": call.payload.get("name"), "outcome": outcome}
    return {"role": "user", "content": f"[visitor pressed a card button: {json.dumps(action)}]"}


def learn_people(entries: list[Any], bookings: list[Any], redactor: Redactor) -> None:
    """Teach the redactor the people of a conversation: its bookings and booking-tool calls."""
    for booking in bookings:
        redactor.learn(booking.visitor_name, booking.email)
    for entry in entries:
        if entry.role == "tool_call":
            redactor.learn_from_arguments((entry.payload or {}).get("arguments"))


def trains_something(messages: list[dict[str, Any]]) -> bool:
    """Whether any assistant message of the example has weight 1."""
    return any(m["role"] == "assistant" and m.get("weight", 1) for m in messages)
