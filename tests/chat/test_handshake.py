"""The upgrade is refused with plain HTTP before any websocket exists."""

from __future__ import annotations

import time

from sqlalchemy import update

from frontdesk.db.models import Service
from tests.support.ws_client import ChatClient, handshake_status


def test_allowed_origin_is_upgraded(chat):
    assert handshake_status(chat.server.url, chat.site.public_key) == 101
    assert handshake_status(chat.server.url, chat.site.public_key, origin="http://localhost") == 101


def test_foreign_origin_is_refused(chat):
    url, key = chat.server.url, chat.site.public_key
    assert handshake_status(url, key, origin="https://evil.example") == 403
    assert handshake_status(url, key, origin="http://127.0.0.1:9999") == 403  # port matters
    assert handshake_status(url, key, origin="https://127.0.0.1") == 403  # scheme matters
    assert handshake_status(url, key, origin="null") == 403


def test_missing_origin_is_refused(chat):
    assert handshake_status(chat.server.url, chat.site.public_key, origin=None) == 403


def test_unknown_site_is_refused(chat):
    assert handshake_status(chat.server.url, "pk_does_not_exist") == 403
    assert handshake_status(chat.server.url, "") == 403


def test_connections_per_ip_are_limited(start_chat):
    chat = start_chat(CONNECTIONS_PER_IP=2)
    first, second = chat.client(), chat.client()
    assert handshake_status(chat.server.url, chat.site.public_key) == 429
    # A forged X-Forwarded-For changes nothing without TRUST_PROXY.
    spoofed = handshake_status(
        chat.server.url, chat.site.public_key, headers=["X-Forwarded-For: 10.9.8.7"]
    )
    assert spoofed == 429
    first.close()
    deadline = time.monotonic() + 10
    while handshake_status(chat.server.url, chat.site.public_key) != 101:
        assert time.monotonic() < deadline, "the closed socket's slot was never released"
        time.sleep(0.05)
    second.close()


def test_refused_handshakes_do_not_use_up_slots(start_chat):
    chat = start_chat(CONNECTIONS_PER_IP=1)
    for _ in range(3):
        assert handshake_status(chat.server.url, chat.site.public_key, origin="http://x") == 403
    with ChatClient(chat.server.url, chat.site.public_key) as client:
        assert client.hello()["type"] == "welcome"


def test_the_welcome_names_the_clock_style_of_the_visitors_locale(chat):
    """The widget stamps messages in the style the server writes chips and cards in."""
    styles = {}
    for lang in ("en-US", "en-GB", "de"):
        with chat.client() as client:
            styles[lang] = client.hello(lang=lang)["clock"]
    assert styles == {"en-US": "12h", "en-GB": "24h", "de": "24h"}


def test_an_empty_conversation_is_welcomed_with_starter_chips_and_only_then(chat):
    with chat.client() as client:
        first = client.hello()
        labels = [choice["label"] for choice in first["choices"]]
        assert labels == ["Book a consultation", "Talk to a person"]
        client.say("hello there")
    with chat.client() as again:  # the same conversation, now with messages in it
        back = again.hello(visitor=first["visitor"], conversation=first["conversation"])
        assert back["conversation"] == first["conversation"] and back["choices"] == []


def test_a_site_with_nothing_to_book_is_not_offered_booking_first(start_chat):
    chat = start_chat()
    with chat.db.transaction() as session:  # before any socket: nothing cached yet
        session.execute(update(Service).where(Service.site_id == chat.site.id).values(active=False))
    with chat.client() as client:
        labels = [choice["label"] for choice in client.hello()["choices"]]
    assert labels == ["Talk to a person"]
