"""The bookings time grid in Chromium, at desktop and phone sizes: blocks where their times are,
today and the now-line, a click on a block opening the booking, a click on empty time adding a
phone booking, blocked time, notes and outcomes; axe finds nothing serious. Screenshots go to
the test's tmp folder."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from frontdesk import create_app
from frontdesk.audit import Actor
from frontdesk.booking.service import BookingRequest
from frontdesk.booking.zones import zone_label
from tests.support.apps import QUEUE_ONLY_SMTP, app_config
from tests.support.bookings import mid_morning_zone
from tests.support.factories import make_site
from tests.support.servers import LiveServer
from tests.support.staff_accounts import make_staff
from tests.support.staff_pages import (
    DESKTOP,
    PHONE,
    no_horizontal_scroll,
    serious_axe_violations,
    staff_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
VISITOR = Actor("visitor", id="v-1")


def _book(bookings, site, start, name, *, service="consult", now=None, email="x@example.com"):
    request = BookingRequest(
        service=service, start=start, name=name, email=email, visitor_tz="America/New_York"
    )
    return bookings.create(site.id, request, VISITOR, now=now, by_staff=True).booking


@pytest.fixture
def calendar(sqlite_url, tmp_path):
    """A site open all day, every day, where it is mid-morning now, with bookings around now:
    one past, two later today, one cancelled."""
    zone = mid_morning_zone()
    config = app_config(sqlite_url, tmp_path, SMTP_URL=QUEUE_ONLY_SMTP)
    app = create_app(config)
    db = app.extensions["frontdesk.db"]
    bookings = app.extensions["frontdesk.bookings"]
    site = make_site(
        db,
        name="Harbour Studio",
        timezone=zone,
        hours=((time(0), time(23, 55)),),
        weekdays=range(7),
    )
    make_staff(db, site.id)
    now = datetime.now(UTC).astimezone(ZoneInfo(zone))
    soon = (now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    earlier = (now - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    past = _book(bookings, site, earlier, "Paula Past", now=earlier - timedelta(hours=1))
    later = _book(bookings, site, soon, "Grace Hopper", service="workshop")
    _book(bookings, site, soon + timedelta(hours=2), "Alan Turing")
    gone = _book(bookings, site, soon + timedelta(hours=4), "Carl Cancelled")
    bookings.cancel(gone.public_id, VISITOR)
    server = LiveServer(app).start()
    yield server, site, {"past": past, "later": later, "gone": gone}, now
    server.stop()
    db.dispose()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_week_grid_blocks_today_and_now(browser, calendar, tmp_path, size):
    server, site, made, now = calendar
    page = staff_page(browser, server.url, DESKTOP if size == "desktop" else PHONE)
    page.goto(f"{server.url}/staff/{site.public_key}/bookings/week")
    assert page.locator(".tgrid__colhead.is-today").count() == 1
    assert f"Times in {zone_label(site.timezone)}." in page.inner_text("main")
    assert page.locator(".tnow").count() == 1
    items = page.locator(".titem")
    assert items.filter(has_text="Grace Hopper").count() == 1
    assert items.filter(has_text="Carl Cancelled").count() == 0  # hidden unless asked for
    # A block cut short by a narrow column says it in full on hover.
    assert "Grace Hopper · " in items.filter(has_text="Grace Hopper").get_attribute("title")
    # The workshop (90 min) is three times as tall as a 30-minute consultation.
    grace = items.filter(has_text="Grace Hopper").bounding_box()
    alan = items.filter(has_text="Alan Turing").bounding_box()
    assert grace["height"] == pytest.approx(3 * alan["height"], rel=0.15)
    assert alan["y"] > grace["y"] + grace["height"] - 2  # later in the day is further down
    now_line = page.locator(".tnow").bounding_box()
    assert now_line["y"] < grace["y"]  # now comes before the booking two hours ahead
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / f"week-{size}.png"))
    assert serious_axe_violations(page) == []
    page.goto(f"{server.url}/staff/{site.public_key}/bookings/week?cancelled=1")
    assert page.locator(".titem--cancelled", has_text="Carl Cancelled").count() == 1
    assert page.problems == []


@pytest.mark.parametrize("view", ["week", "day"])
def test_every_hour_label_is_in_full_view_on_its_line(browser, calendar, tmp_path, view):
    """With the grid at its top, the first hour label is wholly below the sticky day headings,
    and every label sits on its hour's line the same way (none is nudged off it)."""
    server, site, _, _ = calendar
    page = staff_page(browser, server.url, DESKTOP)
    page.goto(f"{server.url}/staff/{site.public_key}/bookings/{view}")
    page.evaluate("document.querySelector('.tgrid-scroll').scrollTop = 0")
    head = page.locator(".tgrid__head").bounding_box()
    hours = page.locator(".tgrid__hour")
    tops = [hours.nth(i).bounding_box()["y"] for i in range(3)]
    assert tops[0] >= head["y"] + head["height"]
    assert tops[1] - tops[0] == pytest.approx(tops[2] - tops[1], abs=0.5)
    page.locator(".tgrid-scroll").screenshot(path=str(tmp_path / f"hours-{view}.png"))


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_day_view_click_a_block_and_mark_the_outcome(browser, calendar, tmp_path, size):
    server, site, made, now = calendar
    page = staff_page(browser, server.url, DESKTOP if size == "desktop" else PHONE)
    page.goto(f"{server.url}/staff/{site.public_key}/bookings/day")
    assert page.locator(".tgrid__colhead.is-today").count() == 1
    page.screenshot(path=str(tmp_path / f"day-{size}.png"))
    assert serious_axe_violations(page) == []
    page.locator(".titem", has_text="Paula Past").click()
    page.wait_for_url(f"**/bookings/{made['past'].public_id}")
    page.get_by_role("button", name="No-show").click()
    assert "Marked as a no-show." in page.inner_text("main")
    page.fill("#staff_notes", "Called twice, no answer.")
    page.get_by_role("button", name="Save notes").click()
    history = page.inner_text("#audit-trail")
    assert "Marked as a no-show" in history and "Changed the notes" in history
    assert "Booked for" in history and "+00:00" not in history
    assert page.input_value("#staff_notes") == "Called twice, no answer."
    page.screenshot(path=str(tmp_path / f"booking-{size}.png"), full_page=True)
    assert serious_axe_violations(page) == []
    assert page.problems == []


def test_click_empty_time_books_by_phone_and_blocks_time(browser, calendar, tmp_path):
    server, site, made, now = calendar
    page = staff_page(browser, server.url, DESKTOP)
    tomorrow = (now + timedelta(days=1)).date()
    # Tomorrow's week: on a Sunday, tomorrow is in next week's grid.
    page.goto(f"{server.url}/staff/{site.public_key}/bookings/week?week={tomorrow.isoformat()}")
    slot = page.locator(f'.tadd[href*="start={tomorrow.isoformat()}T10:00"]')
    # The grid opens at the current hour, so 10:00 may sit above the view, under the sticky
    # day headings; a person scrolls it into the middle before clicking, and so does the test.
    slot.evaluate("el => el.scrollIntoView({block: 'center'})")
    slot.hover()
    slot.click()
    page.wait_for_url("**/bookings/new?start=*")
    assert page.input_value("#f-day") == tomorrow.isoformat()
    assert page.input_value("#f-time") == "10:00"
    page.fill("#f-name", "Phone Caller")
    page.fill("#f-email", "not an address")
    page.get_by_role("button", name="Book", exact=True).click()
    assert page.locator(".field--invalid #f-email").count() == 1
    page.screenshot(path=str(tmp_path / "new-booking-error.png"), full_page=True)
    assert serious_axe_violations(page) == []
    page.fill("#f-email", "")
    page.fill("#f-phone", "+44 20 7946 0000")
    page.get_by_role("button", name="Book", exact=True).click()
    assert "Booked Phone Caller for" in page.inner_text("main")
    assert "No e-mail was sent" in page.inner_text("main")

    page.goto(f"{server.url}/staff/{site.public_key}/bookings/block?start={tomorrow}T12:00")
    assert serious_axe_violations(page) == []
    page.fill("#f-note", "Lunch")
    page.get_by_role("button", name="Block this time").click()
    page.wait_for_url("**/bookings/week?week=*")
    blocked = page.locator(".titem--blocked", has_text="Lunch")
    assert blocked.count() == 1
    page.screenshot(path=str(tmp_path / "week-with-block.png"))
    blocked.click()
    assert serious_axe_violations(page) == []
    page.locator("summary", has_text="Free this time").click()
    page.screenshot(path=str(tmp_path / "free-block-confirm.png"))
    page.get_by_role("button", name="Yes, free it").click()
    assert "The time is free again." in page.inner_text("main")
    assert page.locator(".titem--blocked").count() == 0
    assert page.problems == []
