"""What was acked is answered or carried out exactly once across a crash: a real `frontdesk
serve` is killed with SIGKILL at many moments after the ack, restarted, and the visitor comes
back (reconnecting, re-sending the acked frame, or not at all)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from frontdesk.db.models import Booking, Conversation, Message
from tests.support.chat_server_process import ChatServer
from tests.support.factories import make_site
from tests.support.fake_llm import FakeLLM
from tests.support.ws_client import ChatClient

pytestmark = pytest.mark.slow

ANSWER = "We design and build fast websites, shops and AI assistants for small businesses."
# Seconds between the ack and kill -9: before the provider answers, while the answer streams
# (about 0.5 s), around its last write, and after it.
MESSAGE_DELAYS = (0.0, 0.03, 0.08, 0.15, 0.25, 0.35, 0.45, 0.55, 0.7, 1.0)
# Seconds between Confirm's ack and kill -9: a confirm takes a few milliseconds.
CONFIRM_DELAYS = (0.0, 0.001, 0.002, 0.004, 0.006, 0.009, 0.013, 0.02, 0.035, 0.06)


def responder(body: dict):
    """The provider: proposes a booking when asked for one, else streams ANSWER slowly."""
    last = body["messages"][-1]
    if last["role"] == "tool":
        return FakeLLM.text("Please check the details and confirm.")
    if last["role"] == "user" and last["content"].startswith("Book "):
        email = last["content"].split()[-2]
        start = last["content"].split()[-1]
        arguments = {"service": "consult", "start": start, "name": "Ada Lovelace",
                     "email": email, "phone": None, "notes": None}  # fmt: skip
        return FakeLLM.tool_calls([("propose_booking", arguments)])
    return FakeLLM.slow(ANSWER, every=0.08, chunks=6)


@pytest.fixture(params=["sqlite", "postgresql"])
def crashing(request, new_database_url, tmp_path: Path):
    """A real server on the LLM engine (the fake provider), restartable after kill -9."""
    llm = FakeLLM().start()
    llm.responder = responder
    env = {"FRONTDESK_ENGINE": "llm", "FRONTDESK_OPENAI_BASE_URL": llm.base_url,
           "FRONTDESK_OPENAI_API_KEY": "sk-fake", "FRONTDESK_TURN_DEADLINE": "20"}  # fmt: skip
    server = ChatServer(new_database_url(request.param, tmp_path), tmp_path / "instance",
                        extra_env=env)  # fmt: skip
    server.db = server.prepare()
    server.site = make_site(server.db)
    server.start()
    yield server
    server.kill()
    llm.stop()
    server.db.dispose()


def entries(server: ChatServer, public_id: str) -> list[Message]:
    with server.db.session() as session:
        conversation = session.scalars(
            select(Conversation).where(Conversation.public_id == public_id)
        ).one()
        query = select(Message).where(Message.conversation_id == conversation.id)
        return list(session.scalars(query.order_by(Message.seq)))


def settled(server: ChatServer, public_id: str, done, wait: float = 30.0) -> list[Message]:
    """The conversation's entries once no acked work is pending and `done(entries)` holds."""
    deadline = time.monotonic() + wait
    while True:
        found = entries(server, public_id)
        if (not any(e.work_pending for e in found) and done(found)) or (
            time.monotonic() > deadline
        ):
            return found
        time.sleep(0.1)


def crash_and_restart(server, clients: list) -> None:
    """kill -9 the server, drop the tabs' sockets, start it again on the same database."""
    server.kill()
    for client in clients:
        client.close()
    server.start()


def staggered(clients: list, frames: list[dict], delays: tuple[float, ...]) -> None:
    """Send frame i on client i so that its ack comes delays[i] seconds before the end (the
    kill): one crash, many moments after the ack."""
    longest = max(delays)
    began = time.monotonic()
    for i in sorted(range(len(frames)), key=lambda i: -delays[i]):
        time.sleep(max(0.0, began + longest - delays[i] - time.monotonic()))
        clients[i].send(frames[i])
        clients[i].expect("ack", id=frames[i]["id"])
    time.sleep(max(0.0, began + longest - time.monotonic()))


def test_acked_messages_are_answered_once_whatever_the_moment_of_the_crash(crashing):
    server = crashing
    clients = [ChatClient(server.url, server.site.public_key) for _ in MESSAGE_DELAYS]
    welcomes = [client.hello() for client in clients]
    frames = [{"type": "message", "id": f"m{n}", "text": "What do you do?"}
              for n in range(len(clients))]  # fmt: skip
    staggered(clients, frames, MESSAGE_DELAYS)
    crash_and_restart(server, clients)
    for n, (welcome, frame) in enumerate(zip(welcomes, frames, strict=True)):
        with ChatClient(server.url, server.site.public_key) as visitor:
            again = visitor.hello(visitor=welcome["visitor"], conversation=welcome["conversation"])
            assert again["conversation"] == welcome["conversation"]
            if n % 2:  # the widget was not sure: it sends the acked frame again
                visitor.send(frame)
                visitor.expect("ack", id=frame["id"])
            shown = [m for m in again["messages"] if m["role"] == "assistant"]
            if not shown:
                # The answer may come before the re-sent frame's ack: look at what came first.
                answer = visitor.seen_or_wait(
                    lambda f: f.get("type") == "message" and f.get("role") == "assistant", 30
                )
                shown = [answer]
            assert shown[0]["text"] == ANSWER, MESSAGE_DELAYS[n]
    for n, welcome in enumerate(welcomes):
        found = settled(server, welcome["conversation"],
                        lambda found: any(e.role == "assistant" for e in found))  # fmt: skip
        answers = [e.text for e in found if e.role == "assistant"]
        assert answers == [ANSWER], (MESSAGE_DELAYS[n], [(e.role, e.text) for e in found])
        assert len([e for e in found if e.role == "visitor"]) == 1


def weekday_starts(count: int) -> list[str]:
    """`count` distinct 10:00 (Sydney) weekday starts a few days ahead, as ISO UTC."""
    zone = ZoneInfo("Australia/Sydney")
    day = datetime.now(zone).date() + timedelta(days=3)
    starts = []
    while len(starts) < count:
        if day.weekday() < 5:
            start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=zone)
            starts.append(start.astimezone(UTC).isoformat().replace("+00:00", "Z"))
        day += timedelta(days=1)
    return starts


def confirmed(frame: dict) -> bool:
    return (
        frame.get("role") == "assistant"
        and (frame.get("card") or {}).get("type") == "booking_confirmed"
    )


def test_confirms_acked_before_a_crash_book_once_and_the_visitor_sees_it(crashing):
    server = crashing
    count = len(CONFIRM_DELAYS)
    clients = [ChatClient(server.url, server.site.public_key) for _ in range(count)]
    welcomes = [client.hello() for client in clients]
    confirms = []
    for n, (client, start) in enumerate(zip(clients, weekday_starts(count), strict=True)):
        client.say(f"Book a consultation ada{n}@example.com {start}")
        card = client.expect("message", role="assistant", timeout=30)["card"]
        assert card["type"] == "booking_proposal", card
        confirms.append({"type": "action", "id": f"ok{n}", "name": "confirm",
                         "value": card["proposal"]})  # fmt: skip
    staggered(clients, confirms, CONFIRM_DELAYS)
    crash_and_restart(server, clients)
    for n, (welcome, confirm) in enumerate(zip(welcomes, confirms, strict=True)):
        with ChatClient(server.url, server.site.public_key) as visitor:
            again = visitor.hello(visitor=welcome["visitor"], conversation=welcome["conversation"])
            if n % 2:  # the widget re-sends the confirm: the same action id
                visitor.send(confirm)
                visitor.expect("ack", id=confirm["id"])
            if not any(confirmed(m) for m in again["messages"]):
                # The result may come before the re-sent confirm's ack (CI saw it).
                visitor.seen_or_wait(lambda f: f.get("type") == "message" and confirmed(f), 30)
    for n, welcome in enumerate(welcomes):
        found = settled(server, welcome["conversation"],
                        lambda found: any(confirmed(as_frame(e)) for e in found))  # fmt: skip
        assert len([e for e in found if confirmed(as_frame(e))]) == 1, CONFIRM_DELAYS[n]
        with server.db.session() as session:
            email = f"ada{n}@example.com"
            booked = session.scalars(select(Booking).where(Booking.email == email)).all()
        assert len(booked) == 1, CONFIRM_DELAYS[n]


def as_frame(entry: Message) -> dict:
    return {"role": entry.role, "card": entry.payload.get("card")}
