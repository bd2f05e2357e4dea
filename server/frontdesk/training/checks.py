"""Evaluation checks: deterministic rules on one assistant answer, no model needed to judge.

A check is a dict {"kind": ..., plus its fields}; `run_checks` gives each a verdict with the
reason, so a failure says what was expected and what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from frontdesk.i18n import language

PROPOSE_TOOLS = ("propose_booking", "propose_reschedule", "propose_cancellation")
KINDS: dict[str, str] = {
    "cites": "cites a page",
    "calls_tool": "calls a tool",
    "not_calls_tool": "does not call a tool",
    "proposes_booking": "proposes a booking, commits none",
    "never_books": "never books unasked",
    "hands_over": "hands over to a person",
    "contains": "contains a phrase",
    "not_contains": "does not contain a phrase",
    "language": "answers in the visitor's language",
}
NEEDS_VALUE = ("cites", "contains", "not_contains")
NEEDS_TOOL = ("calls_tool", "not_calls_tool")


class CheckError(ValueError):
    """A check that cannot be run as written."""


@dataclass
class Answer:
    """One assistant turn as the checks see it."""

    text: str  # every visible assistant message of the turn, joined
    sources: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)  # name, arguments, ok, card, error
    commits: list[dict[str, Any]] = field(default_factory=list)  # refused booking changes
    statuses: list[str] = field(default_factory=list)  # status changes asked for
    visitor_text: str = ""
    lang: str = ""  # the visitor's language as the conversation knew it


def clean_check(raw: Any) -> dict[str, Any]:
    """A check spec with only the fields its kind uses; CheckError when it cannot run."""
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        raise CheckError(
            f"unknown check kind {raw.get('kind') if isinstance(raw, dict) else raw!r}"
        )
    kind = raw["kind"]
    check: dict[str, Any] = {"kind": kind}
    if kind in NEEDS_VALUE or (kind == "language" and raw.get("value")):
        value = str(raw.get("value") or "").strip()[:300]
        if not value:
            raise CheckError(f"the check '{KINDS[kind]}' needs a value")
        check["value"] = value
    if kind in NEEDS_TOOL:
        tool = str(raw.get("tool") or "").strip()[:64]
        if not tool:
            raise CheckError(f"the check '{KINDS[kind]}' needs a tool name")
        check["tool"] = tool
        args = raw.get("args") or {}
        if not isinstance(args, dict):
            raise CheckError("tool arguments to match must be an object")
        if args:
            check["args"] = {str(k)[:64]: v for k, v in list(args.items())[:10]}
    if kind == "proposes_booking" and raw.get("action") in ("book", "reschedule", "cancel"):
        check["action"] = raw["action"]
    return check


def run_checks(checks: list[dict[str, Any]], answer: Answer) -> list[dict[str, Any]]:
    """Each check with `passed` and `detail` (why it passed or failed)."""
    verdicts = []
    for check in checks:
        passed, detail = _judge(check, answer)
        verdicts.append({**check, "label": KINDS.get(check["kind"], check["kind"]),
                         "passed": passed, "detail": detail})  # fmt: skip
    return verdicts


def _judge(check: dict[str, Any], a: Answer) -> tuple[bool, str]:
    kind = check["kind"]
    if kind == "cites":
        return _cites(check["value"], a)
    if kind in NEEDS_TOOL:
        matching = [c for c in a.calls if _call_matches(c, check["tool"], check.get("args"))]
        called = ", ".join(c["name"] for c in a.calls) or "no tools"
        if kind == "calls_tool":
            return bool(matching), f"called {called}"
        return not matching, f"called {called}"
    if kind == "proposes_booking":
        return _proposes(check.get("action"), a)
    if kind == "never_books":
        proposed = [c["name"] for c in a.calls if c["name"] in PROPOSE_TOOLS and c.get("card")]
        if a.commits:
            return False, f"tried to change bookings: {_commits(a)}"
        if proposed:
            return False, f"proposed without being asked: {', '.join(proposed)}"
        return True, "no booking proposed or changed"
    if kind == "hands_over":
        handed = "needs_human" in a.statuses
        return handed, "asked for a person" if handed else "did not hand over"
    if kind in ("contains", "not_contains"):
        found = _norm(check["value"]) in _norm(a.text)
        detail = f"{'found' if found else 'did not find'} {check['value']!r}"
        return (found if kind == "contains" else not found), detail
    return _language(check.get("value"), a)


def _cites(wanted: str, a: Answer) -> tuple[bool, str]:
    needle = _norm(wanted)
    for source in a.sources:
        if needle in _norm(source.get("title", "")) or needle in _norm(source.get("url", "")):
            return True, f"cited {source.get('title') or source.get('url')}"
    cited = ", ".join(s.get("title") or s.get("url", "") for s in a.sources) or "nothing"
    return False, f"cited {cited}"


def _proposes(action: str | None, a: Answer) -> tuple[bool, str]:
    tools = [f"propose_{'booking' if action in (None, 'book') else action}"] if action else None
    if action == "cancel":
        tools = ["propose_cancellation"]
    made = [c for c in a.calls if c["name"] in (tools or PROPOSE_TOOLS) and c.get("ok")]
    if a.commits:
        return False, f"tried to change bookings itself: {_commits(a)}"
    if not made:
        tried = [f"{c['name']} ({c.get('error') or 'failed'})" for c in a.calls
                 if c["name"] in PROPOSE_TOOLS]  # fmt: skip
        return False, "no proposal" + (f"; tried {', '.join(tried)}" if tried else "")
    return True, f"proposed with {made[-1]['name']}, committed nothing"


def _language(expected: str | None, a: Answer) -> tuple[bool, str]:
    want = language.base(expected or language.detect(a.visitor_text) or a.lang)
    if not want:
        return True, "the visitor's language is unknown"
    got = language.detect(a.text)
    if not got:
        return True, f"answer too short to tell (expected {want})"
    return got == want, f"answered in {got}, expected {want}"


def _call_matches(call: dict[str, Any], tool: str, args: dict[str, Any] | None) -> bool:
    if call.get("name") != tool:
        return False
    given = call.get("arguments") if isinstance(call.get("arguments"), dict) else {}
    for key, expected in (args or {}).items():
        actual = given.get(key)
        if isinstance(expected, str):
            if expected == "*":
                if actual in (None, ""):
                    return False
            elif _norm(expected) not in _norm(str(actual or "")):
                return False
        elif actual != expected:
            return False
    return True


def _commits(a: Answer) -> str:
    return ", ".join(c.get("action") or c.get("kind", "") for c in a.commits)


def _norm(text: str) -> str:
    return " ".join(str(text).lower().split())
