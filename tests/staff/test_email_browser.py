"""The E-mail page and the e-mail banner in Chromium, at desktop and phone sizes: a delivered
and a refused message from a real SMTP server (aiosmtpd), one message opened, axe-clean."""

from __future__ import annotations

import pytest

from tests.support.bookings import book
from tests.support.dashboard_browser import (
    SIZES,
    axe_violations,
    signed_in_page,
    start_dashboard,
    stop_dashboard,
)
from tests.support.servers import free_port
from tests.support.smtp_servers import Inbox, SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def mailed(sqlite_url, tmp_path):
    """A dashboard whose site has one e-mail delivered and one refused by the mail server."""
    port = free_port()
    smtp = SmtpServer(port, Inbox(refuse=frozenset({"owner@studio.test"}))).start()
    running = start_dashboard(sqlite_url, tmp_path, SMTP_URL=f"smtp://127.0.0.1:{port}")
    book(running.app.extensions["frontdesk.bookings"], running.site)
    assert running.app.extensions["frontdesk.mailer"].send_due() == 1
    yield running
    stop_dashboard(running)
    smtp.stop()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_delivery_log_at_desktop_and_phone_sizes(browser, mailed, tmp_path, size):
    page = signed_in_page(browser, mailed, size)
    page.goto(mailed.url("email/"))
    nav = page.get_by_role("navigation", name="Dashboard")
    assert nav.locator("a[aria-current=page]").inner_text().strip() == "E-mail"
    log = page.locator("#mail-log")
    assert log.locator("tbody tr").count() == 2
    sent = log.locator("tr", has_text="ada@example.com")
    failed = log.locator("tr", has_text="owner@studio.test")
    assert "Sent" in sent.inner_text() and "Failed" in failed.inner_text()
    assert "No such mailbox" in failed.inner_text()
    assert page.locator("#mail-banner").count() == 0  # e-mail is set up
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"]  # no sideways scrolling, phones included
    page.screenshot(path=str(tmp_path / f"email-log-{size}.png"), full_page=True)
    assert axe_violations(page) == []

    failed.get_by_role("link").click()
    page.get_by_role("heading", level=1).wait_for()
    assert "gave up after 1 attempt" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="invite.ics").is_visible()
    page.screenshot(path=str(tmp_path / f"email-message-{size}.png"), full_page=True)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Send again").click()
    page.get_by_text("queued again").wait_for()
    assert page.problems == []
    page.context.close()


def test_without_smtp_every_page_says_e_mail_is_not_set_up(browser, sqlite_url, tmp_path):
    running = start_dashboard(sqlite_url, tmp_path)
    try:
        page = signed_in_page(browser, running, "phone")
        page.goto(running.url(""))
        banner = page.locator("#mail-banner")
        assert "E-mail is not set up." in banner.inner_text()
        page.screenshot(path=str(tmp_path / "banner-phone.png"))
        banner.get_by_role("link", name="E-mail page").click()
        page.get_by_text("Nothing is queued while no mail server is configured").wait_for()
        page.screenshot(path=str(tmp_path / "email-empty-phone.png"), full_page=True)
        assert axe_violations(page) == []
        page.context.close()
    finally:
        stop_dashboard(running)
