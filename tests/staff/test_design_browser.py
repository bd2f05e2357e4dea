"""The design system in Chromium: the dashboard shell at desktop and phone sizes, destructive
actions that ask first, and inline validation that says what is wrong beside the field."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.dashboard_browser import signed_in_page, start_dashboard, stop_dashboard
from tests.support.factories import add_knowledge

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def dashboard(sqlite_url, tmp_path):
    running = start_dashboard(sqlite_url, tmp_path)
    add_knowledge(running.db, running.site, "Opening hours", "https://studio.test/hours",
                  "We open at nine.")  # fmt: skip
    yield running
    stop_dashboard(running)


def test_the_shell_is_a_sidebar_on_desktop_and_a_top_bar_on_phones(browser, dashboard, tmp_path):
    for size in ("desktop", "phone"):
        page = signed_in_page(browser, dashboard, size)
        page.goto(dashboard.url("knowledge/"))
        nav = page.get_by_role("navigation", name="Dashboard")
        current = nav.locator("a[aria-current=page]")
        assert current.inner_text().strip() == "Knowledge"
        main = page.locator("main").bounding_box()
        box = nav.bounding_box()
        if size == "desktop":  # beside the page
            assert box["x"] + box["width"] <= main["x"] + 1 and box["y"] < 200
            assert page.get_by_text("Harbour Test").first.is_visible()
        else:  # above it, the whole width
            assert box["y"] + box["height"] <= main["y"] + 1
            assert page.get_by_role("link", name="Account").is_visible()
        page.screenshot(path=str(tmp_path / f"shell-{size}.png"))
        assert page.problems == []
        page.context.close()


def test_a_destructive_action_asks_first_and_keep_keeps(browser, dashboard, tmp_path):
    page = signed_in_page(browser, dashboard)
    page.goto(dashboard.url("knowledge/"))
    row = page.locator("tr", has_text="Opening hours")
    delete = row.get_by_role("button", name="Delete")
    colour = delete.evaluate("b => getComputedStyle(b).color")
    assert colour == "rgb(138, 28, 20)"  # the danger role's text colour, not the primary blue

    delete.click()
    dialog = page.get_by_role("dialog", name="Delete this source?")
    dialog.wait_for()
    assert "stops answering from" in dialog.inner_text()
    assert page.evaluate("document.activeElement.textContent") == "Keep it"  # the safe choice
    page.screenshot(path=str(tmp_path / "confirm.png"))
    dialog.get_by_role("button", name="Keep it").click()
    assert dialog.is_hidden()
    assert row.count() == 1  # nothing was sent

    delete.click()
    dialog.get_by_role("button", name="Delete source").click()
    # Wait for the page after the POST (a status notice may already stand on the old one).
    expect(page.locator("tr", has_text="Opening hours")).to_have_count(0)


def test_an_invalid_field_says_why_beside_it_until_fixed(browser, dashboard, tmp_path):
    page = signed_in_page(browser, dashboard, "phone")
    page.goto(dashboard.url("knowledge/"))
    address = page.get_by_label("Address")
    address.fill("not an address")
    page.get_by_role("button", name="Read and index").click()
    error = page.locator(".field-error")
    error.wait_for()
    assert address.get_attribute("aria-invalid") == "true"
    assert error.get_attribute("id") in address.get_attribute("aria-describedby")
    assert "https://" in error.inner_text()
    page.wait_for_function("document.activeElement.name === 'url'")  # focus moved to it
    page.screenshot(path=str(tmp_path / "invalid.png"))
    page.get_by_label("Address").press_sequentially("x")  # still no address: still said
    assert error.is_visible()
    address.fill("https://studio.test/faq")
    assert error.is_hidden() and address.get_attribute("aria-invalid") is None
    assert page.problems == []
