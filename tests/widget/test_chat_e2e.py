"""End to end: the demo host page (its own origin) talking to the real server and engine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.demo_server import demo_server
from tests.support.widget_page import HOST, LOG, axe_violations, wait_launcher, wait_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE_DOC = """---
title: Parking and access
url: https://studio.test/parking
---
# Parking and access

Parking for visitors is free in the basement of our building on Harris Street.
<img src="/x.png" onerror="window.__pwned=1"><script>window.__pwned=2</script>
[Open the parking map](javascript:window.__pwned=3) and <a href="#" onclick="window.__pwned=4">here</a>.
"""


@pytest.fixture
def demo(sqlite_url: str, tmp_path: Path):
    """The demo business on a real server process, and the demo page on another origin."""
    from frontdesk.knowledge.ingest import ingest_paths

    def add_hostile_page(db, site_id: int) -> None:
        extra = tmp_path / "extra"
        extra.mkdir()
        (extra / "parking.md").write_text(HOSTILE_DOC)
        ingest_paths(db, site_id, [str(extra)])

    with demo_server(sqlite_url, tmp_path, before_start=add_hostile_page) as server:
        yield server


def assistant_count(page) -> int:
    return page.locator(f"{LOG} .fd-msg:not(.fd-visitor)").count()


def ask(page, text: str) -> None:
    """Type a message and wait for the next complete assistant message."""
    before = assistant_count(page)
    page.locator("frontdesk-widget .fd-input").fill(text)
    page.keyboard.press("Enter")
    wait_for_reply(page, before)


def wait_for_reply(page, before: int) -> None:
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelectorAll('.fd-log .fd-msg:not(.fd-visitor)').length > {before}",
        timeout=30000,
    )


def last_reply(page):
    return page.locator(f"{LOG} .fd-msg:not(.fd-visitor)").last


def open_demo(page, demo) -> None:
    page.goto(f"{demo.host.url}/demo/")
    wait_launcher(page)
    page.locator("frontdesk-widget .fd-launcher").click()
    wait_state(page, "open")
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-panel')?.dataset.connection === 'online'",
        timeout=20000,
    )


def transcript(page) -> list[str]:
    return [t.strip() for t in page.locator(f"{LOG} .fd-msg .fd-bubble").all_inner_texts()]


def lines(locator) -> int:
    """How many lines the element's text takes."""
    return locator.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " return new Set([...r.getClientRects()].map(b => Math.round(b.bottom))).size; }"
    )


@pytest.mark.parametrize("width", [320, 390])
def test_the_demo_pages_header_fits_a_phone(browser, demo, width):
    phone = browser.new_context(viewport={"width": width, "height": 844})
    page = phone.new_page()
    page.goto(f"{demo.host.url}/demo/")
    header = page.locator("header.site-header")
    name = header.locator(".brand span")
    button = header.get_by_role("button", name="Book a call")
    assert lines(name) == 1  # "Harbour & Pixel", not two lines
    assert lines(button) == 1
    assert name.bounding_box()["x"] + name.bounding_box()["width"] <= button.bounding_box()["x"]
    assert page.evaluate("document.documentElement.scrollWidth") == width
    phone.close()


def test_question_gets_a_cited_answer(page, demo):
    open_demo(page, demo)
    assert page.locator("frontdesk-widget .fd-title").inner_text() == "Harbour & Pixel"
    ask(page, "How much does a virtual tour cost?")
    reply = last_reply(page)
    cited = f"{demo.host.url}/#virtual-tours"
    source = reply.locator(".fd-sources a")
    assert source.count() == 1 and source.first.get_attribute("href") == cited
    assert source.first.get_attribute("rel") == "noopener noreferrer"
    assert reply.locator(".fd-sources-title").inner_text() == "Source"
    # The fact itself, and the page cited once: under the answer, not again inside it.
    assert "690" in reply.locator(".fd-bubble").inner_text()
    assert reply.locator(".fd-bubble a").count() == 0
    assert page.problems == []


def test_booking_with_chips_and_confirm_then_ics_download(page, demo):
    from frontdesk.db.models import Booking

    open_demo(page, demo)
    ask(page, "I'd like to book a consultation")
    for _ in range(8):  # service, day, time, name, e-mail, confirm: bounded
        reply = last_reply(page)
        if reply.locator(".fd-card-booking_confirmed").count():
            break
        before = assistant_count(page)
        confirm = reply.get_by_role("button", name="Confirm")
        chips = page.locator("frontdesk-widget .fd-chip")
        if confirm.count():
            confirm.click()
        elif re.search(r"\bname\b", reply.inner_text(), re.I):
            page.locator("frontdesk-widget .fd-input").fill("Ada Lovelace")
            page.keyboard.press("Enter")
        elif re.search(r"e-?mail", reply.inner_text(), re.I):
            page.locator("frontdesk-widget .fd-input").fill("ada@example.com")
            page.keyboard.press("Enter")
        else:
            assert chips.count(), f"no way forward from: {reply.inner_text()}"
            chips.first.click()
        wait_for_reply(page, before)
    card = page.locator(f"{LOG} .fd-card-booking_confirmed")
    assert card.count() == 1
    assert "Ada Lovelace" in card.inner_text()
    with demo.db.session() as session:
        booking = session.scalars(select(Booking)).one()
        assert booking.email == "ada@example.com"
    assert page.evaluate("document.documentElement.dataset.lastBooking") == "booking_confirmed"
    calendar = card.get_by_role("link", name="Add to calendar")
    assert calendar.get_attribute("href").startswith(demo.url)
    with page.expect_download() as download:
        calendar.click()
    assert "BEGIN:VCALENDAR" in Path(download.value.path()).read_text()
    manage = card.get_by_role("link", name="Manage booking")
    assert manage.get_attribute("href").startswith(demo.url)
    assert axe_violations(page) == []  # with chips, sources and both booking cards on screen


def test_server_killed_mid_conversation_recovers_without_gaps_or_duplicates(page, demo):
    open_demo(page, demo)
    ask(page, "Where are you based?")
    demo.kill()
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-panel').dataset.connection !== 'online'",
        timeout=20000,
    )
    banner = page.locator("frontdesk-widget .fd-banner")
    assert banner.is_visible() and "Reconnecting" in banner.inner_text()
    before = assistant_count(page)
    page.locator("frontdesk-widget .fd-input").fill("How long does a website take?")
    page.keyboard.press("Enter")  # typed while the server is down
    demo.start()
    wait_for_reply(page, before)
    assert banner.is_hidden()
    page.wait_for_function(
        f"![...{HOST}.shadowRoot.querySelectorAll('.fd-visitor .fd-state')]"
        ".some(s => s.textContent !== 'Sent')"
    )
    shown = transcript(page)
    assert shown[0] == "Where are you based?" and "How long does a website take?" in shown
    assert len(shown) == len(set(shown))
    page.reload()
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelectorAll('.fd-log .fd-msg').length >= {len(shown)}",
        timeout=20000,
    )
    assert transcript(page) == shown  # the server's record matches what was on screen
    seqs = page.evaluate(
        f"[...{HOST}.shadowRoot.querySelectorAll('.fd-log .fd-msg')].map(m => +m.dataset.seq)"
    )
    assert seqs == sorted(set(seqs)) and all(seqs)


def test_hostile_markup_from_the_knowledge_base_and_the_visitor_renders_inert(page, demo):
    open_demo(page, demo)
    typed = '<img src="/y.png" onerror="window.__pwned=9">'
    ask(page, typed)
    assert page.locator(f"{LOG} .fd-visitor .fd-bubble").first.inner_text() == typed
    ask(page, "Is there parking for visitors?")
    reply = last_reply(page)
    assert "Parking" in reply.inner_text() or "parking" in reply.inner_text()
    risky = page.evaluate(
        f"""[...{HOST}.shadowRoot.querySelectorAll('.fd-log *')].filter(e =>
              ['IMG', 'SCRIPT', 'IFRAME', 'STYLE'].includes(e.tagName) ||
              [...e.attributes].some(a => a.name.startsWith('on') || a.name === 'style') ||
              (e.tagName === 'A' && /^javascript:/i.test(e.getAttribute('href') || '')))
            .map(e => e.outerHTML)"""
    )
    assert risky == []
    for link in reply.locator("a").all():
        if not link.get_attribute("href"):
            link.click()
    assert page.evaluate("window.__pwned") is None


def test_two_tabs_share_one_conversation(context, demo):
    first, second = context.new_page(), context.new_page()
    first.problems = second.problems = []
    open_demo(first, demo)
    ask(first, "What are your opening hours?")
    second.goto(f"{demo.host.url}/demo/")
    wait_state(second, "open")  # left open in the first tab: opens by itself, same conversation
    second.wait_for_function(
        f"{HOST}.shadowRoot.querySelectorAll('.fd-log .fd-msg').length >= 2", timeout=20000
    )
    before = assistant_count(first)
    ask(second, "Do you maintain websites built by someone else?")
    wait_for_reply(first, before)  # the first tab sees the second tab's turn live
    assert transcript(first) == transcript(second)
