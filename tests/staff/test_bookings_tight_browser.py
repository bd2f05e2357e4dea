"""The bookings pages where room is short: a 45-minute block in the time grid gives the
visitor's name and time whole (its third line used to show cut in half); a team's week, where
each person's column is ~40 px wide, gives the visitor's name rather than "09…"; and on a phone
the bookings list is a card per booking (its status was off to the side of a scrolling table)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from frontdesk import create_app
from frontdesk.audit import Actor
from frontdesk.booking.service import BookingRequest
from frontdesk.db.models import Service
from tests.support.apps import QUEUE_ONLY_SMTP, app_config
from tests.support.bookings import mid_morning_zone
from tests.support.factories import make_site
from tests.support.hosts import add_hosts
from tests.support.servers import LiveServer
from tests.support.staff_accounts import make_staff
from tests.support.staff_pages import DESKTOP, PHONE, staff_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Each line (span) of a block: shown whole, or out of sight (wrapped beside the block), never
# cut by the block's bottom edge; and its text when it is in sight.
LINES = """block => {
  const box = block.getBoundingClientRect();
  const shown = [...block.children].filter(s => s.getClientRects().length);
  shown.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
  return shown.map(s => {
    const r = s.getBoundingClientRect();
    const beside = r.left >= box.right - 1;
    return {text: s.textContent, shown: !beside && r.bottom <= box.bottom + 0.5,
            cut: !beside && r.top < box.bottom && r.bottom > box.bottom + 0.5};
  });
}"""


@pytest.fixture
def grid(sqlite_url, tmp_path):
    """A site where it is mid-morning now, with a 45-minute service booked two hours ahead."""
    zone = mid_morning_zone()
    app = create_app(app_config(sqlite_url, tmp_path, SMTP_URL=QUEUE_ONLY_SMTP))
    db, bookings = app.extensions["frontdesk.db"], app.extensions["frontdesk.bookings"]
    site = make_site(db, timezone=zone, hours=((time(0), time(23, 55)),), weekdays=range(7))
    with db.transaction() as session:
        session.add(Service(site_id=site.id, slug="review", name="Design review", duration_min=45))
    make_staff(db, site.id)
    soon = datetime.now(UTC).astimezone(ZoneInfo(zone)) + timedelta(hours=2)
    start = soon.replace(minute=0, second=0, microsecond=0)
    request = BookingRequest(service="review", start=start, name="Grace Hopper",
                             email="grace@example.com", visitor_tz=zone)  # fmt: skip
    bookings.create(site.id, request, Actor("visitor", id="v-1"), by_staff=True)
    server = LiveServer(app).start()
    yield server, site, db
    server.stop()
    db.dispose()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_45_minute_block_shows_whole_lines_the_visitors_name_first(browser, grid, size):
    server, site, _db = grid
    page = staff_page(browser, server.url, DESKTOP if size == "desktop" else PHONE)
    page.goto(f"{server.url}/staff/{site.public_key}/bookings/day")
    lines = page.locator(".titem", has_text="Grace Hopper").evaluate(LINES)
    assert not [line for line in lines if line["cut"]], lines
    shown = [line["text"] for line in lines if line["shown"]]
    assert shown[0] == "Grace Hopper"
    assert len(shown) >= 2 and shown[1].endswith(":45")  # and its time, "10:00–10:45"
    assert page.problems == []


def test_a_teams_week_gives_the_visitors_name_and_their_person(browser, grid, tmp_path):
    server, site, db = grid
    add_hosts(db, site, ["Mia Chen", "Priya Nair"], service="consult")  # three people a day
    page = staff_page(browser, server.url, DESKTOP)
    page.goto(f"{server.url}/staff/{site.public_key}/bookings/week")
    assert page.locator(".tgrid--team").count() == 1
    block = page.locator(".titem", has_text="Grace Hopper")
    page.locator(".tgrid-scroll").screenshot(path=str(tmp_path / "team-week.png"))
    assert block.bounding_box()["width"] >= 100  # a day's width, not a person's sliver of it
    lines = block.evaluate(LINES)
    assert not [line for line in lines if line["cut"]], lines
    shown = [line["text"] for line in lines if line["shown"]]
    assert shown[0] == "Grace Hopper" and len(shown) >= 2  # and whom it is with, or when
    assert page.problems == []


def test_on_a_phone_the_list_shows_each_bookings_status_without_sideways_scrolling(
    browser, grid, tmp_path
):
    server, site, db = grid
    add_hosts(db, site, ["Mia Chen", "Priya Nair"], service="consult")  # a "With" column too
    page = staff_page(browser, server.url, PHONE)
    page.goto(f"{server.url}/staff/{site.public_key}/bookings/")
    table = page.locator("#booking-list")
    table.screenshot(path=str(tmp_path / "list-phone.png"))
    assert table.evaluate("t => t.scrollWidth - t.clientWidth") == 0
    status = table.locator("td", has_text="Confirmed")
    box, view = status.bounding_box(), page.viewport_size
    assert box["x"] >= 0 and box["x"] + box["width"] <= view["width"]
    assert "Status" in status.evaluate("td => getComputedStyle(td, '::before').content")
    assert page.problems == []
