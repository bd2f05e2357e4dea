"""Playing one evaluation case: its visitor turns through an engine, read-only, then the checks."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from frontdesk.assistant.base import Engine, HistoryEntry, Turn
from frontdesk.assistant.llm.engine import UNAVAILABLE
from frontdesk.assistant.tools.read_only import ReadOnlyTools, WriteJournal
from frontdesk.training.checks import Answer, run_checks
from frontdesk.training.eval_output import EvalOutput

EVAL_VISITOR = "eval-visitor"
SHOWN = ("assistant",)


@dataclass
class CaseOutcome:
    """What one case gave: verdicts, the transcript of its turns, writes refused, cost."""

    passed: bool
    checks: list[dict[str, Any]]
    transcript: list[dict[str, Any]]
    writes: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    error: str = ""


def run_case(case: Any, *, site: Any, engine: Engine, db: Any, bookings: Any) -> CaseOutcome:
    """Play `case` (an EvalCase) on `site` with `engine`; nothing reaches the database."""
    journal = WriteJournal()
    tools = ReadOnlyTools(
        db, bookings, site, visitor_id=EVAL_VISITOR, visitor_tz=case.visitor_tz,
        now=case.now, journal=journal,
    )  # fmt: skip
    out = EvalOutput()
    history = [_entry(e) for e in case.history or []]
    state: dict[str, Any] = {}
    started = time.monotonic()
    marks = len(journal.entries)
    try:
        for n, text in enumerate(case.turns or []):
            marks = len(journal.entries)  # the checks judge the last turn's writes only
            out.begin_turn(text)
            turn = Turn(
                site=site, conversation_id=0, visitor_id=EVAL_VISITOR,
                visitor_tz=case.visitor_tz, page=dict(case.page or {}),
                now=case.now + timedelta(minutes=n), text=text, history=list(history),
                state=state, tools=tools, out=out, lang=case.lang or "en",
            )  # fmt: skip
            engine.respond(turn)
            history += [_entry(e) for e in out.whole_turn()]
    finally:
        tools.close()
    latency = int((time.monotonic() - started) * 1000)
    final = out.turn_entries()
    answer = _answer(final, journal.entries[marks:], case)
    checks = run_checks(list(case.checks or []), answer)
    error = _error(final)
    refused = [e for e in journal.entries if e["kind"] != "audit"]
    return CaseOutcome(
        passed=not error and all(check["passed"] for check in checks),
        checks=checks,
        transcript=out.entries,
        writes=refused,
        prompt_tokens=out.prompt_tokens,
        completion_tokens=out.completion_tokens,
        latency_ms=latency,
        error=error,
    )


def _answer(entries: list[dict[str, Any]], writes: list[dict[str, Any]], case: Any) -> Answer:
    """The last turn as the checks see it."""
    texts, sources, calls, results = [], [], {}, {}
    for entry in entries:
        payload = entry.get("payload") or {}
        if entry["role"] in SHOWN:
            texts.append(entry["text"])
            sources += payload.get("sources") or []
        elif entry["role"] == "tool_call":
            calls[payload.get("call_id")] = payload
        elif entry["role"] == "tool_result":
            results[payload.get("call_id")] = payload
    merged = []
    for call_id, call in calls.items():
        result = results.get(call_id) or {}
        merged.append({
            "name": call.get("name", ""), "arguments": call.get("arguments"),
            "ok": bool(result.get("ok")), "card": result.get("card"),
            "error": result.get("error") or (result.get("content") or {}).get("error", ""),
        })  # fmt: skip
    turns = list(case.turns or [])
    return Answer(
        text="\n\n".join(texts),
        sources=sources,
        calls=merged,
        commits=[w for w in writes if w["kind"] in ("booking", "confirm")],
        statuses=[w.get("status", "") for w in writes if w["kind"] == "status"],
        visitor_text=turns[-1] if turns else "",
        lang=case.lang or "",
    )


def _error(entries: list[dict[str, Any]]) -> str:
    """Why the answer is not the engine's own (the provider failed and basic mode answered)."""
    for entry in entries:
        if entry["role"] == "system" and entry["text"] == UNAVAILABLE:
            return "The LLM provider failed; the offline engine answered instead."
    if not any(entry["role"] in SHOWN for entry in entries):
        return "The engine gave no answer."
    return ""


def _entry(raw: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(raw.get("role", ""), raw.get("text", ""), dict(raw.get("payload") or {}))
