"""Scripted responses for the fake OpenAI provider: the Script record and its builders.

`FakeLLM` inherits `ScriptBuilders`, so tests write `FakeLLM.text(...)`, `FakeLLM.tool_calls(...)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

TOOL_STYLES = ("fragmented", "whole", "no_index", "no_id", "interleaved")


@dataclass
class Script:
    """One scripted provider response: streamed deltas, or an HTTP error, garbage or a stall."""

    deltas: list[dict[str, Any]] = field(default_factory=list)  # OpenAI `delta` objects, in order
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = None  # (prompt, completion); None: estimated
    status: int = 200
    error_message: str = ""
    delay: float = (
        0.0  # seconds to wait before answering (longer than the client timeout = timeout)
    )
    garbage: bool = False  # answer 200 with a body that is not the protocol
    cut_after: int | None = None  # close the connection after this many chunks (no [DONE])
    stall_after: int | None = None  # after this many chunks, wait `delay` seconds mid-stream
    drip: float = 0.0  # seconds between chunks (a slow provider that keeps the stream alive)
    linger: float = 0.0  # seconds to hold the body open after `[DONE]` before ending it
    error_event: str = ""  # send an in-stream `{"error": ...}` event after the deltas
    raw_sse: tuple[bytes, ...] = ()  # a streamed body sent verbatim, one HTTP chunk per piece

    def __add__(self, other: Script) -> Script:
        """Concatenate two scripts' deltas (e.g. some text, then tool calls)."""
        return replace(
            self,
            deltas=self.deltas + other.deltas,
            finish_reason=other.finish_reason,
            usage=other.usage or self.usage,
        )


def _pieces(text: str, count: int) -> list[str]:
    """Split text into `count` roughly equal non-empty pieces (fewer if the text is short)."""
    count = max(1, min(count, len(text) or 1))
    size = -(-len(text) // count) or 1
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class ScriptBuilders:
    """Static builders of the common Script shapes."""

    @staticmethod
    def text(text: str, *, chunks: int = 3, usage: tuple[int, int] | None = None) -> Script:
        """A plain text answer streamed in `chunks` pieces."""
        deltas = [{"role": "assistant", "content": ""}]
        deltas += [{"content": piece} for piece in _pieces(text, chunks)]
        return Script(deltas=deltas, usage=usage)

    @staticmethod
    def tool_calls(
        calls: list[tuple[str, dict[str, Any] | str]],
        *,
        style: str = "fragmented",
        finish_reason: str = "tool_calls",
        pieces: int = 4,
        usage: tuple[int, int] | None = None,
    ) -> Script:
        """Tool calls; arguments given as a str are sent verbatim (truncated/invalid JSON)."""
        if style not in TOOL_STYLES:
            raise ValueError(f"unknown style {style!r}; use one of {TOOL_STYLES}")
        per_call = [
            _call_deltas(
                i, name, args if isinstance(args, str) else json.dumps(args), style, pieces
            )
            for i, (name, args) in enumerate(calls)
        ]
        if style == "interleaved":  # heads first, then argument fragments alternating by index
            heads = [d[0] for d in per_call]
            tails = [d[1:] for d in per_call]
            ordered = heads + [d for group in _zip_longest(tails) for d in group]
        else:
            ordered = [d for deltas in per_call for d in deltas]
        deltas = [{"role": "assistant", "content": None, "tool_calls": [d]} for d in ordered]
        return Script(deltas=deltas, finish_reason=finish_reason, usage=usage)

    @staticmethod
    def error(status: int = 500, message: str = "provider exploded") -> Script:
        """An HTTP error response with an OpenAI-style error body."""
        return Script(status=status, error_message=message)

    @staticmethod
    def timeout(seconds: float = 3.0) -> Script:
        """Answer only after `seconds` (longer than the client timeout)."""
        return replace(ScriptBuilders.text("too late"), delay=seconds)

    @staticmethod
    def dropped(text: str, *, after: int = 2, chunks: int = 4) -> Script:
        """`text` streamed in `chunks` pieces, the connection cut after `after` chunks (the
        role chunk counts): the visitor has seen part of an answer that never ends."""
        return replace(ScriptBuilders.text(text, chunks=chunks), cut_after=after)

    @staticmethod
    def slow(text: str, *, every: float, chunks: int = 4, delay: float = 0.0) -> Script:
        """`text` after `delay` seconds, then one chunk every `every` seconds."""
        return replace(ScriptBuilders.text(text, chunks=chunks), drip=every, delay=delay)

    @staticmethod
    def garbage() -> Script:
        """A 200 response that is not the OpenAI protocol."""
        return Script(garbage=True)


def _call_deltas(index: int, name: str, raw: str, style: str, pieces: int) -> list[dict[str, Any]]:
    """The tool_call delta objects for one call in the given style."""
    call_id = f"call_fake{index}"
    fragments = [raw] if style == "whole" else [""] + _pieces(raw, pieces)
    deltas = []
    for n, fragment in enumerate(fragments):
        delta: dict[str, Any] = {"index": index, "function": {"arguments": fragment}}
        if n == 0:
            delta.update(id=call_id, type="function")
            delta["function"]["name"] = name
        if style == "no_index":
            delta.pop("index")
        if style == "no_id":
            delta.pop("id", None)
        deltas.append(delta)
    return deltas


def _zip_longest(groups: list[list[dict]]) -> Iterator[list[dict]]:
    """The i-th items of every group that has one, for i = 0, 1, ..."""
    for i in range(max((len(g) for g in groups), default=0)):
        yield [g[i] for g in groups if i < len(g)]
