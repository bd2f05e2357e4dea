"""No promise the server cannot keep: both engines say a confirmation e-mail is on its way only
when e-mail is configured, and ask for the address without one otherwise (real socket)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from frontdesk.db.models import OutboxEmail
from tests.support.apps import QUEUE_ONLY_SMTP

PROMISE = "confirmation e-mail is on its way"


def _weekday_ahead(days: int = 4):
    day = datetime.now(ZoneInfo("Australia/Sydney")).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _confirm(client, card) -> dict:
    client.send({"type": "action", "id": "ok", "name": "confirm", "value": card["proposal"]})
    client.expect("ack", id="ok")
    return client.expect("message", role="assistant")


def _queued(chat) -> int:
    with chat.db.session() as session:
        return session.scalar(select(func.count()).select_from(OutboxEmail))


@pytest.mark.parametrize("mail", [False, True], ids=["no-smtp", "smtp"])
def test_the_offline_engine_promises_e_mail_only_when_it_sends_it(start_chat, mail):
    chat = start_chat(ENGINE="offline", **({"SMTP_URL": QUEUE_ONLY_SMTP} if mail else {}))
    day = _weekday_ahead()
    with chat.client() as client:
        client.hello(tz="Australia/Sydney")
        client.say(f"I'd like to book a consultation on {day:%b} {day.day} at 1pm")
        assert "What name" in client.expect("message", role="assistant")["text"]
        client.say("Grace Hopper")
        ask_email = client.expect("message", role="assistant")["text"]
        client.say("grace@example.com")
        card = client.expect("message", role="assistant")["card"]
        assert card["type"] == "booking_proposal"
        confirmed = _confirm(client, card)
    assert confirmed["card"]["type"] == "booking_confirmed"
    if mail:
        assert "Which e-mail address should the confirmation go to?" in ask_email
        assert PROMISE in confirmed["text"] and _queued(chat) == 2  # visitor and owner
    else:
        assert "confirmation" not in ask_email and "e-mail address" in ask_email
        assert "e-mail" not in confirmed["text"] and "card has the links" in confirmed["text"]
        assert _queued(chat) == 0


@pytest.mark.parametrize("mail", [False, True], ids=["no-smtp", "smtp"])
def test_the_llm_is_told_whether_e_mail_is_sent(start_chat, mail):
    chat = start_chat(**({"SMTP_URL": QUEUE_ONLY_SMTP} if mail else {}))
    day = _weekday_ahead()
    start = datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo("Australia/Sydney"))
    arguments = {"service": "consult", "start": start.isoformat(), "name": "Ada Lovelace",
                 "email": "ada@example.com", "phone": None, "notes": None}  # fmt: skip
    chat.llm.script(
        chat.llm.tool_calls([("propose_booking", arguments)]),
        chat.llm.text("Please check the details and confirm."),
    )
    with chat.client() as client:
        client.hello(tz="Australia/Sydney")
        client.say("Book a consultation for Ada, ada@example.com")
        card = client.expect("message", role="assistant")["card"]
        confirmed = _confirm(client, card)
    system = chat.llm.chat_requests[0]["messages"][0]["content"]
    if mail:
        assert "an e-mail with the details goes to the address they gave" in system
        assert PROMISE in confirmed["text"]
    else:
        assert "This business sends no e-mail: never say a confirmation" in system
        assert "e-mail" not in confirmed["text"]
