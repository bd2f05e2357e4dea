"""The dashboard's calendars page for a host, on a real Radicale and a local feed server:
connecting, choosing calendars, the booking written back, errors shown, passwords never shown
again, and other sites' staff kept out."""

from __future__ import annotations

import caldav
import pytest
from sqlalchemy import select

from frontdesk.audit import Actor
from frontdesk.booking.event_text import booking_uid
from frontdesk.db.models import AuditEvent, CalendarConnection, Host, SiteHost
from tests.support.bookings import booking_request, upcoming_starts
from tests.support.forms import csrf_from
from tests.support.radicale import PASSWORD, USER
from tests.support.staff_accounts import make_staff, sign_in

pytestmark = pytest.mark.app_config(CALENDAR_ALLOW_PRIVATE_URLS=True)


def host_key(db, site) -> str:
    with db.session() as session:
        return session.scalar(
            select(Host.public_id).join(SiteHost).where(SiteHost.site_id == site.id)
        )


def page_url(site, key: str) -> str:
    return f"/staff/{site.public_key}/calendars/{key}/"


def post(client, url: str, page: str, data: dict):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_connect_caldav_choose_and_the_booking_lands_in_radicale(
    app, db, site, signed_in, radicale
):
    work = (
        caldav.DAVClient(url=radicale.url, username=USER, password=PASSWORD)
        .principal()
        .make_calendar(name="Work")
    )
    key = host_key(db, site)
    page = page_url(site, key)
    answer = post(
        signed_in,
        page + "connect",
        page,
        {"kind": "caldav", "url": radicale.url, "username": USER, "password": PASSWORD},
    )
    assert answer.status_code == 302 and answer.location.endswith("/choose")
    choose_page = signed_in.get(answer.location).get_data(as_text=True)
    assert "Work" in choose_page
    answer = post(
        signed_in,
        answer.location,
        answer.location,
        {"busy": str(work.url), "write": str(work.url)},
    )
    assert answer.status_code == 302
    shown = signed_in.get(page).get_data(as_text=True)
    assert 'Bookings written to</dt><dd class="write-calendar">Work' in shown
    assert "never" not in shown.split('class="last-sync"')[1][:40]
    assert PASSWORD not in shown  # never shown again
    with db.session() as session:
        assert PASSWORD.encode() not in bytes(session.scalar(select(CalendarConnection.secret)))

    bookings = app.extensions["frontdesk.bookings"]
    start = upcoming_starts(bookings, site)[0]
    booked = bookings.create(site.id, booking_request(start), Actor("visitor", "v"))
    assert app.extensions["frontdesk.calendar_writer"].send_due() == 1
    [event] = [
        e for e in work.events() if str(e.icalendar_component["UID"]) == booking_uid(booked.booking)
    ]
    assert event.icalendar_component.decoded("DTSTART") == start


def test_a_feed_that_is_not_a_calendar_is_refused_and_nothing_saved(db, site, signed_in, feeds):
    page = page_url(site, host_key(db, site))
    url = feeds.set("/login", "<html>Please sign in</html>")
    answer = post(signed_in, page + "connect", page, {"kind": "ics", "url": url})
    assert answer.status_code == 302
    shown = signed_in.get(page).get_data(as_text=True)
    assert "did not return a calendar" in shown
    with db.session() as session:
        assert session.scalar(select(CalendarConnection.id)) is None
        assert session.scalar(select(AuditEvent.id)) is None  # nothing saved, nothing audited


def test_a_feed_error_is_shown_with_old_data_kept(app, db, site, signed_in, feeds):
    from tests.support.ical_samples import OUTLOOK

    page = page_url(site, host_key(db, site))
    url = feeds.set("/cal.ics", OUTLOOK)
    post(signed_in, page + "connect", page, {"kind": "ics", "url": url})
    shown = signed_in.get(page).get_data(as_text=True)
    assert "secret address hidden" in shown and "/cal.ics" not in shown
    feeds.set("/cal.ics", "oops", 500)
    with db.session() as session:
        connection_id = session.scalar(select(CalendarConnection.id))
    post(signed_in, page + f"{connection_id}/sync", page, {})
    shown = signed_in.get(page).get_data(as_text=True)
    assert "Last sync failed" in shown and "500" in shown and "last known busy times" in shown


@pytest.mark.app_config(CALENDAR_ALLOW_PRIVATE_URLS=False)
def test_loopback_addresses_are_refused_without_the_setting(db, site, signed_in, feeds):
    page = page_url(site, host_key(db, site))
    post(signed_in, page + "connect", page, {"kind": "ics", "url": feeds.set("/a.ics", "x")})
    assert "private or local address" in signed_in.get(page).get_data(as_text=True)
    assert feeds.requests == []


def test_other_sites_staff_get_404(db, site, client, app):
    from tests.support.factories import make_site

    other = make_site(db, name="Other")
    make_staff(db, other.id, email="eve@other.test")
    assert sign_in(client, email="eve@other.test").status_code == 302
    key = host_key(db, site)
    assert client.get(page_url(other, key)).status_code == 404
    assert client.get(page_url(site, key)).status_code == 404


def test_the_calendars_section_lists_the_sites_hosts(db, site, signed_in):
    shown = signed_in.get(f"/staff/{site.public_key}/calendars/").get_data(as_text=True)
    assert f"/staff/{site.public_key}/calendars/{host_key(db, site)}/" in shown
    assert "none connected" in shown


def test_removing_a_calendar_forgets_it_and_its_busy_times(db, site, signed_in, feeds):
    from frontdesk.db.models import CalendarBusy
    from tests.support.ical_samples import OUTLOOK

    page = page_url(site, host_key(db, site))
    post(signed_in, page + "connect", page, {"kind": "ics", "url": feeds.set("/c.ics", OUTLOOK)})
    with db.session() as session:
        connection_id = session.scalar(select(CalendarConnection.id))
        assert session.scalar(select(CalendarBusy.id)) is not None
    assert post(signed_in, page + f"{connection_id}/remove", page, {}).status_code == 302
    with db.session() as session:
        assert session.scalar(select(CalendarConnection.id)) is None
        assert session.scalar(select(CalendarBusy.id)) is None
        # Each change left its audit entry, written with it.
        events = session.execute(
            select(AuditEvent.action, AuditEvent.subject_id).order_by(AuditEvent.id)
        ).all()
    assert [e for e in events if e[0].startswith("calendar.")] == [
        ("calendar.connected", str(connection_id)), ("calendar.removed", str(connection_id)),
    ]  # fmt: skip
