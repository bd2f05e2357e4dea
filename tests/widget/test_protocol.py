"""The widget's protocol client against a scripted peer: rendering, acks, resends, sanitizing."""

from __future__ import annotations

import json

import pytest

from tests.support.scripted_peer import message, open_chat, welcome
from tests.support.widget_page import HOST, LOG, wait_launcher, wait_state

pytestmark = pytest.mark.browser


def log_texts(page) -> list[str]:
    return page.locator(f"{LOG} .fd-bubble").all_inner_texts()


def send_text(page, text: str) -> None:
    page.locator("frontdesk-widget .fd-input").fill(text)
    page.keyboard.press("Enter")


def test_hello_welcome_history_and_credentials_kept(page, peer):
    hello = open_chat(
        page,
        peer,
        welcome([message(1, "Earlier question", "visitor", id="x1"), message(2, "An answer")]),
    )
    assert hello["visitor"] is None and hello["conversation"] is None and hello["after"] == 0
    assert hello["page"]["url"] == peer.page_url and hello["tz"] and hello["lang"]
    page.wait_for_function(f"{HOST}.shadowRoot.querySelectorAll('.fd-log .fd-msg').length === 2")
    assert log_texts(page) == ["Earlier question", "An answer"]
    assert page.locator("frontdesk-widget .fd-title").inner_text() == "Scripted Studio"
    assert page.locator("frontdesk-widget .fd-greeting").inner_text() == "Hi! How can we help?"
    stored = json.loads(page.evaluate("localStorage.getItem('frontdesk:pk_scripted')"))
    assert stored == {"open": True, "visitor": "v.signed", "conversation": "cv_1"}
    page.reload()
    wait_state(page, "open")  # it was open: reopens, and resumes the same conversation
    hello = peer.expect("hello")
    assert (hello["visitor"], hello["conversation"], hello["after"]) == ("v.signed", "cv_1", 0)


def test_stream_is_hidden_from_the_live_region_until_the_final_message(page, peer):
    open_chat(page, peer)
    peer.send({"type": "typing"})
    page.locator("frontdesk-widget .fd-typing").wait_for(state="visible")
    peer.send({"type": "delta", "reply": "r1", "text": "Websites start "})
    peer.send({"type": "delta", "reply": "r1", "text": "at AUD 4,800."})
    stream = page.locator("frontdesk-widget .fd-streams")
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-streams').textContent === 'Websites start at AUD 4,800.'"
    )
    assert stream.get_attribute("aria-hidden") == "true"
    assert page.locator(f"{LOG} .fd-msg").count() == 0
    assert page.locator("frontdesk-widget .fd-typing").is_hidden()
    final = message(1, "Websites start at AUD 4,800.", reply="r1")
    final["html"] = "<p>Websites start at <strong>AUD 4,800</strong>.</p>"
    peer.send(final)
    page.locator(f"{LOG} strong").wait_for()
    assert page.evaluate(f"{HOST}.shadowRoot.querySelector('.fd-streams').textContent") == ""
    log = page.locator(LOG)
    assert (log.get_attribute("role"), log.get_attribute("aria-live")) == ("log", "polite")


def test_a_discarded_stream_is_removed_and_streamed_again_from_its_start(page, peer):
    open_chat(page, peer)
    streams = f"{HOST}.shadowRoot.querySelector('.fd-streams').textContent"
    peer.send({"type": "delta", "reply": "r1", "text": "I could not fi"})
    page.wait_for_function(f"{streams} === 'I could not fi'")
    peer.send({"type": "discard", "reply": "r1"})
    page.wait_for_function(f"{streams} === ''")
    peer.send({"type": "delta", "reply": "r1", "text": "Websites start at AUD 4,800."})
    page.wait_for_function(f"{streams} === 'Websites start at AUD 4,800.'")
    peer.send(message(1, "Websites start at AUD 4,800.", reply="r1"))
    page.wait_for_function(f"{streams} === ''")
    assert log_texts(page) == ["Websites start at AUD 4,800."]


def test_duplicate_message_frames_render_once(page, peer):
    open_chat(page, peer, welcome([message(1, "One")]))
    peer.send(message(1, "One"), message(2, "Two"), message(2, "Two"), message(3, "Three"))
    page.wait_for_function(f"{HOST}.shadowRoot.querySelectorAll('.fd-log .fd-msg').length >= 3")
    assert log_texts(page) == ["One", "Two", "Three"]


def test_visitor_message_is_shown_at_once_and_marked_sent_on_ack(page, peer):
    open_chat(page, peer)
    send_text(page, "Do you build online shops?")
    sent = peer.expect("message")
    assert sent["text"] == "Do you build online shops?" and 0 < len(sent["id"]) <= 64
    item = page.locator(f"{LOG} .fd-visitor")
    assert "fd-pending" in item.get_attribute("class")
    peer.send({"type": "ack", "id": sent["id"], "seq": 1})
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-visitor .fd-state').textContent === 'Sent'"
    )
    peer.send(
        message(1, "Do you build online shops?", "visitor", id=sent["id"]), message(2, "Yes.")
    )
    page.wait_for_function(f"{HOST}.shadowRoot.querySelectorAll('.fd-log .fd-msg').length === 2")
    assert log_texts(page) == ["Do you build online shops?", "Yes."]


def test_unacked_message_is_resent_once_after_reconnect(page, peer):
    open_chat(page, peer, welcome([message(1, "Hello")]))
    send_text(page, "First")
    first = peer.expect("message")
    peer.drop()  # the socket dies before the ack
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-panel').dataset.connection === 'reconnecting'"
    )
    assert page.locator("frontdesk-widget .fd-banner").is_visible()
    hello = peer.expect("hello", timeout=20)
    assert (hello["conversation"], hello["visitor"], hello["after"]) == ("cv_1", "v.signed", 1)
    peer.send(welcome())
    again = peer.expect("message")
    assert (again["id"], again["text"]) == (first["id"], "First")
    peer.send({"type": "ack", "id": first["id"], "seq": 2})
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-visitor .fd-state').textContent === 'Sent'"
    )
    assert page.locator("frontdesk-widget .fd-banner").is_hidden()
    assert log_texts(page) == ["Hello", "First"]


def test_message_stored_before_the_drop_is_not_resent(page, peer):
    open_chat(page, peer)
    send_text(page, "Stored but not acked")
    first = peer.expect("message")
    peer.drop()
    peer.expect("hello", timeout=20)
    echo = message(1, "Stored but not acked", "visitor", id=first["id"])
    peer.send(welcome([echo, message(2, "Answer")]))
    page.wait_for_function(f"{HOST}.shadowRoot.querySelectorAll('.fd-log .fd-msg').length === 2")
    send_text(page, "Second")
    assert peer.expect("message")["text"] == "Second"  # not the first one again
    assert log_texts(page) == ["Stored but not acked", "Answer", "Second"]


def reopen_after_reload(page, peer, *frames) -> dict:
    """Reload the host page, open the widget again; the new hello."""
    page.reload()
    wait_launcher(page)
    page.evaluate("Frontdesk.open()")
    hello = peer.expect("hello", timeout=20)
    peer.send(*(frames or (welcome(),)))
    return hello


def test_a_message_unacked_when_the_page_is_left_is_sent_from_the_next_page(page, peer):
    open_chat(page, peer)
    send_text(page, "Sent just before leaving")
    first = peer.expect("message")
    reopen_after_reload(page, peer)
    again = peer.expect("message")
    assert (again["id"], again["text"]) == (first["id"], "Sent just before leaving")
    assert log_texts(page) == ["Sent just before leaving"]
    peer.send({"type": "ack", "id": first["id"], "seq": 1})
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-visitor .fd-state').textContent === 'Sent'"
    )
    stored = page.evaluate("JSON.stringify(localStorage)")
    assert first["id"] not in stored  # acked: no longer carried over


def test_a_message_stored_before_the_page_was_left_is_not_sent_again(page, peer):
    open_chat(page, peer)
    send_text(page, "Stored, ack lost")
    first = peer.expect("message")
    echo = message(1, "Stored, ack lost", "visitor", id=first["id"])
    reopen_after_reload(page, peer, welcome([echo, message(2, "Answer")]))
    page.wait_for_function(f"{HOST}.shadowRoot.querySelectorAll('.fd-log .fd-msg').length === 2")
    send_text(page, "Next")
    assert peer.expect("message")["text"] == "Next"  # not the stored one again
    assert log_texts(page) == ["Stored, ack lost", "Answer", "Next"]


def test_error_for_a_message_marks_it_not_sent_with_a_retry(page, peer):
    open_chat(page, peer)
    send_text(page, "x" * 50)
    sent = peer.expect("message")
    peer.send({"type": "error", "code": "too_long", "message": "Too long.", "id": sent["id"]})
    retry = page.locator(f"{LOG} .fd-failed button")
    retry.wait_for()
    assert retry.inner_text() == "Try again"
    retry.click()
    assert peer.expect("message")["text"] == "x" * 50


def test_unknown_site_stops_reconnecting_and_says_so(page, peer):
    open_chat(page, peer)
    peer.send({"type": "error", "code": "unknown_site", "message": "unknown site"})
    banner = page.locator("frontdesk-widget .fd-banner")
    banner.wait_for(state="visible")
    assert "not available" in banner.inner_text()
    assert page.locator("frontdesk-widget .fd-retry").is_hidden()


def test_send_from_the_page_api_opens_the_panel_and_sends(page, peer):
    page.goto(peer.page_url)
    wait_launcher(page)
    page.evaluate("Frontdesk.on('message', f => { window.seen = (window.seen || 0) + 1; })")
    page.evaluate("Frontdesk.send('Sent by the page')")
    wait_state(page, "open")
    peer.expect("hello")
    peer.send(welcome())
    sent = peer.expect("message")
    assert sent["text"] == "Sent by the page"
    peer.send({"type": "ack", "id": sent["id"], "seq": 1}, message(2, "Got it."))
    page.wait_for_function("window.seen === 1")
    assert log_texts(page) == ["Sent by the page", "Got it."]


def test_an_error_already_explained_by_a_system_message_is_shown_once(page, peer):
    open_chat(page, peer)
    peer.send(message(1, "Sorry, something went wrong.", "system"))
    peer.send({"type": "error", "code": "internal", "message": "the assistant failed"})
    peer.send({"type": "error", "code": "rate_limited", "message": "Slow down."})
    page.locator(f"{LOG} .fd-error").wait_for()
    # The widget's own words for a code (the server's `message` is for developers).
    assert log_texts(page) == [
        "Sorry, something went wrong.",
        "You're sending messages quickly. Please wait a moment, then try again.",
    ]


def test_errors_are_told_in_the_visitors_language(page, peer):
    peer.page_url += "?lang=fr-BE"
    hello = open_chat(page, peer)
    assert hello["lang"] == "fr-BE"
    peer.send({"type": "error", "code": "too_long", "message": "Too long."})
    peer.send({"type": "error", "code": "no_such_code", "message": "whatever"})
    page.wait_for_function(f"{HOST}.shadowRoot.querySelectorAll('.fd-error').length === 2")
    assert log_texts(page) == [
        "Ce message est trop long. Raccourcissez-le puis renvoyez-le.",
        "Un problème est survenu. Veuillez réessayer.",
    ]


def test_a_socket_silent_through_two_pings_is_replaced(page, peer):
    page.clock.install()
    open_chat(page, peer)
    assert peer.connections == 1
    page.clock.fast_forward(80_000)  # the peer never answers the widget's pings
    page.clock.fast_forward(2_000)  # first reconnect delay is under a second
    hello = peer.expect("hello")
    assert (hello["conversation"], hello["after"]) == ("cv_1", 0)
    assert peer.connections == 2
