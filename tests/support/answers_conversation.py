"""A visitor talking to the real offline engine: turns, history and bookings as the chat keeps them.

Each message is a real `Turn` answered by `OfflineEngine` with the real tools; the engine's
state is carried between turns as JSON and the history holds what the chat session would
store (visitor and assistant messages, tool calls and results, the visitor's Confirm).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from frontdesk.assistant.base import HistoryEntry, Turn
from frontdesk.assistant.offline.engine import OfflineEngine

if TYPE_CHECKING:
    from tests.support.answers_runner import BusinessRun

VISITOR_NAME, VISITOR_EMAIL = "Alex Visitor", "alex.visitor@example.com"


class Recorder:
    """The engine's Output: keeps the message and the tool calls as the chat session would."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.tools: list[tuple[str, Any, Any]] = []

    def typing(self) -> None:
        """Nothing to show."""

    def delta(self, reply_id: str, text: str) -> None:
        """The offline engine does not stream."""

    def message(self, text, *, reply_id=None, sources=None, choices=None, card=None, role=None):
        """Keep the reply."""
        self.messages.append(
            {"text": text, "sources": sources or [], "choices": choices or [], "card": card}
        )

    def record_tool(self, call_id, name, arguments, result, error="") -> None:
        """Keep the call (the history of later turns includes it)."""
        self.tools.append((call_id, name, arguments, result))

    def record_usage(self, prompt_tokens: int, completion_tokens: int) -> None:
        """No tokens offline."""


class VisitorChat:
    """One visitor's conversation with the engine: state and history carried between turns."""

    def __init__(self, run: BusinessRun, visitor_id: str) -> None:
        self.run = run
        self.tools = run.tools_for(visitor_id)
        self.state: dict[str, Any] = {}
        self.history: list[HistoryEntry] = []
        self.engine = OfflineEngine()

    def say(self, text: str) -> tuple[dict[str, Any], Recorder]:
        """One visitor turn; returns the reply and what the engine did."""
        out = Recorder()
        turn = Turn(
            site=self.run.site,
            conversation_id=self.tools.conversation_id,
            visitor_id=self.tools.visitor_id,
            visitor_tz=self.tools.visitor_tz,
            page={},
            now=self.run.now,
            text=text,
            history=list(self.history),
            state=self.state,
            tools=self.tools,
            out=out,
        )
        self.engine.respond(turn)
        self.state = json.loads(json.dumps(turn.state))
        reply = out.messages[-1]
        self.history.append(HistoryEntry("visitor", text))
        for call_id, name, arguments, result in out.tools:
            self._tool_entries(call_id, name, arguments, result, by="assistant")
        self.history.append(HistoryEntry("assistant", reply["text"]))
        return reply, out

    def _tool_entries(self, call_id, name, arguments, result, *, by: str) -> None:
        call = {"call_id": call_id, "name": name, "arguments": arguments, "by": by}
        done = {
            "call_id": call_id,
            "name": name,
            "ok": bool(result and result.ok),
            "content": result.content if result else None,
            "card": result.card if result else None,
        }
        self.history.append(HistoryEntry("tool_call", name, json.loads(json.dumps(call))))
        self.history.append(
            HistoryEntry("tool_result", name, json.loads(json.dumps(done, default=str)))
        )

    def confirm(self, proposal: str) -> bool:
        """The visitor presses Confirm on a card (stored as the chat session stores it)."""
        result = self.tools.confirm(proposal)
        self._tool_entries("act_confirm", "confirm", {"proposal": proposal}, result, by="visitor")
        self.history.append(HistoryEntry("assistant", "You're booked."))
        return result.ok

    def finish_booking(self, reply: dict[str, Any]) -> bool:
        """Carry a booking dialogue through to a confirmed booking, as a visitor would."""
        for _ in range(8):
            card = reply.get("card")
            if card and card.get("type") == "booking_proposal":
                return self.confirm(card["proposal"])
            step = self.state.get("step")
            if self.state.get("flow") != "book":
                return False
            if step in ("service", "time") and reply["choices"]:
                reply, _ = self.say(reply["choices"][0].value)
            elif step == "name":
                reply, _ = self.say(VISITOR_NAME)
            elif step == "email":
                reply, _ = self.say(VISITOR_EMAIL)
            else:
                return False
        return False

    def book_through_tools(self) -> bool:
        """A booking proposed and confirmed through the tools (no dialogue before it)."""
        service = self.run.services[0]
        day = self.run.now.astimezone(ZoneInfo(self.run.business.timezone)).date()
        slots = self.tools.call(
            "find_available_slots",
            {
                "service": service,
                "start_date": day.isoformat(),
                "end_date": None,
                "time_zone": None,
            },
        )
        if not slots.ok or not slots.content.get("slots"):
            return False
        proposal = self.tools.call(
            "propose_booking",
            {
                "service": service,
                "start": slots.content["slots"][0]["start"],
                "name": VISITOR_NAME,
                "email": VISITOR_EMAIL,
                "phone": None,
                "notes": None,
            },
        )
        return proposal.ok and self.confirm(proposal.card["proposal"])
