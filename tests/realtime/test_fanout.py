"""Frames cross processes through Redis in seq order, and gaps are filled from the database.

Each app here is built as one process of a deployment builds it: its own hub, bus and Redis
connections, on one shared PostgreSQL database and one Redis.
"""

from __future__ import annotations

import time

import pytest
import redis

from frontdesk.chat import conversation_store, transcript
from frontdesk.chat.hub import hub_for
from frontdesk.chat.protocol import message_frame
from frontdesk.realtime.shared import shared_for
from tests.support.conversations import HELLO
from tests.support.factories import make_site


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.02)


def wait_listening(*apps) -> None:
    wait_until(lambda: all(shared_for(app).bus.connected for app in apps))


def append_and_publish(app, conversation_id: int, text: str) -> dict:
    """What the chat does for a visitor message: store it, then publish it after commit."""
    db = app.extensions["frontdesk.db"]
    entry, _ = transcript.append(db, conversation_id, "visitor", text, html=f"<p>{text}</p>")
    frame = message_frame(entry)
    hub_for(app).publish(conversation_id, frame)
    return frame


@pytest.fixture
def conversation(make_process_app, redis_url):
    app = make_process_app(redis_url)
    db = app.extensions["frontdesk.db"]
    site = make_site(db)
    return conversation_store.open_conversation(db, site.id, "v_fanout", None, HELLO).id


def seqs(frames) -> list[int]:
    return [f["seq"] for f in frames if f.get("type") == "message"]


def test_a_frame_published_on_one_process_reaches_subscribers_of_another(
    make_process_app, redis_url, conversation
):
    a, b = make_process_app(redis_url), make_process_app(redis_url)
    wait_listening(a, b)
    on_b: list[dict] = []
    hub_for(b).subscribe(conversation, on_b.append)
    site_events: list[dict] = []
    hub_for(b).subscribe_site(1, site_events.append)
    sent = append_and_publish(a, conversation, "hello from A")
    hub_for(a).publish(conversation, {"type": "delta", "reply": "r1", "text": "Hi"})
    hub_for(a).publish_site(1, {"type": "activity", "conversation": "c_x", "seq": 1})
    wait_until(lambda: len(on_b) == 2 and site_events)
    assert on_b[0] == sent
    assert on_b[1] == {"type": "delta", "reply": "r1", "text": "Hi"}
    assert site_events == [{"type": "activity", "conversation": "c_x", "seq": 1}]


def test_interleaved_writers_are_delivered_in_seq_order_exactly_once(
    make_process_app, redis_url, conversation
):
    a, b, c = (make_process_app(redis_url) for _ in range(3))
    wait_listening(a, b, c)
    seen = {name: [] for name in "abc"}
    for name, app in zip("abc", (a, b, c), strict=True):
        hub_for(app).subscribe(conversation, seen[name].append)
    for index in range(30):
        append_and_publish((a, b)[index % 2], conversation, f"message {index}")
    expected = list(range(1, 31))
    wait_until(lambda: all(seqs(frames) == expected for frames in seen.values()))
    time.sleep(0.3)  # late duplicates would arrive now
    for frames in seen.values():
        assert seqs(frames) == expected


def test_a_lost_envelope_costs_a_query_not_a_frame(make_process_app, redis_url, conversation):
    a, b = make_process_app(redis_url), make_process_app(redis_url)
    wait_listening(a, b)
    on_b: list[dict] = []
    hub_for(b).subscribe(conversation, on_b.append)
    db = a.extensions["frontdesk.db"]
    # Stored but never published (as if its envelope were lost on the way).
    transcript.append(db, conversation, "visitor", "lost", html="<p>lost</p>")
    append_and_publish(a, conversation, "after the loss")
    wait_until(lambda: seqs(on_b) == [1, 2])
    assert on_b[0]["text"] == "lost"


def test_redis_stopped_and_restarted_loses_no_frame_for_a_connected_subscriber(
    make_process_app, private_redis, conversation
):
    a, b = make_process_app(private_redis.url), make_process_app(private_redis.url)
    wait_listening(a, b)
    on_b: list[dict] = []
    hub_for(b).subscribe(conversation, on_b.append)
    append_and_publish(a, conversation, "before")
    wait_until(lambda: seqs(on_b) == [1])
    private_redis.stop()
    wait_until(lambda: not shared_for(b).bus.connected)
    for text in ("during 1", "during 2"):  # published while Redis is down: only A's own go out
        append_and_publish(a, conversation, text)
    assert hub_for(a).deliver_local(conversation, {"type": "typing"}) == 0
    private_redis.start()
    wait_until(lambda: seqs(on_b) == [1, 2, 3], timeout=20)
    append_and_publish(a, conversation, "after")
    wait_until(lambda: seqs(on_b) == [1, 2, 3, 4])
    assert [f["text"] for f in on_b if f.get("type") == "message"] == [
        "before", "during 1", "during 2", "after"
    ]  # fmt: skip


def test_health_reports_redis(make_process_app, private_redis):
    app = make_process_app(private_redis.url)
    wait_listening(app)
    client = app.test_client()
    assert client.get("/healthz").get_json() == {
        "status": "ok", "database": "ok", "redis": "ok"
    }  # fmt: skip
    private_redis.stop()
    response = client.get("/healthz")
    assert response.status_code == 200  # the process still serves its own sockets
    assert response.get_json()["redis"] == "unreachable"
    assert response.get_json()["status"] == "degraded"


def test_sqlite_with_redis_is_refused_at_start(tmp_path, sqlite_url, redis_url):
    from frontdesk import create_app
    from tests.support.apps import app_config

    with pytest.raises(RuntimeError, match="SQLite"):
        create_app(app_config(sqlite_url, tmp_path, REDIS_URL=redis_url))


def test_publishing_while_redis_is_down_still_serves_local_subscribers(
    make_process_app, private_redis, conversation
):
    app = make_process_app(private_redis.url)
    wait_listening(app)
    local: list[dict] = []
    hub_for(app).subscribe(conversation, local.append)
    private_redis.stop()
    with pytest.raises(redis.RedisError):
        shared_for(app).client.ping()
    for index in range(3):
        append_and_publish(app, conversation, f"local {index}")
    assert seqs(local) == [1, 2, 3]
    wait_until(lambda: shared_for(app).bus.dropped >= 1)


def test_a_staff_members_account_event_reaches_their_sockets_on_other_processes(
    make_process_app, redis_url
):
    # Revoking a session on one process closes that person's dashboard sockets everywhere.
    a, b = make_process_app(redis_url), make_process_app(redis_url)
    wait_listening(a, b)
    on_b: list[dict] = []
    hub_for(b).subscribe_staff(7, on_b.append)
    hub_for(a).publish_staff(7, {"type": "sessions_revoked"})
    wait_until(lambda: on_b == [{"type": "sessions_revoked"}])


def test_token_shares_are_counted_once_for_the_deployment(make_process_app, redis_url):
    from frontdesk.chat.budgets import ledger

    a, b = make_process_app(redis_url), make_process_app(redis_url)
    ledger(a).add(1, "visitor-1", "203.0.113.5", 300)
    ledger(b).add(1, "visitor-1", "203.0.113.5", 200)
    # Adds are written without waiting for Redis's reply: read them once Redis has run them.
    wait_until(lambda: ledger(a).spent(1, "visitor", "visitor-1") == 500)
    assert ledger(b).spent(1, "ip", "203.0.113.5") == 500


def test_a_process_hears_only_the_channels_its_sockets_listen_to(
    make_process_app, redis_url, conversation
):
    # Each conversation and site has a bus channel, subscribed by a process only while one of
    # its sockets listens there: envelopes reach only the processes that deliver them.
    a, b = make_process_app(redis_url), make_process_app(redis_url)
    wait_listening(a, b)
    bus = shared_for(a).bus
    client = shared_for(a).client
    frames, site = bus.channel_of("c", conversation), bus.channel_of("s", 1)

    def listeners(channel: str) -> int:
        return dict(client.pubsub_numsub(channel))[channel.encode()]

    assert listeners(frames) == 0
    on_b: list[dict] = []
    first, second = (hub_for(b).subscribe(conversation, on_b.append) for _ in range(2))
    staff = hub_for(a).subscribe_site(1, lambda event: None)
    assert listeners(frames) == 1 and listeners(site) == 1  # one per process, not per socket
    append_and_publish(a, conversation, "to B")
    wait_until(lambda: seqs(on_b) == [1, 1])  # both of B's subscribers
    first.close()
    assert listeners(frames) == 1  # B still has a socket there
    second.close()
    staff.close()
    wait_until(lambda: listeners(frames) == 0 and listeners(site) == 0)
    with hub_for(b).subscribe(conversation, on_b.append):  # and back: confirmed on return
        assert listeners(frames) == 1
        append_and_publish(a, conversation, "again")
        wait_until(lambda: seqs(on_b)[-1:] == [2])
