"""Three real `frontdesk serve` processes on one PostgreSQL and one Redis, as behind a balancer.

A visitor's two tabs on A and B and the staff dashboard on C see every frame, in order, once;
a process killed with kill -9 mid-reply loses nothing acknowledged and blocks nothing.
"""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import replace

import pytest
import websocket
from sqlalchemy import select

from frontdesk.db import Database
from frontdesk.db.models import Conversation, Message
from tests.support.chat_server_process import ChatServer, start_all
from tests.support.factories import make_site
from tests.support.fake_llm import FakeLLM
from tests.support.forms import csrf_from
from tests.support.staff_accounts import make_staff
from tests.support.staff_socket import StaffSocket, sign_in_over_http, staff_ws_url
from tests.support.ws_client import ChatClient

pytestmark = pytest.mark.slow


@pytest.fixture
def fake():
    with FakeLLM() as provider:
        yield provider


@pytest.fixture
def deployment(pg_url, tmp_path, redis_url, redis_prefix, fake):
    """Three processes sharing the database and Redis; yields (servers, site, database)."""
    database = Database(pg_url)
    site = make_site(database)
    make_staff(database, site.id)
    env = {
        "FRONTDESK_REDIS_URL": redis_url, "FRONTDESK_REDIS_PREFIX": redis_prefix,
        "FRONTDESK_ENGINE": "llm", "OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test",
        "FRONTDESK_TURN_LEASE_SECONDS": "2", "FRONTDESK_FRAMES_PER_MINUTE_PER_IP": "1000",
    }  # fmt: skip
    servers = []
    try:
        servers = start_all(*(ChatServer(pg_url, tmp_path / name, env) for name in "abc"))
        yield servers, site, database
    finally:
        for server in servers:
            server.kill()
        database.dispose()


def messages(client: ChatClient) -> list[dict]:
    return [f for f in client.received if f.get("type") == "message"]


def settle(*clients: ChatClient, seconds: float = 1.0) -> None:
    """Keep reading for a while so that late duplicates, if any, would arrive."""
    for client in clients:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                client.recv(max(0.05, deadline - time.monotonic()))
            except (TimeoutError, websocket.WebSocketTimeoutException):
                break


def test_tabs_and_staff_on_three_processes_see_every_frame_in_order_once(deployment, fake):
    (a, b, c), site, _db = deployment
    fake.script(fake.text("Happy to help.", chunks=4))
    tab_a = ChatClient(a.url, site.public_key)
    welcome = tab_a.hello()
    tab_b = ChatClient(b.url, site.public_key)
    tab_b.hello(visitor=welcome["visitor"], conversation=welcome["conversation"])
    cookie = sign_in_over_http(c.url, "ana@studio.test")
    staff = StaffSocket(staff_ws_url(c.url, site.public_key, welcome["conversation"]), cookie,
                        c.url)  # fmt: skip
    staff.expect(lambda f: f["type"] == "ready")

    tab_a.say("Do you build websites?")
    for tab in (tab_a, tab_b):
        tab.wait_for(lambda f: f.get("type") == "message" and f.get("role") == "assistant")
    staff_seen = [staff.expect(lambda f: f["type"] == "conversation"
                               and f["frame"]["type"] == "message")["frame"] for _ in range(2)]  # fmt: skip

    # Staff take over on C: the visitor's tab on A gets the status and the reply.
    reply_id = uuid.uuid4().hex
    staff.send({"type": "reply", "id": reply_id, "conversation": welcome["conversation"],
                "text": "Mia here, I can help."})  # fmt: skip
    staff.expect(lambda f: f["type"] == "ack" and f["id"] == reply_id)
    for tab in (tab_a, tab_b):
        tab.expect("status", status="staff")
        assert tab.expect("message", role="staff")["text"] == "Mia here, I can help."

    # Hand back on C (the dashboard's form): both tabs see the assistant is back.
    page = urllib.request.Request(f"{c.url}/staff/{site.public_key}/conversations/{welcome['conversation']}",
                                  headers={"Cookie": cookie})  # fmt: skip
    token = csrf_from(urllib.request.urlopen(page, timeout=10).read().decode())
    form = urllib.parse.urlencode({"csrf_token": token}).encode()
    handback = urllib.request.Request(
        f"{c.url}/staff/{site.public_key}/conversations/{welcome['conversation']}/handback", data=form,
        headers={"Cookie": cookie, "Origin": c.url},
    )  # fmt: skip
    urllib.request.urlopen(handback, timeout=10).read()
    for tab in (tab_a, tab_b):
        tab.expect("status", status="bot")
    settle(tab_a, tab_b)

    seqs_a = [f["seq"] for f in messages(tab_a)]
    seqs_b = [f["seq"] for f in messages(tab_b)]
    assert seqs_b == sorted(set(seqs_b))  # in order, once each
    # Tab A has all of them but its own message, whose ack stood for it.
    assert seqs_a == [seq for seq in seqs_b if seq != messages(tab_b)[0]["seq"]]
    roles = [f["role"] for f in messages(tab_b)]
    assert roles[:2] == ["visitor", "assistant"] and "staff" in roles
    assert [f["seq"] for f in staff_seen] == seqs_b[:2]
    for client in (tab_a, tab_b):
        client.close()
    staff.close()


def test_kill_9_mid_reply_the_visitor_resumes_on_another_process(deployment, fake):
    (a, b, _c), site, database = deployment
    # The reply starts streaming, then stalls: A is killed while it streams.
    fake.script(replace(fake.text("This answer will never finish", chunks=6), stall_after=2,
                        delay=30))  # fmt: skip
    tab = ChatClient(a.url, site.public_key)
    welcome = tab.hello()
    last_seq = tab.say("Tell me everything")["seq"]
    tab.expect("delta")
    a.kill()
    tab.close()

    # The widget reconnects through the balancer, now to B, and asks what it missed. B resumes
    # the acked message once A's turn lease lapses (2 s here), then answers the next one.
    fake.script(fake.text("Resumed answer."), fake.text("Answered by B."))
    again = ChatClient(b.url, site.public_key)
    again.hello(visitor=welcome["visitor"], conversation=welcome["conversation"], after=last_seq)
    ack = again.say("Are you still there?")
    answers = [
        again.wait_for(lambda f: f.get("type") == "message" and f.get("role") == "assistant",
                       timeout=30)["text"]
        for _ in range(2)
    ]  # fmt: skip
    assert "Resumed answer." in answers[0] and "Answered by B." in answers[1]
    assert ack["seq"] > last_seq
    settle(again)
    seen = [f["seq"] for f in messages(again)]
    assert seen == sorted(set(seen))
    with database.session() as session:
        conversation = session.scalars(
            select(Conversation).where(Conversation.public_id == welcome["conversation"])
        ).one()
        stored = list(session.scalars(
            select(Message.seq).where(Message.conversation_id == conversation.id)
        ))  # fmt: skip
    assert len(stored) == len(set(stored))  # nothing stored twice
    again.close()


def test_frame_rate_and_socket_limits_count_once_across_processes(
    pg_url, tmp_path, redis_url, redis_prefix
):
    database = Database(pg_url)
    site = make_site(database)
    env = {"FRONTDESK_REDIS_URL": redis_url, "FRONTDESK_REDIS_PREFIX": redis_prefix,
           "FRONTDESK_FRAMES_PER_MINUTE_PER_IP": "10", "FRONTDESK_CONNECTIONS_PER_IP": "3"}  # fmt: skip
    a, b = start_all(
        ChatServer(pg_url, tmp_path / "a", env), ChatServer(pg_url, tmp_path / "b", env)
    )
    try:
        on_a, on_b = ChatClient(a.url, site.public_key), ChatClient(b.url, site.public_key)
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            ChatClient(a.url, site.public_key), ChatClient(b.url, site.public_key)
        assert refused.value.status_code == 429  # the 4th socket from one IP, on either process
        pongs, refused = 0, set()
        for _round in range(8):  # up to 16 frames from one IP, alternating processes
            for name, client in (("a", on_a), ("b", on_b)):
                if name in refused:
                    continue  # a refused socket stays quiet about later refusals
                client.send({"type": "ping"})
                frame = client.wait_for(lambda f: f.get("type") in ("pong", "error"))
                if frame["type"] == "pong":
                    pongs += 1
                elif frame.get("code") == "rate_limited":
                    refused.add(name)
        assert pongs == 10  # the IP's 10 a minute, counted once for both processes
        assert refused == {"a", "b"}
        for client in (on_a, on_b):
            client.close()
    finally:
        a.kill()
        b.kill()
        database.dispose()


def test_a_process_restarted_after_kill_9_answers_the_acked_turn_exactly_once(deployment, fake):
    (a, b, _c), site, database = deployment
    fake.script(replace(fake.text("This answer will never finish", chunks=6), stall_after=2,
                        delay=30))  # fmt: skip
    tab = ChatClient(a.url, site.public_key)
    welcome = tab.hello()
    tab.say("Can you call me back?")
    tab.expect("delta")
    a.kill()
    tab.close()

    # Nobody reconnects to this conversation: the restarted process's start-up recovery
    # resumes the acked message once the dead turn's lease lapses. A visitor's tab opening on B
    # at the same time resumes it too: the two race, and it is answered once.
    fake.script(fake.text("Recovered answer."), fake.text("Answered twice!"))
    a.start()
    again = ChatClient(b.url, site.public_key)
    again.hello(visitor=welcome["visitor"], conversation=welcome["conversation"])
    again.wait_for(lambda f: f.get("type") == "message" and f.get("role") == "assistant",
                   timeout=30)  # fmt: skip
    time.sleep(3)  # past the lease (2 s): a second run, if any, would have stored by now
    with database.session() as session:
        conversation = session.scalars(
            select(Conversation).where(Conversation.public_id == welcome["conversation"])
        ).one()
        rows = session.execute(
            select(Message.role, Message.text, Message.work_pending)
            .where(Message.conversation_id == conversation.id).order_by(Message.seq)
        ).all()  # fmt: skip
    answers = [text for role, text, _ in rows if role == "assistant"]
    assert len(answers) == 1 and "Recovered answer." in answers[0]
    assert not any(pending for *_, pending in rows)
    assert fake.pending == 1  # the second script was never asked for
    again.close()


def test_start_up_recovery_alone_answers_work_a_killed_process_left(deployment, fake):
    (a, _b, _c), site, database = deployment
    fake.script(replace(fake.text("Never finished", chunks=6), stall_after=2, delay=30))
    tab = ChatClient(a.url, site.public_key)
    welcome = tab.hello()
    tab.say("Do you work weekends?")
    tab.expect("delta")
    a.kill()
    tab.close()
    fake.script(fake.text("Yes, on Saturdays."))
    a.start()  # no socket comes back: only the start-up pass can answer it

    def answered() -> list[str]:
        with database.session() as session:
            conversation = session.scalars(
                select(Conversation).where(Conversation.public_id == welcome["conversation"])
            ).one()
            return list(session.scalars(
                select(Message.text).where(Message.conversation_id == conversation.id,
                                           Message.role == "assistant")
            ))  # fmt: skip

    deadline = time.monotonic() + 30
    while not answered() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2.5)  # a second run, if any, would store within the lease time
    assert len(answered()) == 1 and "Saturdays" in answered()[0]
