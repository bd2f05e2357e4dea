"""What the panel draws from server frames: inert HTML, sources, chips, booking cards, unread
badge, and two tabs sharing one conversation."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.support.scripted_peer import message, open_chat, welcome
from tests.support.widget_page import HOST, LOG, wait_state

pytestmark = pytest.mark.browser

HOSTILE_HTML = (
    '<p>Hi <img src="/x.png" onerror="window.__pwned=1"> there</p>'
    "<script>window.__pwned=2</script>"
    '<p><a href="javascript:window.__pwned=3">js link</a> '
    '<a href="https://example.com/ok" onclick="window.__pwned=4" style="color:red">good link</a> '
    '<a href="JaVaScRiPt&#58;window.__pwned=5">encoded</a></p>'
    '<iframe src="https://example.com"></iframe><style>*{display:none}</style>'
    '<svg onload="window.__pwned=6"><circle r="5"/></svg>'
    '<form action="https://evil.test"><input name="card"><button>Pay</button></form>'
    '<p style="position:fixed;inset:0" class="x" id="y" onmouseover="window.__pwned=7">styled</p>'
    '<details open ontoggle="window.__pwned=8"><summary>s</summary></details>'
)


def test_hostile_reply_html_renders_inert(page, peer):
    open_chat(page, peer)
    peer.send(message(1, "Hi there", html=HOSTILE_HTML))
    bubble = page.locator(f"{LOG} .fd-bubble").first
    bubble.wait_for()
    report = page.evaluate(
        f"""() => {{
          const b = {HOST}.shadowRoot.querySelector('.fd-log .fd-bubble');
          const all = [...b.querySelectorAll('*')];
          return {{
            tags: [...new Set(all.map(e => e.tagName))].sort(),
            attrs: [...new Set(all.flatMap(e => [...e.attributes].map(a => a.name)))].sort(),
            hrefs: [...b.querySelectorAll('a[href]')].map(a => a.href),
            rel: [...b.querySelectorAll('a[href]')].map(a => a.rel),
          }};
        }}"""
    )
    assert report["tags"] == ["A", "P"]
    assert report["attrs"] == ["href", "rel", "target"]
    assert report["hrefs"] == ["https://example.com/ok"]
    assert report["rel"] == ["noopener noreferrer nofollow"]
    for link in page.locator(f"{LOG} .fd-bubble a").all():
        if link.get_attribute("href") is None:
            link.click()
    page.locator(f"{LOG} .fd-bubble p").last.hover()
    assert page.evaluate("window.__pwned") is None
    assert "good link" in bubble.inner_text()


def test_sources_are_shown_once_and_never_as_an_empty_heading(page, peer, tmp_path):
    open_chat(page, peer)
    peer.send(message(1, "A person wrote this.", role="staff", author="Sam"))
    peer.send(message(2, "From a written answer.", sources=[{"title": "Parking", "url": ""}]))
    peer.send(message(3, "Nothing to cite.", sources=[{"title": "", "url": "javascript:x"}]))
    page.locator(f"{LOG} .fd-msg").nth(2).wait_for()
    boxes = page.locator(f"{LOG} .fd-sources")
    assert boxes.count() == 1  # staff and uncitable answers get no heading at all
    assert boxes.first.inner_text().split() == ["Source", "Parking"]
    assert boxes.first.locator("a").count() == 0  # no address: the title, not a dead link
    page.locator("frontdesk-widget .fd-panel").screenshot(path=str(tmp_path / "sources.png"))


def test_time_chips_are_grouped_by_day_with_the_date_said_once(page, peer, tmp_path):
    open_chat(page, peer)
    times = [("Tue 1 Dec · New York time", "9:00 am"), ("Tue 1 Dec · New York time", "2:30 pm")]
    times += [("Wed 2 Dec", "10:00 am"), ("Wed 2 Dec", "4:00 pm")]
    choices = [
        {"label": label, "action": "reply", "value": f"Book on {n}", "group": group}
        for n, (group, label) in enumerate(times)
    ]
    peer.send(message(1, "Here are the next free times.", choices=choices))
    groups = page.locator("frontdesk-widget .fd-chip-group")
    groups.first.wait_for()
    assert groups.all_inner_texts() == ["Tue 1 Dec · New York time", "Wed 2 Dec"]
    chips = page.locator("frontdesk-widget .fd-chip")
    assert chips.all_inner_texts() == ["9:00 am", "2:30 pm", "10:00 am", "4:00 pm"]
    page.locator("frontdesk-widget .fd-panel").screenshot(path=str(tmp_path / "chips.png"))
    chips.nth(2).click()
    action = peer.expect("action")
    assert action["value"] == "Book on 2"
    # The visitor's message says the day too: "10:00 am" alone would be ambiguous later.
    assert page.locator(f"{LOG} .fd-visitor .fd-bubble").inner_text() == "Wed 2 Dec, 10:00 am"


@pytest.mark.parametrize(("clock", "shown"), [("12h", "10:00 pm"), ("24h", "22:00")])
def test_message_times_are_in_the_clock_style_of_the_chips(browser, peer, clock, shown):
    """One way to show times in the panel: the server writes chips and cards in the reader's
    clock style and names it in the welcome; message stamps follow it, whatever the browser's
    own habit (Chromium writes "10:00 PM" for en-US)."""
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    page = context.new_page()
    try:
        open_chat(page, peer, welcome(clock=clock))
        chip = {"label": shown, "action": "reply", "value": "Book it", "group": "Tue 24 Nov"}
        # 03:00 UTC on 25 November is 22:00 on the 24th in New York.
        peer.send(message(1, "Here is a time.", ts="2026-11-25T03:00:00Z", choices=[chip]))
        stamp = page.locator(f"{LOG} .fd-msg .fd-time").first
        stamp.wait_for()
        assert stamp.inner_text() == shown
        assert page.locator("frontdesk-widget .fd-chip").inner_text() == shown
        page.locator("frontdesk-widget .fd-chip").click()
        peer.expect("action")
        visitor_stamp = page.locator(f"{LOG} .fd-visitor .fd-time").inner_text()
        pattern = r"\d{1,2}:\d\d [ap]m" if clock == "12h" else r"\d\d:\d\d"
        assert re.fullmatch(pattern, visitor_stamp), visitor_stamp
    finally:
        context.close()


def test_out_of_hours_the_header_promises_only_what_happens(page, peer):
    """Closed: the assistant still answers (say so), and a person asked for comes at opening
    time, not "shortly"."""
    open_chat(page, peer, welcome(open=False))
    status = page.locator("frontdesk-widget .fd-status")
    assert status.inner_text() == "We're closed now · the assistant can still help"
    peer.send({"type": "status", "status": "needs_human"})
    expect(status).to_have_text("We're closed now · the team will reply when we open")


def test_an_empty_conversation_offers_starter_chips_under_the_greeting(page, peer):
    starters = [{"label": "Talk to a person", "action": "reply", "value": "I'd like a person"}]
    open_chat(page, peer, welcome(choices=starters))
    chip = page.locator("frontdesk-widget .fd-chip")
    assert chip.all_inner_texts() == ["Talk to a person"]
    chip.click()
    assert peer.expect("action")["value"] == "I'd like a person"
    expect(chip).to_have_count(0)  # gone once used


def test_a_conversation_with_messages_gets_no_starter_chips(page, peer):
    starters = [{"label": "Talk to a person", "action": "reply", "value": "I'd like a person"}]
    open_chat(page, peer, welcome(messages=[message(1, "Welcome back.")], choices=starters))
    page.locator(f"{LOG} .fd-msg").first.wait_for()
    assert page.locator("frontdesk-widget .fd-chip").count() == 0


def test_staff_are_named_notices_are_quiet_and_the_launcher_closes(page, peer, tmp_path):
    page.set_viewport_size({"width": 1100, "height": 800})
    open_chat(page, peer)
    launcher = page.locator("frontdesk-widget .fd-launcher")
    assert launcher.get_attribute("aria-label") == "Close chat"
    assert page.locator("frontdesk-widget .fd-launcher .fd-x").is_visible()
    assert page.locator("frontdesk-widget .fd-launcher .fd-label").is_hidden()
    peer.send(
        message(1, "Ana Lopez from the team has joined the chat.", role="system"),
        message(2, "Hi, I'm Ana. How can I help?", role="staff", author="Ana Lopez"),
        message(3, "The bot says hello too."),
    )
    staff = page.locator(f"{LOG} .fd-staff")
    staff.wait_for()
    assert staff.locator(".fd-avatar").inner_text() == "AL"
    assert "Ana Lopez" in staff.locator(".fd-author").inner_text()
    assert staff.locator(".fd-sr").inner_text().startswith("Ana Lopez from the team")
    bot = page.locator(f"{LOG} .fd-assistant .fd-bubble").last
    background = "getComputedStyle(el).backgroundColor"
    assert staff.locator(".fd-bubble").evaluate(f"el => {background}") != bot.evaluate(
        f"el => {background}"
    )
    notice = page.locator(f"{LOG} .fd-system .fd-bubble")
    assert page.locator(f"{LOG} .fd-system .fd-sr").count() == 0  # never read out as ": ..."
    assert notice.evaluate(f"el => {background}") == "rgba(0, 0, 0, 0)"  # neutral, not pink
    page.screenshot(path=str(tmp_path / "staff-page.png"))
    launcher.click()
    wait_state(page, "closed")
    assert page.locator("frontdesk-widget .fd-launcher .fd-label").is_visible()


def test_cancel_cards_say_cancel_booking_and_keep_booking(page, peer):
    open_chat(page, peer)
    card = {
        "type": "cancel_proposal",
        "proposal": "pr_9",
        "booking": "bk_9",
        "service": "Consultation",
        "visitor_time": "Wed 2 Dec 2026, 10:00–10:30 am (Sydney time)",
        "business_time": "Wed 2 Dec 2026, 10:00–10:30 am (Sydney time)",
        "actions": [
            {"label": "Cancel booking", "action": "confirm", "value": "pr_9"},
            {"label": "Keep booking", "action": "change", "value": "pr_9"},
        ],
    }
    peer.send(message(1, "Cancel this one?", card=card))
    box = page.locator(f"{LOG} .fd-card-cancel_proposal")
    box.wait_for()
    assert box.get_by_role("button", name="Cancel booking").get_attribute("class") == (
        "fd-btn fd-danger"
    )
    box.get_by_role("button", name="Keep booking").click()
    action = peer.expect("action")
    assert (action["name"], action["value"]) == ("change", "pr_9")


def test_sources_chips_and_booking_cards(page, peer):
    open_chat(page, peer)
    page.evaluate("Frontdesk.on('booking', card => { window.lastBooking = card.type; })")
    answer = message(
        1,
        "Here are the prices.",
        sources=[
            {"title": "Pricing", "url": "https://studio.test/#pricing"},
            {"title": "Evil", "url": "javascript:alert(1)"},
        ],
        choices=[
            {"label": "Book a consultation", "action": "reply", "value": "I'd like to book"},
            {"label": "Talk to a person", "action": "reply", "value": "A person please"},
        ],
    )
    peer.send(answer)
    sources = page.locator(f"{LOG} .fd-sources a")
    sources.first.wait_for()
    assert sources.count() == 1
    assert sources.first.get_attribute("href") == "https://studio.test/#pricing"
    chips = page.locator("frontdesk-widget .fd-chip")
    assert chips.all_inner_texts() == ["Book a consultation", "Talk to a person"]
    chips.first.click()
    action = peer.expect("action")
    assert (action["name"], action["value"]) == ("reply", "I'd like to book")
    assert page.locator("frontdesk-widget .fd-chips").is_hidden()
    assert page.locator(f"{LOG} .fd-visitor .fd-bubble").inner_text() == "Book a consultation"

    card = {
        "type": "booking_proposal",
        "proposal": "pr_1",
        "service": "Website build consultation",
        "visitor_time": "Wed 2 Dec 2026, 10:00–10:45 am (Sydney time)",
        "business_time": "Wed 2 Dec 2026, 10:00–10:45 am (Sydney time)",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "actions": [
            {"label": "Confirm", "action": "confirm", "value": "pr_1"},
            {"label": "Change", "action": "change", "value": "pr_1"},
        ],
    }
    peer.send(
        {"type": "ack", "id": action["id"], "seq": 2}, message(3, "Please confirm.", card=card)
    )
    proposal = page.locator(f"{LOG} .fd-card-booking_proposal")
    proposal.wait_for()
    assert "Ada Lovelace" in proposal.inner_text()
    assert proposal.inner_text().count("Sydney time") == 1  # same zone: shown once
    # Spelled as everywhere else in the product (the dashboard, the e-mails): "E-mail".
    assert proposal.locator("dt").all_inner_texts()[-2:] == ["Name", "E-mail"]
    proposal.get_by_role("button", name="Confirm").click()
    confirm = peer.expect("action")
    assert (confirm["name"], confirm["value"]) == ("confirm", "pr_1")
    assert proposal.get_by_role("button", name="Change").is_disabled()

    done = dict(card, type="booking_confirmed", booking="bk_1", actions=[])
    done.update(ics_url="https://studio.test/b/tok.ics", manage_url="javascript:alert(1)")
    peer.send({"type": "ack", "id": confirm["id"], "seq": 4}, message(5, "Booked!", card=done))
    confirmed = page.locator(f"{LOG} .fd-card-booking_confirmed")
    confirmed.wait_for()
    calendar = confirmed.get_by_role("link", name="Add to calendar")
    assert calendar.get_attribute("href") == "https://studio.test/b/tok.ics"
    assert confirmed.get_by_role("link", name="Manage booking").count() == 0  # unsafe URL dropped
    assert page.evaluate("window.lastBooking") == "booking_confirmed"


def test_unread_badge_counts_replies_while_closed(page, peer):
    open_chat(page, peer)
    page.keyboard.press("Escape")
    wait_state(page, "closed")
    peer.send(message(1, "Are you still there?"), message(2, "We're here when you need us."))
    badge = page.locator("frontdesk-widget .fd-badge")
    badge.wait_for(state="visible")
    page.wait_for_function(f"{HOST}.shadowRoot.querySelector('.fd-badge').textContent === '2'")
    launcher = page.locator("frontdesk-widget .fd-launcher")
    assert launcher.get_attribute("aria-label") == "Chat with us, 2 unread messages"
    launcher.click()
    wait_state(page, "open")
    assert badge.is_hidden()
    assert launcher.get_attribute("aria-label") == "Close chat"  # the launcher closes it now
    launcher.click()
    wait_state(page, "closed")
    assert launcher.get_attribute("aria-label") == "Chat with us"


def test_a_second_tab_never_overwrites_the_conversation_of_the_first(context, peer):
    first = context.new_page()
    first.goto(peer.page_url)
    first.evaluate("Frontdesk.open()")
    assert peer.expect("hello")["conversation"] is None
    # Before our welcome arrives, another tab of the same site stores its conversation.
    second = context.new_page()
    second.goto(peer.page_url.replace("settings.html", "queue.js"))  # same origin, no widget
    stored = json.dumps({"visitor": "v.other", "conversation": "cv_other", "open": True})
    second.evaluate("value => localStorage.setItem('frontdesk:pk_scripted', value)", stored)
    hello = peer.expect("hello")  # the first tab joins the stored conversation
    assert (hello["conversation"], hello["visitor"]) == ("cv_other", "v.other")
    peer.send(welcome(conversation="cv_other", visitor="v.other"))
    first.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-panel').dataset.connection === 'online'"
    )
    saved = json.loads(first.evaluate("localStorage.getItem('frontdesk:pk_scripted')"))
    assert saved["conversation"] == "cv_other"
