"""What the earlier turns make of this one: a confirmed card closes its dialogue, a "yes" or
"can we do Friday?" takes up the booking an answer offered, "when is it again?" is about the
booking just made."""

from __future__ import annotations

import re

from frontdesk.assistant.base import HistoryEntry
from frontdesk.assistant.offline import dates, decide, intents
from frontdesk.assistant.offline.dialogue import Dialogue

BOOK_OFFER = "I'd like to book"  # how a booking chip's value starts (answers.chips)
OWN_BOOKING = re.compile(r"\bbook|\breserve|\bschedule", re.I)


def take_offer(d: Dialogue, offer: str | None, text: str) -> str:
    """The message, as the action the last answer offered when the visitor takes it up:
    "yes please"; for a booking also "I'd like one of those", "can we do Friday?"."""
    if not offer or d.state.get("flow"):
        return text
    if intents.is_affirmation(text):
        return offer
    # "can I book a call on Tuesday?" says what it wants itself
    request = decide.is_request(text) and not OWN_BOOKING.search(text) and names_time(d, text)
    if offer.startswith(BOOK_OFFER) and (intents.takes_offer(text) or request):
        # "can I come in for one on Friday?": the offered booking, on the day said
        return f"{offer}, {text.rstrip('?!. ')}" if names_time(d, text) else offer
    return text


def names_time(d: Dialogue, text: str) -> bool:
    """Whether the message names a day or a time."""
    return not dates.parse_when(text, d.now, d.tz).empty


def booked_here(d: Dialogue) -> bool:
    """Whether the visitor confirmed a booking earlier in this conversation."""
    history = d.turn.history
    confirms = {
        e.payload.get("call_id")
        for e in history
        if e.role == "tool_call" and e.payload.get("name") == "confirm"
    }
    return any(
        e.role == "tool_result" and e.payload.get("ok") and e.payload.get("call_id") in confirms
        for e in history
    )


def settle(state: dict, history: list[HistoryEntry]) -> None:
    """Close a dialogue whose card the visitor has since confirmed (the chat session commits it).

    The visitor's Confirm is stored as a tool_call named "confirm" with the proposal id and its
    outcome as the matching tool_result; a failed confirm (slot taken) reopens the time choice.
    """
    proposal = state.get("proposal")
    if not proposal:
        return
    calls = {
        entry.payload.get("call_id")
        for entry in history
        if entry.role == "tool_call"
        and entry.payload.get("name") == "confirm"
        and (entry.payload.get("arguments") or {}).get("proposal") == proposal
    }
    outcomes = [
        bool(entry.payload.get("ok"))
        for entry in history
        if entry.role == "tool_result" and entry.payload.get("call_id") in calls
    ]
    if not outcomes:
        return
    if outcomes[-1] or state.get("flow") == "cancel":
        state.clear()
    else:
        state.pop("proposal", None)
        state.pop("start", None)
        state["step"] = "time"
