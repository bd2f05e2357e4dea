"""The open conversation's details (page, time zone, bookings) beside the transcript on a laptop
screen, folded away by the Details button (and remembered), and behind that button on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from frontdesk.db.models import Conversation
from tests.support.conversations import make_conversation
from tests.support.dashboard_browser import signed_in_page, start_dashboard, stop_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def dashboard(sqlite_url, tmp_path):
    running = start_dashboard(sqlite_url, tmp_path)
    yield running
    stop_dashboard(running)


def open_conversation(dashboard, size: str, browser):
    """A long conversation from a known page, opened in the inbox at `size`."""
    texts = [("visitor" if n % 2 else "assistant", f"Message number {n}. " * 6) for n in range(30)]
    conversation = make_conversation(dashboard.db, dashboard.site, texts=texts)
    with dashboard.db.transaction() as session:
        row = session.get(Conversation, conversation.id)
        row.page_url, row.page_title = "https://studio.test/pricing", "Pricing"
        row.contact_name, row.contact_email = "Jane Citizen", "jane.citizen@example.com"
    page = signed_in_page(browser, dashboard, size)
    page.goto(dashboard.url(f"conversations/{conversation.public_id}"))
    return page


def test_on_a_laptop_the_details_sit_beside_the_transcript_and_fold_away(browser, dashboard):
    page = open_conversation(dashboard, "desktop", browser)  # 1280 x 860
    height = page.evaluate("innerHeight")
    facts = page.locator("#conv-facts")
    expect(facts.get_by_role("link", name="Pricing")).to_be_in_viewport()
    listing = page.locator(".inbox-list").bounding_box()
    transcript = page.locator(".conv__transcript").bounding_box()
    side = facts.bounding_box()
    # List | transcript | details, side by side, all starting on screen.
    assert listing["x"] + listing["width"] <= transcript["x"] + 1
    assert transcript["x"] + transcript["width"] <= side["x"] + 1
    assert side["x"] + side["width"] <= page.evaluate("innerWidth")
    assert side["y"] < height / 2 and abs(side["y"] - transcript["y"]) < 2
    assert transcript["width"] >= 24 * 16  # still room for the chat itself
    # Bookings (what staff act on) first, then where the visitor came from.
    first = facts.get_by_role("heading", name="Bookings").bounding_box()
    assert first["y"] < facts.get_by_role("heading", name="Conversation").bounding_box()["y"]
    send = page.get_by_role("button", name="Send").bounding_box()
    assert send["y"] + send["height"] <= height
    # Folded away, the transcript takes the room; the choice holds on the next conversation.
    toggle = page.get_by_role("button", name="Details")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(facts).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert page.locator(".conv__transcript").bounding_box()["width"] > transcript["width"] + 200
    page.reload()
    expect(page.locator("#conv-facts")).to_be_hidden()
    page.get_by_role("button", name="Details").click()
    expect(page.locator("#conv-facts")).to_be_visible()
    assert page.problems == []


def test_on_a_phone_the_details_wait_behind_the_button(browser, dashboard):
    page = open_conversation(dashboard, "phone", browser)
    facts = page.locator("#conv-facts")
    expect(facts).to_be_hidden()
    page.get_by_role("button", name="Details").click()
    expect(facts.get_by_role("link", name="Pricing")).to_be_visible()
    assert facts.bounding_box()["y"] < page.locator(".conv__transcript").bounding_box()["y"]
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    # The e-mail on its own line under the name: no "·" left dangling at a line's end.
    expect(page.locator(".conv__sep")).to_be_hidden()
    email = page.locator(".conv__email").bounding_box()
    live = page.locator("#visitor-live").bounding_box()
    assert live["y"] >= email["y"] + email["height"] - 1
    assert page.problems == []


def test_on_a_phone_the_inbox_banner_keeps_off_the_screens_edges(browser, dashboard):
    page = signed_in_page(browser, dashboard, "phone")
    page.goto(dashboard.url("conversations/"))
    banner = page.locator("#mail-banner").bounding_box()  # no SMTP here: the banner stands
    assert banner["x"] >= 8
    assert banner["x"] + banner["width"] <= page.evaluate("innerWidth") - 8
    assert page.problems == []
