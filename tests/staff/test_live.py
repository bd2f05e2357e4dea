"""/ws/staff over a real server: handshake checks, the live queue, and live takeover."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
import uuid

import pytest
import websocket
from sqlalchemy import select

from frontdesk.chat import conversation_store, transcript
from frontdesk.db.models import SiteMembership, StaffUser
from tests.support.factories import make_site
from tests.support.forms import csrf_from
from tests.support.staff_accounts import PASSWORD, make_staff
from tests.support.staff_socket import StaffSocket, sign_in_over_http, staff_ws_url
from tests.support.ws_client import ChatClient


def handshake_status(url: str, *, cookie: str | None, origin: str) -> int:
    """HTTP status of the upgrade attempt (101 when accepted)."""
    options = {"timeout": 10, "origin": origin}
    if cookie:
        options["cookie"] = cookie
    try:
        websocket.create_connection(url, **options).close()
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code
    return 101


@pytest.fixture
def cookie(app, site, live_server):
    make_staff(app.extensions["frontdesk.db"], site.id)
    return sign_in_over_http(live_server.url, "ana@studio.test")


def test_anonymous_and_foreign_origin_are_refused_before_the_upgrade(site, live_server, cookie):
    url = staff_ws_url(live_server.url, site.public_key)
    assert handshake_status(url, cookie=None, origin=live_server.url) == 403
    assert handshake_status(url, cookie="session=forged", origin=live_server.url) == 403
    assert handshake_status(url, cookie=cookie, origin="http://evil.test") == 403
    assert handshake_status(url, cookie=cookie, origin=live_server.url) == 101


def test_other_sites_and_their_conversations_are_refused(app, site, live_server, cookie):
    db = app.extensions["frontdesk.db"]
    other = make_site(db, name="Other")
    hello = {"page": {"url": "", "title": ""}, "tz": "UTC", "lang": "en"}
    foreign = conversation_store.open_conversation(db, other.id, "v1", None, hello)
    own_url = staff_ws_url(live_server.url, other.public_key)
    assert handshake_status(own_url, cookie=cookie, origin=live_server.url) == 404
    watch_foreign = staff_ws_url(live_server.url, site.public_key, foreign.public_id)
    assert handshake_status(watch_foreign, cookie=cookie, origin=live_server.url) == 404


def test_queue_event_when_a_visitor_asks_for_a_human(site, live_server, cookie):
    staff = StaffSocket(staff_ws_url(live_server.url, site.public_key), cookie, live_server.url)
    ready = staff.expect(lambda f: f["type"] == "ready")
    assert ready["queue"] == []
    with ChatClient(live_server.url, site.public_key) as visitor:
        conversation = visitor.hello()["conversation"]
        visitor.send({"type": "action", "id": "h1", "name": "human", "value": ""})
        visitor.expect("ack", id="h1")
        # The status event's frame; the visitor's presence frame may come after the change
        # (summaries are read when the frame is sent) and show needs_human too.
        event = staff.expect(
            lambda f: (
                f["type"] == "queue"
                and (f["event"] or {}).get("type") == "status"
                and f["event"].get("status") == "needs_human"
            )
        )
    assert event["item"]["id"] == conversation
    assert event["item"]["status"] == "needs_human"
    assert event["event"] == {
        "type": "status", "conversation": conversation, "status": "needs_human"
    }  # fmt: skip
    staff.close()


def test_staff_see_visitor_messages_live_and_reply_over_the_socket(app, site, live_server, cookie):
    db = app.extensions["frontdesk.db"]
    with ChatClient(live_server.url, site.public_key) as visitor:
        conversation = visitor.hello()["conversation"]
        url = staff_ws_url(live_server.url, site.public_key, conversation)
        staff = StaffSocket(url, cookie, live_server.url)
        staff.expect(lambda f: f["type"] == "ready")
        visitor.say("Is anyone there?")
        seen = staff.expect(
            lambda f: f["type"] == "conversation" and f["frame"].get("role") == "visitor"
        )
        assert seen["frame"]["text"] == "Is anyone there?"
        reply_id = uuid.uuid4().hex
        staff.send({"type": "reply", "id": reply_id, "conversation": conversation,
                    "text": "Yes, Ana here."})  # fmt: skip
        staff.expect(lambda f: f["type"] == "ack" and f["id"] == reply_id)
        visitor.expect("status", status="staff")
        shown = visitor.expect("message", role="staff")
        assert shown["text"] == "Yes, Ana here."
        staff.send({"type": "reply", "id": "empty", "conversation": conversation, "text": " "})
        error = staff.expect(lambda f: f["type"] == "error")
        assert error["id"] == "empty" and error["code"] == "bad_frame"
        staff.close()
    stored = conversation_store.find_conversation(db, conversation)
    assert stored.status == "staff"
    roles = [entry.role for entry in transcript.visible_since(db, stored.id, 0)]
    assert roles.count("staff") == 1


def test_reply_to_another_sites_conversation_is_refused(app, site, live_server, cookie):
    db = app.extensions["frontdesk.db"]
    other = make_site(db, name="Other")
    hello = {"page": {"url": "", "title": ""}, "tz": "UTC", "lang": "en"}
    foreign = conversation_store.open_conversation(db, other.id, "v1", None, hello)
    staff = StaffSocket(staff_ws_url(live_server.url, site.public_key), cookie, live_server.url)
    staff.expect(lambda f: f["type"] == "ready")
    staff.send({"type": "reply", "id": "x", "conversation": foreign.public_id, "text": "hi"})
    assert staff.expect(lambda f: f["type"] == "error")["code"] == "not_found"
    staff.send({"type": "nonsense"})
    assert staff.expect(lambda f: f["type"] == "error")["code"] == "bad_frame"
    staff.close()
    assert transcript.visible_since(db, foreign.id, 0) == []


def test_a_password_change_ends_an_open_socket_before_it_can_reply(app, site, live_server, cookie):
    from frontdesk.db.models import StaffUser
    from tests.support.staff_accounts import TEST_HASHER

    db = app.extensions["frontdesk.db"]
    with ChatClient(live_server.url, site.public_key) as visitor:
        conversation = visitor.hello()["conversation"]
    staff = StaffSocket(staff_ws_url(live_server.url, site.public_key), cookie, live_server.url)
    staff.expect(lambda f: f["type"] == "ready")
    with db.transaction() as session:
        user = session.scalars(select(StaffUser)).one()
        user.password_hash = TEST_HASHER.hash("a brand new passphrase")
    staff.send({"type": "reply", "id": "r1", "conversation": conversation, "text": "hello"})
    assert staff.expect(lambda f: f["type"] == "error")["code"] == "forbidden"
    with pytest.raises((ConnectionError, websocket.WebSocketConnectionClosedException)):
        staff.expect(lambda f: False, timeout=10)
    stored = conversation_store.find_conversation(db, conversation)
    assert [e.role for e in transcript.visible_since(db, stored.id, 0)] == []
    assert stored.status == "bot"


def test_ready_brings_what_a_reconnecting_page_missed(app, site, live_server, cookie):
    db = app.extensions["frontdesk.db"]
    hello = {"page": {"url": "", "title": ""}, "tz": "UTC", "lang": "en"}
    conversation = conversation_store.open_conversation(db, site.id, "v1", None, hello)
    for text in ("first", "second", "third"):
        transcript.append(db, conversation.id, "visitor", text)
    transcript.append(db, conversation.id, "tool_call", "search_knowledge", payload={"name": "x"})
    url = staff_ws_url(live_server.url, site.public_key, conversation.public_id) + "&after=1"
    staff = StaffSocket(url, cookie, live_server.url)
    ready = staff.expect(lambda f: f["type"] == "ready")
    staff.close()
    assert [(m["seq"], m["text"]) for m in ready["messages"]] == [(2, "second"), (3, "third")]


def change_password_over_http(server_url: str, cookie: str, new: str) -> None:
    """The dashboard's password form, posted from another browser of the same person."""
    headers = {"Cookie": cookie}
    page = urllib.request.urlopen(
        urllib.request.Request(f"{server_url}/staff/password", headers=headers), timeout=10
    ).read()
    form = {"current": PASSWORD, "new": new, "confirm": new, "csrf_token": csrf_from(page.decode())}
    request = urllib.request.Request(
        f"{server_url}/staff/password", data=urllib.parse.urlencode(form).encode(), headers=headers
    )
    urllib.request.urlopen(request, timeout=10).read()


def test_an_open_socket_closes_at_once_when_its_sessions_are_ended(app, site, live_server, cookie):
    staff = StaffSocket(staff_ws_url(live_server.url, site.public_key), cookie, live_server.url)
    staff.expect(lambda f: f["type"] == "ready")
    other_browser = sign_in_over_http(live_server.url, "ana@studio.test")
    change_password_over_http(live_server.url, other_browser, "a brand new passphrase")
    started = time.monotonic()
    with pytest.raises((ConnectionError, websocket.WebSocketConnectionClosedException)):
        staff.expect(lambda f: True, timeout=10)  # a close frame, no event before it
    assert time.monotonic() - started < 5  # at once: not at the next ping or reply
    assert handshake_status(
        staff_ws_url(live_server.url, site.public_key), cookie=cookie, origin=live_server.url
    ) == 403  # fmt: skip


def test_a_socket_of_an_ended_session_gets_no_more_visitor_messages(app, site, live_server, cookie):
    staff = StaffSocket(staff_ws_url(live_server.url, site.public_key), cookie, live_server.url)
    staff.expect(lambda f: f["type"] == "ready")
    page = urllib.request.urlopen(
        urllib.request.Request(f"{live_server.url}/staff/password", headers={"Cookie": cookie}),
        timeout=10,
    ).read()
    end_all = urllib.request.Request(
        f"{live_server.url}/staff/sessions/end-all", headers={"Cookie": cookie},
        data=urllib.parse.urlencode({"csrf_token": csrf_from(page.decode())}).encode(),
    )  # fmt: skip
    urllib.request.urlopen(end_all, timeout=10).read()
    with ChatClient(live_server.url, site.public_key) as visitor:
        visitor.hello()
        visitor.send({"type": "action", "id": "h1", "name": "human", "value": ""})
        visitor.expect("ack", id="h1")
        visitor.say("my secret phone number is 0400 000 000")
    received = []
    with pytest.raises((ConnectionError, websocket.WebSocketConnectionClosedException)):
        staff.expect(lambda f: received.append(f) and False, timeout=10)
    assert received == []


def test_removing_an_account_closes_its_open_socket_at_once(app, site, live_server, cookie):
    db = app.extensions["frontdesk.db"]
    make_staff(db, site.id, "member@studio.test")  # ana, from `cookie`, is the owner
    member_cookie = sign_in_over_http(live_server.url, "member@studio.test")
    url = staff_ws_url(live_server.url, site.public_key)
    staff = StaffSocket(url, member_cookie, live_server.url)
    staff.expect(lambda f: f["type"] == "ready")
    access = f"{live_server.url}/staff/{site.public_key}/access/"
    page = (
        urllib.request.urlopen(
            urllib.request.Request(access, headers={"Cookie": cookie}), timeout=10
        )
        .read()
        .decode()
    )
    with db.session() as session:
        membership = session.scalar(
            select(SiteMembership.id).join(SiteMembership.staff)
            .where(StaffUser.email == "member@studio.test")
        )  # fmt: skip
    remove = urllib.request.Request(
        f"{access}{membership}/remove", headers={"Cookie": cookie},
        data=urllib.parse.urlencode({"csrf_token": csrf_from(page)}).encode(),
    )  # fmt: skip
    urllib.request.urlopen(remove, timeout=10).read()
    started = time.monotonic()
    with pytest.raises((ConnectionError, websocket.WebSocketConnectionClosedException)):
        staff.expect(lambda f: True, timeout=10)
    assert time.monotonic() - started < 5
    assert handshake_status(url, cookie=member_cookie, origin=live_server.url) == 403
