"""The People page in Chromium: add a person, give them hours and time off, make the
consultation theirs and Tom's round-robin, see it offered, filter bookings by person and read
their private feed; axe finds nothing serious. Screenshots go to the test's tmp folder."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, time, timedelta

import pytest

from frontdesk import create_app
from tests.support.apps import QUEUE_ONLY_SMTP, app_config
from tests.support.bookings import VISITOR, booking_request
from tests.support.factories import make_site
from tests.support.servers import LiveServer
from tests.support.staff_accounts import make_staff
from tests.support.staff_pages import DESKTOP, PHONE, serious_axe_violations, staff_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def dashboard(sqlite_url, tmp_path):
    config = app_config(sqlite_url, tmp_path, SMTP_URL=QUEUE_ONLY_SMTP)
    app = create_app(config)
    db = app.extensions["frontdesk.db"]
    site = make_site(
        db, name="Harbour Studio", timezone="Europe/London", hours=((time(9), time(17)),)
    )
    make_staff(db, site.id)
    server = LiveServer(app).start()
    yield server, site, app
    server.stop()
    db.dispose()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_people_page_adds_a_person_with_hours_time_off_and_a_service(
    browser, dashboard, tmp_path, size
):
    server, site, app = dashboard
    page = staff_page(browser, server.url, DESKTOP if size == "desktop" else PHONE)
    page.goto(f"{server.url}/staff/{site.public_key}/hosts/")
    assert page.locator(".hosts-list tbody tr").count() == 1  # the studio's own first host
    for name in ("Mia Chen", "Tom Reyes"):
        page.goto(f"{server.url}/staff/{site.public_key}/hosts/")
        page.fill("#host-name", name)
        page.fill("#host-email", f"{name.split()[0].lower()}@harbour.test")
        page.get_by_role("button", name="Add", exact=True).click()
        assert "Person added." in page.inner_text("main")
    # Tom's page now: hours of his own, a day off.
    page.fill("#day0", "10:00-12:00")
    page.fill("#day1", "nonsense")
    page.get_by_role("button", name="Save hours").click()
    assert "Write hours like 09:00-12:00" in page.inner_text("main")
    page.fill("#day0", "10:00-12:00")  # nothing was saved: the form is as it was
    page.fill("#day1", "13:00-16:00")
    page.get_by_role("button", name="Save hours").click()
    assert "Hours saved." in page.inner_text("main")
    assert page.input_value("#day0") == "10:00-12:00"
    day_off = (datetime.now(UTC) + timedelta(days=9)).date().isoformat()
    page.fill("#off-first", day_off)
    page.fill("#off-note", "Conference")
    page.get_by_role("button", name="Add time off").click()
    assert "Conference" in page.inner_text(".host-time-off")
    # In the person's zone and in words, not raw UTC timestamps.
    off_text = page.inner_text(".host-time-off")
    assert "UTC" not in off_text and " time" in off_text and day_off not in off_text
    if size == "desktop":  # the week's days side by side, as the site's opening hours
        first, second = page.locator("#day0").bounding_box(), page.locator("#day1").bounding_box()
        assert first["y"] == second["y"]
    feed = page.input_value("#host-feed")
    page.screenshot(path=str(tmp_path / f"host-{size}.png"), full_page=True)
    assert serious_axe_violations(page) == []

    page.goto(f"{server.url}/staff/{site.public_key}/hosts/")
    team = page.locator('form.service-team[data-service="consult"]')
    team.get_by_label("Mia Chen").check()
    team.get_by_label("Tom Reyes").check()
    team.get_by_label("How they share it").select_option("round_robin")
    team.get_by_role("button", name="Save Consultation").click()
    assert "Saved who offers the service." in page.inner_text("main")
    rows = page.inner_text(".hosts-list")
    assert "Mia Chen" in rows and "Tom Reyes" in rows
    page.screenshot(path=str(tmp_path / f"people-{size}.png"), full_page=True)
    assert serious_axe_violations(page) == []

    # The consultation is now theirs: a booking goes to one of them, and the filter finds it.
    bookings = app.extensions["frontdesk.bookings"]
    slot = bookings.team_slots(site.id, "consult", *_next_week())[0]
    names = {"Mia Chen", "Tom Reyes"}
    made = bookings.create(site.id, booking_request(slot.slot.start), VISITOR).booking
    host = bookings.get(made.public_id).hosts[0].host
    assert host.name in names
    page.goto(f"{server.url}/staff/{site.public_key}/bookings/?host={host.public_id}")
    assert "Ada Lovelace" in page.inner_text("main")
    other = next(
        h
        for h in page.locator("select[name=host] option").all_inner_texts()
        if h in names - {host.name}
    )
    page.select_option("select[name=host]", label=other)
    page.get_by_role("button", name="Filter").click()
    assert "Ada Lovelace" not in page.inner_text("main")
    assert page.problems == []
    with urllib.request.urlopen(feed) as response:  # noqa: S310 - the test's own server
        body = response.read().decode()
    assert body.startswith("BEGIN:VCALENDAR")  # Tom's feed: the booking is there if his
    assert (made.public_id in body) == (host.name == "Tom Reyes")


def _next_week():
    today = datetime.now(UTC).date()
    return today + timedelta(days=2), today + timedelta(days=9)
