"""Frame validation: bad frames get an error and the socket stays usable; limits are enforced."""

from __future__ import annotations

import json

import pytest
import websocket

from frontdesk.chat.visitors import read_token
from tests.support.apps import TEST_SECRET


def test_hello_gets_welcome(chat):
    with chat.client() as client:
        welcome = client.hello(tz="Europe/Paris", page={"url": "http://127.0.0.1/p", "title": "P"})
    assert welcome["conversation"].startswith("c_")
    assert read_token(TEST_SECRET, welcome["visitor"]).startswith("v_")
    assert welcome["messages"] == []
    assert welcome["greeting"] == "Hi! How can we help?"
    assert welcome["site"] == {"name": "Test Studio"}
    assert welcome["status"] == "bot"
    assert isinstance(welcome["open"], bool)
    stored = chat.conversation(welcome["conversation"])
    assert (stored.visitor_tz, stored.page_url, stored.page_title) == (
        "Europe/Paris", "http://127.0.0.1/p", "P",
    )  # fmt: skip


def test_welcome_says_closed_when_the_site_has_no_opening_hours(start_chat):
    chat = start_chat(site={"weekdays": ()})
    with chat.client() as client:
        assert client.hello()["open"] is False
        client.send({"type": "action", "id": "h", "name": "human", "value": ""})
        notice = client.expect("message", role="system")
    assert "closed right now" in notice["text"]


def test_the_notice_of_a_person_asked_for_is_in_the_visitors_language(start_chat):
    chat = start_chat(site={"weekdays": ()})
    with chat.client() as client:
        client.hello(lang="de-AT")
        client.send({"type": "action", "id": "h", "name": "human", "value": ""})
        notice = client.expect("message", role="system")
    assert notice["text"] == (
        "Wir haben das Team gebeten, dazuzukommen. Jemand antwortet hier, sobald es geht. "
        "Wir haben gerade geschlossen, es kann also bis zur Öffnung dauern."
    )


def test_unknown_time_zone_falls_back_to_utc(chat):
    with chat.client() as client:
        welcome = client.hello(tz="Mars/Olympus_Mons")
    assert chat.conversation(welcome["conversation"]).visitor_tz == "UTC"


def test_message_before_hello_is_refused(chat):
    with chat.client() as client:
        client.send({"type": "message", "id": "m1", "text": "hi"})
        error = client.expect("error")
        assert (error["code"], error["id"]) == ("bad_frame", "m1")
        assert client.hello()["type"] == "welcome"


MALFORMED = [
    "not json",
    "[1, 2]",
    json.dumps({"no": "type"}),
    json.dumps({"type": "launch_missiles"}),
    json.dumps({"type": "message", "id": 5, "text": "x"}),
    json.dumps({"type": "message", "id": "m", "text": ["x"]}),
    json.dumps({"type": "message", "id": "m", "text": "   "}),
    json.dumps({"type": "message", "id": "x" * 65, "text": "hi"}),
    json.dumps({"type": "action", "id": "a", "name": "self_destruct", "value": ""}),
    json.dumps({"type": "action", "id": "a", "name": "confirm", "value": 7}),
    json.dumps({"type": "hello", "after": -1}),
    json.dumps({"type": "hello"}),  # a second hello on the same socket
]


def test_malformed_frames_get_bad_frame_and_socket_stays_usable(start_chat):
    chat = start_chat(FRAMES_PER_MINUTE=100)
    with chat.client() as client:
        welcome = client.hello()
        chat.set_status(welcome["conversation"], "staff")  # bot silent: only our frames come
        for raw in MALFORMED:
            client.send(raw)
            assert client.expect("error")["code"] == "bad_frame", raw
        ack = client.say("still works", "m-ok")
        assert ack["seq"] == 1
    assert [e.text for e in chat.entries(welcome["conversation"])] == ["still works"]


def test_too_long_message_is_refused_and_not_stored(start_chat):
    chat = start_chat(MAX_MESSAGE_CHARS=50)
    with chat.client() as client:
        welcome = client.hello()
        client.send({"type": "message", "id": "long", "text": "x" * 51})
        error = client.expect("error")
        assert (error["code"], error["id"]) == ("too_long", "long")
        chat.set_status(welcome["conversation"], "staff")
        assert client.say("x" * 50)["seq"] == 1
    assert len(chat.entries(welcome["conversation"])) == 1


def test_oversized_frames(start_chat):
    chat = start_chat(MAX_FRAME_BYTES=1000, MAX_MESSAGE_CHARS=5000)
    with chat.client() as client:
        client.hello()
        client.send({"type": "message", "id": "big", "text": "x" * 1500})
        assert client.expect("error")["code"] == "bad_frame"
        client.send({"type": "ping"})
        assert client.expect("pong")["type"] == "pong"
        # Far beyond the limit the transport closes the socket without reading it all.
        client.send({"type": "message", "id": "huge", "text": "x" * 10000})
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            for _ in range(5):
                client.recv(timeout=5)


def test_ping_pong(chat):
    with chat.client() as client:
        client.send({"type": "ping"})
        assert client.expect("pong") == {"type": "pong"}


def test_server_pings_a_quiet_socket(start_chat):
    chat = start_chat(PING_INTERVAL=0.2)
    with chat.client() as client:
        client.hello()
        client.conn.settimeout(5)
        assert json.loads(client.conn.recv()) == {"type": "ping"}
        client.send({"type": "pong"})
        client.send({"type": "ping"})
        assert client.expect("pong")["type"] == "pong"


def test_flood_is_rate_limited_then_closed(start_chat):
    chat = start_chat(FRAMES_PER_MINUTE=5)
    with chat.client() as client:
        for _ in range(5):
            client.send({"type": "ping"})
            client.expect("pong")
        client.send({"type": "ping"})
        assert client.expect("error")["code"] == "rate_limited"
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            for _ in range(20):
                client.send({"type": "ping"})
            for _ in range(20):
                client.recv(timeout=5)


def test_frames_per_ip_are_limited_across_sockets(start_chat):
    chat = start_chat(FRAMES_PER_MINUTE=100, FRAMES_PER_MINUTE_PER_IP=4)
    with chat.client() as first, chat.client() as second:
        for client in (first, second, first, second):
            client.send({"type": "ping"})
            client.expect("pong")
        second.send({"type": "ping"})
        assert second.expect("error")["code"] == "rate_limited"


def test_welcome_speaks_the_visitors_language_by_its_base_then_english(chat):
    with chat.client() as client:
        welcome = client.hello(lang="fr-CA")
    assert welcome["lang"] == "fr"
    assert [c["label"] for c in welcome["choices"]] == [
        "Réserver une consultation",
        "Parler à une personne",
    ]
    with chat.client() as client:
        welcome = client.hello(lang="zh-TW")
    assert welcome["lang"] == "en"
    assert [c["label"] for c in welcome["choices"]] == ["Book a consultation", "Talk to a person"]
