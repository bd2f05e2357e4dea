"""End to end with a host's real calendar: staff connect a Radicale calendar in the dashboard
(Chromium), a visitor books through the widget, and the event appears in Radicale."""

from __future__ import annotations

import re
import time
from pathlib import Path

import caldav
import pytest
from sqlalchemy import select

from tests.support.demo_server import demo_server
from tests.support.radicale import PASSWORD, USER
from tests.support.staff_accounts import PASSWORD as STAFF_PASSWORD
from tests.support.staff_accounts import make_staff
from tests.support.widget_page import HOST, LOG, wait_launcher, wait_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def demo(sqlite_url: str, tmp_path: Path):
    """The demo business on a real server process that may reach loopback calendars."""
    env = {"FRONTDESK_CALENDAR_ALLOW_PRIVATE_URLS": "true", "FRONTDESK_CALENDAR_RETRY_SECONDS": "1"}

    def add_admin(db, site_id: int) -> None:
        make_staff(db, site_id, role="admin")  # connects the business's calendar: an admin's page

    with demo_server(sqlite_url, tmp_path, extra_env=env, before_start=add_admin) as server:
        yield server


def staff_connects_radicale(page, demo, radicale, shots: Path) -> None:
    page.goto(f"{demo.url}/staff/signin")
    page.get_by_label("E-mail").fill("ana@studio.test")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Calendars").click()
    page.screenshot(path=str(shots / "hosts.png"), full_page=True)
    page.get_by_role("link", name="Mia Chen").first.click()  # website builds are hers
    form = page.locator("#connect-calendar")
    form.get_by_label("CalDAV account", exact=False).check()
    form.get_by_label("Address", exact=True).fill(radicale.url)
    form.get_by_label("User name (CalDAV)").fill(USER)
    form.get_by_label("App password (CalDAV)").fill(PASSWORD)
    form.get_by_role("button", name="Connect").click()
    choose = page.locator("#choose-calendars")
    choose.get_by_role("radio", name="Work").check()
    page.screenshot(path=str(shots / "choose.png"), full_page=True)
    choose.get_by_role("button", name="Save and sync").click()
    assert "Work" in page.locator(".write-calendar").inner_text()
    assert "never" not in page.locator(".last-sync").inner_text()
    page.screenshot(path=str(shots / "connected.png"), full_page=True)


def visitor_books(page, demo) -> None:
    page.goto(f"{demo.host.url}/demo/")
    wait_launcher(page)
    page.locator("frontdesk-widget .fd-launcher").click()
    wait_state(page, "open")
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-panel')?.dataset.connection === 'online'",
        timeout=20000,
    )
    say(page, "I'd like to book a consultation")
    for _ in range(8):  # service, day, time, name, e-mail, confirm: bounded
        reply = page.locator(f"{LOG} .fd-msg:not(.fd-visitor)").last
        if reply.locator(".fd-card-booking_confirmed").count():
            return
        confirm = reply.get_by_role("button", name="Confirm")
        if confirm.count():
            act(page, confirm.click)
        elif re.search(r"\bname\b", reply.inner_text(), re.I):
            say(page, "Ada Lovelace")
        elif re.search(r"e-?mail", reply.inner_text(), re.I):
            say(page, "ada@example.com")
        else:
            act(page, page.locator("frontdesk-widget .fd-chip").first.click)
    raise AssertionError("the booking was not confirmed")


def replies(page) -> int:
    return page.locator(f"{LOG} .fd-msg:not(.fd-visitor)").count()


def act(page, do) -> None:
    before = replies(page)
    do()
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelectorAll('.fd-log .fd-msg:not(.fd-visitor)').length > {before}",
        timeout=30000,
    )


def say(page, text: str) -> None:
    def send():
        page.locator("frontdesk-widget .fd-input").fill(text)
        page.keyboard.press("Enter")

    act(page, send)


def test_staff_connect_visitor_books_event_in_radicale(browser, demo, radicale, tmp_path):
    from frontdesk.booking.event_text import booking_uid
    from frontdesk.db.models import Booking

    work = (
        caldav.DAVClient(url=radicale.url, username=USER, password=PASSWORD)
        .principal()
        .make_calendar(name="Work")
    )
    staff_context = browser.new_context(viewport={"width": 1280, "height": 900})
    staff_connects_radicale(staff_context.new_page(), demo, radicale, tmp_path)
    staff_context.close()

    visitor_context = browser.new_context(viewport={"width": 1280, "height": 800})
    visitor_books(visitor_context.new_page(), demo)
    visitor_context.close()
    with demo.db.session() as session:
        booking = session.scalars(select(Booking)).one()
        uid, start = booking_uid(booking), booking.start
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the server's write-back worker, after commit
        found = [e for e in work.events() if str(e.icalendar_component["UID"]) == uid]
        if found:
            break
        time.sleep(0.3)
    assert len(found) == 1, "the booking never reached Radicale"
    assert found[0].icalendar_component.decoded("DTSTART") == start
    assert "Ada Lovelace" in str(found[0].icalendar_component["SUMMARY"])
