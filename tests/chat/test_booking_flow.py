"""End to end over the socket: the model proposes a booking, the visitor confirms it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from frontdesk.db.models import Booking


def next_weekday_10am_sydney() -> str:
    """A start well inside the opening hours, a few days ahead, as ISO UTC."""
    zone = ZoneInfo("Australia/Sydney")
    day = datetime.now(zone).date() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=zone)
    return start.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_propose_then_confirm_books_once(start_chat, backend):
    chat = start_chat(backend)
    start = next_weekday_10am_sydney()
    arguments = {"service": "consult", "start": start, "name": "Ada Lovelace",
                 "email": "ada@example.com", "phone": None, "notes": None}  # fmt: skip
    chat.llm.script(
        chat.llm.tool_calls([("propose_booking", arguments)]),
        chat.llm.text("Please check the details and confirm."),
    )
    with chat.client() as client:
        conversation = client.hello(tz="America/New_York")["conversation"]
        client.say("Book a consultation for Ada, ada@example.com")
        proposal = client.expect("message", role="assistant")
        card = proposal["card"]
        assert card["type"] == "booking_proposal", proposal
        assert card["start"] == start.replace(".000", "")
        client.send({"type": "action", "id": "ok-1", "name": "confirm", "value": card["proposal"]})
        client.expect("ack", id="ok-1")
        confirmed = client.expect("message", role="assistant")
        assert confirmed["card"]["type"] == "booking_confirmed"
        assert confirmed["text"].startswith("You're booked")
        # Pressing Confirm again (another tab, a double click) books nothing more.
        client.send({"type": "action", "id": "ok-2", "name": "confirm", "value": card["proposal"]})
        client.expect("ack", id="ok-2")
        again = client.expect("message", role="assistant")
    assert again["card"]["booking"] == confirmed["card"]["booking"]
    with chat.db.session() as session:
        bookings = session.scalars(select(Booking)).all()
    assert len(bookings) == 1 and bookings[0].email == "ada@example.com"
    roles = [e.role for e in chat.entries(conversation)]
    assert roles.count("tool_call") == 3 and roles.count("tool_result") == 3
    chat.idle()
    # The model's next request sees the confirmation as a tool result, not as visitor text.
    hidden = [e for e in chat.entries(conversation, ("tool_result",)) if e.text == "confirm"]
    assert hidden[0].payload["ok"] is True


def test_change_drops_the_proposal_and_asks_again(chat):
    start = next_weekday_10am_sydney()
    arguments = {"service": "consult", "start": start, "name": "Ada Lovelace",
                 "email": "ada@example.com", "phone": None, "notes": None}  # fmt: skip
    chat.llm.script(
        chat.llm.tool_calls([("propose_booking", arguments)]),
        chat.llm.text("Please confirm."),
        chat.llm.text("Sure, what would you like to change?"),
    )
    with chat.client() as client:
        client.hello()
        client.say("Book me in")
        card = client.expect("message", role="assistant")["card"]
        client.send({"type": "action", "id": "chg", "name": "change", "value": card["proposal"]})
        client.expect("ack", id="chg")
        echo = client.expect("message", role="visitor")
        reply = client.expect("message", role="assistant")
        assert echo["text"] == "I'd like to change that"
        assert reply["text"] == "Sure, what would you like to change?"
        client.send({"type": "action", "id": "late", "name": "confirm", "value": card["proposal"]})
        refused = client.expect("message", role="assistant")
    assert refused["card"] is None
    with chat.db.session() as session:
        assert session.scalars(select(Booking)).all() == []


def test_keep_booking_on_a_cancellation_card_keeps_it(chat):
    start = next_weekday_10am_sydney()
    arguments = {"service": "consult", "start": start, "name": "Ada Lovelace",
                 "email": "ada@example.com", "phone": None, "notes": None}  # fmt: skip
    chat.llm.script(
        chat.llm.tool_calls([("propose_booking", arguments)]),
        chat.llm.text("Please confirm."),
    )
    with chat.client() as client:
        client.hello()
        client.say("Book me in")
        card = client.expect("message", role="assistant")["card"]
        client.send({"type": "action", "id": "ok", "name": "confirm", "value": card["proposal"]})
        booked = client.expect("message", role="assistant")["card"]["booking"]
        chat.llm.script(
            chat.llm.tool_calls([("propose_cancellation", {"booking_id": booked, "reason": None})]),
            chat.llm.text("Shall I cancel it?"),
            chat.llm.text("Alright, it stays."),
        )
        client.say("Cancel it please")
        cancel = client.expect("message", role="assistant")["card"]
        assert [a["label"] for a in cancel["actions"]] == ["Cancel booking", "Keep booking"]
        client.send({"type": "action", "id": "keep", "name": "change", "value": cancel["proposal"]})
        client.expect("ack", id="keep")
        echo = client.expect("message", role="visitor")
        assert echo["text"] == "I'll keep my booking"
        client.expect("message", role="assistant")
    with chat.db.session() as session:
        assert [b.status for b in session.scalars(select(Booking))] == ["confirmed"]
