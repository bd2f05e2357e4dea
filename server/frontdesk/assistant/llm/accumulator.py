"""Tolerant accumulation of a streamed chat completion: content text and tool calls.

Providers that claim OpenAI compatibility differ in how they stream tool calls: arguments split over
many chunks or sent whole, `index` missing, `id` missing, finish_reason "stop" although tool calls
came, arguments that are not valid JSON. This module turns any of those into clean drafts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from frontdesk.assistant.llm.http_stream import JsonView, decoded


@dataclass
class ToolCallDraft:
    """One tool call as the model wrote it; `arguments` is None when `raw_arguments` is unusable."""

    id: str
    name: str
    raw_arguments: str
    arguments: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class _Building:
    id: str | None
    name: str = ""
    parts: list[str] = field(default_factory=list)


class ToolCallAccumulator:
    """Feed it chunks (`add`), then read `content`, `tool_calls()`, `finish_reason`, `usage`."""

    def __init__(self) -> None:
        self._content: list[str] = []
        self._calls: list[_Building] = []
        self._by_index: dict[int, _Building] = {}
        self.finish_reason: str | None = None
        self.usage: tuple[int, int] | None = None

    @property
    def content(self) -> str:
        """The text content received so far."""
        return "".join(self._content)

    def add(self, chunk: Any) -> str:
        """Take one chunk (a ChatCompletionChunk, a JsonView or a dict); returns its new content
        text ("" if none)."""
        if isinstance(chunk, JsonView):
            chunk = decoded(chunk)
        usage = _get(chunk, "usage")
        if usage is not None:
            self.usage = (_get(usage, "prompt_tokens") or 0, _get(usage, "completion_tokens") or 0)
        text = ""
        for choice in _get(chunk, "choices") or []:
            if _get(choice, "index") not in (0, None):
                continue  # we never ask for n > 1; ignore stray alternatives
            delta = _get(choice, "delta")
            if delta is not None:
                text += self._add_delta(delta)
            finish_reason = _get(choice, "finish_reason")
            if finish_reason:
                self.finish_reason = finish_reason
        return text

    def _add_delta(self, delta: Any) -> str:
        # a refusal is shown like content: the visitor must see why there is no answer
        text = (_get(delta, "content") or "") + (_get(delta, "refusal") or "")
        if text:
            self._content.append(text)
        for part in _get(delta, "tool_calls") or []:
            self._add_tool_part(part)
        return text

    def _add_tool_part(self, part: Any) -> None:
        function = _get(part, "function")
        name = (_get(function, "name") or "") if function else ""
        arguments = (_get(function, "arguments") or "") if function else ""
        call = self._target(_get(part, "index"), _get(part, "id"), name)
        if name and not call.name:
            call.name = name  # some providers repeat the name in every fragment: keep the first
        if arguments:
            call.parts.append(arguments)

    def _target(self, index: int | None, call_id: str | None, name: str) -> _Building:
        """Which call a fragment belongs to: by index, else by id / name continuity."""
        if index is not None:
            call = self._by_index.get(index)
            if call is None or (call_id and call.id and call_id != call.id):
                call = self._start(call_id)
                self._by_index[index] = call
            elif call_id and not call.id:
                call.id = call_id
            return call
        last = self._calls[-1] if self._calls else None
        if last is None:
            return self._start(call_id)
        if call_id and call_id != last.id:
            return self._start(call_id)
        if not call_id and name and last.name and (name != last.name or _complete(last)):
            return self._start(None)  # a name after a finished call starts the next one
        return last

    def _start(self, call_id: str | None) -> _Building:
        call = _Building(id=call_id)
        self._calls.append(call)
        return call

    @property
    def has_tool_calls(self) -> bool:
        """Whether any tool call arrived (whatever finish_reason said)."""
        return bool(self._calls)

    def tool_calls(self) -> list[ToolCallDraft]:
        """The finished drafts, with ids synthesized where missing and arguments parsed."""
        drafts = []
        used_ids = {call.id for call in self._calls if call.id}
        for n, call in enumerate(self._calls, start=1):
            call_id = call.id or _fresh_id(n, used_ids)
            drafts.append(_draft(call_id, call.name, "".join(call.parts)))
        return drafts


def _get(value: Any, name: str) -> Any:
    """A field of a decoded JSON object or of an SDK object; None when missing."""
    if type(value) is dict:
        return value.get(name)
    return getattr(value, name, None)


def _complete(call: _Building) -> bool:
    """Whether a call's arguments already form a JSON object (so more text is a new call)."""
    try:
        return isinstance(json.loads("".join(call.parts)), dict)
    except ValueError:
        return False


def _fresh_id(n: int, used: set[str]) -> str:
    candidate = f"call_{n}"
    while candidate in used:
        candidate += "_"
    used.add(candidate)
    return candidate


def _draft(call_id: str, name: str, raw: str) -> ToolCallDraft:
    """Parse the raw arguments; an empty string means "no arguments" ({})."""
    draft = ToolCallDraft(id=call_id, name=name, raw_arguments=raw)
    if not name:
        draft.error = "the tool call had no function name"
        return draft
    if not raw.strip():
        draft.arguments = {}
        return draft
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        draft.error = f"arguments were not valid JSON: {exc}"
        return draft
    if not isinstance(parsed, dict):
        draft.error = f"arguments must be a JSON object, got {type(parsed).__name__}"
        return draft
    draft.arguments = parsed
    return draft
