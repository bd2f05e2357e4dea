"""The overview's figures in Chromium at desktop and phone sizes: the engine answering named,
cancelled bookings left out of the total and said beside it, the latest day of the chart in view."""

from __future__ import annotations

import pytest

from tests.support.bookings import VISITOR, book
from tests.support.conversations import make_conversation
from tests.support.dashboard_browser import (
    SIZES,
    axe_violations,
    signed_in_page,
    start_dashboard,
    stop_dashboard,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def dashboard(sqlite_url, tmp_path):
    running = start_dashboard(sqlite_url, tmp_path)
    bookings = running.app.extensions["frontdesk.bookings"]
    make_conversation(running.db, running.site, texts=[("visitor", "Hi")])
    book(bookings, running.site)
    cancelled = book(bookings, running.site).booking
    bookings.cancel(cancelled.public_id, VISITOR)
    yield running
    stop_dashboard(running)


@pytest.mark.parametrize("size", list(SIZES))
def test_the_overview_counts_what_stands_and_names_the_engine(browser, dashboard, tmp_path, size):
    page = signed_in_page(browser, dashboard, size)
    page.goto(dashboard.url(""))
    engine = page.locator("#engine-in-use")
    assert "Answering visitors: the offline engine (built in, no LLM)" in engine.inner_text()
    assert page.locator("[data-total=bookings]").inner_text() == "1"
    assert page.locator("[data-total=cancelled]").inner_text() == "1 cancelled, not counted"
    assert page.locator("[data-total=conversion]").inner_text() == "100%"
    assert "uses no tokens" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    # The latest day's bar is in view without scrolling: on a phone the chart scrolls inside
    # its figure, and it opens at the recent end rather than a month ago.
    figure = page.locator(".chart-figure").bounding_box()
    latest = page.locator(".chart .bar--chats").last.bounding_box()
    assert (
        figure["x"] <= latest["x"] <= latest["x"] + latest["width"] <= figure["x"] + figure["width"]
    )
    page.screenshot(path=str(tmp_path / f"overview-{size}.png"), full_page=True)
    assert axe_violations(page) == []
    assert page.problems == []
    page.context.close()
