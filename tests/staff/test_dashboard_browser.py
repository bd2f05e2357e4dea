"""End to end in Chromium: a visitor books in the widget on a host page (another origin); staff
see the booking, reschedule it, take the live chat over, reply, and hand it back to the bot."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from sqlalchemy import select

from frontdesk import create_app
from frontdesk.db.models import Site
from frontdesk.demo_host import create_demo_host_app
from tests.support.apps import app_config
from tests.support.factories import make_site
from tests.support.servers import LiveServer
from tests.support.staff_accounts import PASSWORD, make_staff
from tests.support.widget_page import HOST

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOG = "frontdesk-widget .fd-log"
TIMEOUT = 30000


@pytest.fixture
def servers(sqlite_url: str, tmp_path: Path):
    """The Frontdesk app on a real socket and the demo host page on a second origin."""
    app = create_app(app_config(sqlite_url, tmp_path))
    db = app.extensions["frontdesk.db"]
    server = LiveServer(app)
    key = "pk_" + secrets.token_hex(8)
    host = LiveServer(create_demo_host_app(server.url, key))
    site = make_site(db, public_key=key, name="Harbour Test", origins=(host.url,))
    make_staff(db, site.id, "ana@studio.test")
    server.start()
    host.start()
    yield server, host, site, db
    host.stop()
    server.stop()
    db.dispose()


def watch_problems(page) -> list[str]:
    """Collect uncaught errors and CSP violations of a page."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return problems


# -- the visitor's widget ------------------------------------------------------------------------


def count(page, selector: str) -> int:
    return page.locator(f"{LOG} {selector}").count()


def wait_more(page, selector: str, before: int) -> None:
    """Wait until the widget shows more than `before` messages matching `selector`."""
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelectorAll('.fd-log {selector}').length > {before}",
        timeout=TIMEOUT,
    )


def open_widget(page, host_url: str) -> None:
    page.goto(host_url + "/")
    page.locator("frontdesk-widget .fd-launcher").click()
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-panel')?.dataset.connection === 'online'",
        timeout=TIMEOUT,
    )


def say(page, text: str) -> None:
    page.locator("frontdesk-widget .fd-input").fill(text)
    page.keyboard.press("Enter")


def book_with_chips(page) -> None:
    """Book a consultation with the offline engine: chips, name, e-mail, Confirm."""
    before = count(page, ".fd-assistant")
    say(page, "I'd like to book a consultation")
    wait_more(page, ".fd-assistant", before)
    for _ in range(10):  # service, day, time, name, e-mail, confirm: bounded
        reply = page.locator(f"{LOG} .fd-assistant").last
        if page.locator(f"{LOG} .fd-card-booking_confirmed").count():
            return
        before = count(page, ".fd-assistant")
        confirm = reply.get_by_role("button", name="Confirm")
        text = reply.inner_text()
        if confirm.count():
            confirm.click()
        elif re.search(r"\bname\b", text, re.I):
            say(page, "Ada Lovelace")
        elif re.search(r"e-?mail", text, re.I):
            say(page, "ada@example.com")
        else:
            chips = page.locator("frontdesk-widget .fd-chip")
            assert chips.count(), f"no way forward from: {text}"
            chips.first.click()
        wait_more(page, ".fd-assistant", before)
    raise AssertionError("the booking was not confirmed")


def silent_while_staff(db, conversation_id: int) -> bool:
    """No assistant message between the staff reply and the hand-back note."""
    from frontdesk.db.models import Message

    with db.session() as session:
        rows = session.execute(
            select(Message.role, Message.text)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.seq)
        ).all()
    roles = [role for role, _text in rows]
    start = roles.index("staff")
    end = next(i for i, (role, text) in enumerate(rows) if "back to help" in text and i > start)
    assert "visitor" in roles[start:end]
    return "assistant" not in roles[start:end]


# -- staff -----------------------------------------------------------------------------------


def staff_sign_in(page, server_url: str) -> None:
    page.goto(f"{server_url}/staff/signin")
    page.get_by_label("E-mail").fill("ana@studio.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/staff/(?!signin)"))


def test_visitor_books_staff_reschedule_take_over_reply_and_hand_back(browser, servers):
    from frontdesk.db.models import Booking

    server, host, site, db = servers
    visitor_ctx = browser.new_context()
    staff_ctx = browser.new_context()
    visitor = visitor_ctx.new_page()
    staff = staff_ctx.new_page()
    problems = watch_problems(visitor)
    staff_problems = watch_problems(staff)
    try:
        open_widget(visitor, host.url)
        book_with_chips(visitor)
        with db.session() as session:
            booking = session.scalars(select(Booking)).one()
        first_start = booking.start

        # Staff see the booking in the bookings list and move it to another free time.
        staff_sign_in(staff, server.url)
        staff.goto(f"{server.url}/staff/{site.public_key}/bookings/")
        assert "Ada Lovelace" in staff.locator("main").inner_text()
        staff.locator(f"main a[href*='{booking.public_id}']").first.click()
        staff.wait_for_url(re.compile(booking.public_id))
        for _ in range(7):  # late in the day the booked day has no free time left: step on
            if staff.locator("input[name=slot]").count():
                break
            staff.get_by_role("link", name=re.compile("Next day")).click()
            staff.wait_for_load_state()
        staff.locator("input[name=slot]").first.check()
        staff.get_by_role("button", name=re.compile("Move the booking")).click()
        staff.get_by_text(re.compile("Moved to")).wait_for()
        with db.session() as session:
            moved = session.scalars(select(Booking)).one()
        assert moved.start != first_start

        # From the booking to its live conversation; take it over.
        staff.get_by_role("link", name="Open the full conversation").click()
        staff.locator("#staff-live[data-state='live']").wait_for(state="attached")
        assert booking.public_id in staff.locator(".linked-bookings").inner_text()
        assert staff.locator(".entry--tool_call").count() > 0  # the audit of what the AI did
        before = count(visitor, ".fd-system")
        staff.get_by_role("button", name="Take over").click()
        staff.locator("#conversation-status[data-status='staff']").wait_for(state="attached")
        wait_more(visitor, ".fd-system", before)
        assert "joined the chat" in visitor.locator(f"{LOG} .fd-system").last.inner_text()

        # The staff reply (sent over /ws/staff) reaches the widget.
        staff.locator("#staff-live[data-state='live']").wait_for(state="attached")
        before = count(visitor, ".fd-staff")
        staff.get_by_label(re.compile("Reply as")).fill("Hi Ada, Ana from the studio here.")
        staff.get_by_role("button", name="Send").click()
        staff.locator(".reply-note", has_text="Sent.").wait_for()  # acked over the socket
        wait_more(visitor, ".fd-staff", before)
        assert "Ana from the studio" in visitor.locator(f"{LOG} .fd-staff").last.inner_text()

        # The visitor answers; staff see it live, and the bot stays silent.
        assistant_before = count(visitor, ".fd-assistant")
        say(visitor, "Thanks, can I bring a colleague?")
        staff.locator("#transcript .entry--visitor", has_text="bring a colleague").wait_for()
        staff.get_by_role("button", name=re.compile("Hand back")).click()
        staff.locator("#conversation-status[data-status='bot']").wait_for(state="attached")
        assert silent_while_staff(db, moved.conversation_id)

        # Handed back: the assistant answers again.
        say(visitor, "What services do you offer?")
        wait_more(visitor, ".fd-assistant", assistant_before)
        assert staff_problems == [] and problems == []
    finally:
        visitor_ctx.close()
        staff_ctx.close()


def test_the_inbox_puts_a_visitor_asking_for_a_person_first_live(browser, servers, tmp_path):
    server, host, site, _db = servers
    visitor_ctx, silent_ctx = browser.new_context(), browser.new_context()
    staff_ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    visitor, silent = visitor_ctx.new_page(), silent_ctx.new_page()
    staff = staff_ctx.new_page()
    staff_problems = watch_problems(staff)
    try:
        staff_sign_in(staff, server.url)
        staff.goto(f"{server.url}/staff/{site.public_key}/conversations/")
        staff.locator("#staff-live[data-state='live']").wait_for(state="attached")
        assert staff.locator("#conv-list li").count() == 0
        assert staff.locator("#inbox-empty").is_visible()
        # A widget opened and left silent is no conversation: its live event (sent before the
        # other visitor's, and handled in order) adds no row.
        open_widget(silent, host.url)
        open_widget(visitor, host.url)
        say(visitor, "I'd like to talk to a person")
        # By the time staff look the assistant's reply may stand as the row's preview (it did
        # in a CI run): wait for it, so the row is found by what it is, not by a passing state.
        visitor.locator(".fd-assistant", has_text="let the team know").wait_for()
        item = staff.locator("#conv-list li")
        item.locator(".badge", has_text="Needs a person").wait_for()  # over /ws/staff
        assert item.count() == 1  # the silent visitor's widget is not listed
        assert item.locator(".badge", has_text="Live").count() == 1  # no reload needed
        assert staff.locator("#inbox-empty").is_hidden()
        staff.locator("#waiting-count", has_text="1").wait_for()
        assert staff.title().startswith("(1) ")
        assert staff.locator("[data-waiting-count]").inner_text().strip().endswith("1")
        staff.screenshot(path=str(tmp_path / "inbox-waiting.png"))
        item.get_by_role("link").click()
        staff.wait_for_url(re.compile(r"/conversations/c_"))
        with _db.session() as session:  # onboarding's "script tag installed", from the widget
            assert session.get(Site, site.id).widget_seen_origin == host.url
        assert "talk to a person" in staff.locator("#transcript").inner_text()
        assert staff.locator(".entry--tool_call", has_text="request_human").count() == 1
        assert staff.locator("#conversation-status").get_attribute("data-status") == "needs_human"
        assert staff.get_by_role("button", name="Take over").is_visible()
        staff.screenshot(path=str(tmp_path / "inbox-open.png"))
        assert staff_problems == []
    finally:
        silent_ctx.close()
        visitor_ctx.close()
        staff_ctx.close()


RECORD_NOTIFICATIONS = """
window.__alerts = [];
const granted = window.Notification ? window.Notification.permission : "default";
window.Notification = function (title, options) {
  window.__alerts.push({ title: title, body: (options || {}).body || "" });
  this.close = function () {};
};
window.Notification.permission = granted;
window.Notification.requestPermission = function () { return Promise.resolve(granted); };
"""


def test_desktop_alerts_are_off_until_turned_on_then_name_who_asks(browser, servers, tmp_path):
    server, host, site, _db = servers
    staff_ctx = browser.new_context(permissions=["notifications"])  # as after "Allow"
    staff_ctx.add_init_script(RECORD_NOTIFICATIONS)
    first_ctx, second_ctx = browser.new_context(), browser.new_context()
    staff = staff_ctx.new_page()
    try:
        staff_sign_in(staff, server.url)
        staff.goto(f"{server.url}/staff/{site.public_key}/")
        staff.locator("#staff-live[data-state='live']").wait_for(state="attached")
        toggle = staff.get_by_role("button", name=re.compile("Desktop alerts"))
        assert toggle.inner_text() == "Desktop alerts: off"  # off by default

        first = first_ctx.new_page()
        open_widget(first, host.url)
        say(first, "I'd like to talk to a person")
        staff.locator("#staff-live[data-waiting='1']").wait_for(state="attached")
        assert staff.title().startswith("(1) ")
        assert staff.evaluate("window.__alerts") == []  # counted, but no alert while off

        toggle.click()
        staff.get_by_role("button", name="Desktop alerts: on").wait_for()
        assert toggle.get_attribute("aria-pressed") == "true"
        second = second_ctx.new_page()
        open_widget(second, host.url)
        say(second, "Can a human help me please?")
        # Polled from here: the dashboard's CSP rightly refuses wait_for_function's eval.
        for _ in range(300):
            if staff.evaluate("window.__alerts.length"):
                break
            staff.wait_for_timeout(100)
        [alert] = staff.evaluate("window.__alerts")
        assert alert["title"].endswith("asks for a person")
        staff.locator("#staff-live[data-waiting='2']").wait_for(state="attached")
        assert staff.title().startswith("(2) ")
        staff.screenshot(path=str(tmp_path / "alerts-on.png"))
    finally:
        for context in (staff_ctx, first_ctx, second_ctx):
            context.close()


def _drawn(page) -> str:
    """The transcript's HTML, with the CSRF tokens and the spacing between tags left out."""
    html = page.locator("#transcript").inner_html()
    return re.sub(r"\s+", " ", re.sub(r'name="csrf_token" value="[^"]*"', "", html)).strip()


def test_live_entries_and_rows_are_drawn_as_after_a_reload(browser, servers, tmp_path):
    server, host, site, _db = servers
    visitor_ctx = browser.new_context()
    staff_ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    visitor, staff = visitor_ctx.new_page(), staff_ctx.new_page()
    staff_problems = watch_problems(staff)
    try:
        staff_sign_in(staff, server.url)
        open_widget(visitor, host.url)
        say(visitor, "hello")
        wait_more(visitor, ".fd-assistant", 0)
        staff.goto(f"{server.url}/staff/{site.public_key}/conversations/")
        staff.locator("#conv-list li a").first.click()
        staff.locator("#staff-live[data-state='live']").wait_for(state="attached")
        book_with_chips(visitor)  # tool calls, a proposal card and a confirmed card, live
        staff.locator("#transcript .card-note", has_text="Booking confirmed").wait_for()
        staff.locator("#conv-title", has_text="Ada Lovelace").wait_for()  # named by the booking
        live = _drawn(staff)
        assert staff.locator("#transcript .card-note", has_text="Booking to confirm").count() == 1
        assert staff.locator("#transcript .entry--tool_call").count() >= 2
        staff.screenshot(path=str(tmp_path / "live-transcript.png"))
        staff.reload()
        staff.locator("#staff-live[data-state='live']").wait_for(state="attached")
        assert _drawn(staff) == live  # the same entries, drawn the same way
        assert staff.locator("#conv-title").inner_text() == "Ada Lovelace"

        # The list while the visitor writes on: the unread count stays on the preview line.
        staff.goto(f"{server.url}/staff/{site.public_key}/conversations/")
        staff.locator("#staff-live[data-state='live']").wait_for(state="attached")
        before = count(visitor, ".fd-assistant")
        say(visitor, "cancel my booking")
        wait_more(visitor, ".fd-assistant", before)
        before = count(visitor, ".fd-assistant")
        visitor.locator(f"{LOG} .fd-assistant").last.get_by_role(
            "button", name="Cancel booking"
        ).click()
        wait_more(visitor, ".fd-assistant", before)
        row = staff.locator("#conv-list li").first  # the cancellation alone updates it
        row.locator(".badge", has_text="Booking cancelled").wait_for()
        row.locator(".conv-item__unread").wait_for()
        staff.locator("#conv-list").screenshot(path=str(tmp_path / "live-row.png"))
        live_row = row.inner_text()
        for drawn in ("live", "reloaded"):
            unread = row.locator(".conv-item__unread").bounding_box()
            preview = row.locator(".conv-item__preview").bounding_box()
            meta = row.locator(".conv-item__meta").bounding_box()
            badge = row.locator(".conv-item__meta .badge").first.bounding_box()
            assert (
                abs(unread["y"] + unread["height"] / 2 - preview["y"] - preview["height"] / 2) < 3
            )
            assert meta["height"] < 2 * badge["height"], drawn  # the badges keep to one line
            assert row.locator(".conv-item__presence", has_text="Live").count() == 1
            if drawn == "live":
                staff.reload()
                staff.locator("#staff-live[data-state='live']").wait_for(state="attached")
                row = staff.locator("#conv-list li").first
        assert row.inner_text() == live_row
        assert staff_problems == []
    finally:
        visitor_ctx.close()
        staff_ctx.close()
