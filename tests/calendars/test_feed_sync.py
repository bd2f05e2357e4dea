"""ICS feeds synced into the database, on SQLite and PostgreSQL: a changing feed, 304, 500 and
not-iCalendar (clear error, old data kept), passwords sealed at rest, and the short refresh
just before a booking that falls back to the last known data when a calendar hangs."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from tests.support.calendar_setup import ICS, calendar_services, connect, site_host_id
from tests.support.factories import make_site
from tests.support.ical_samples import OUTLOOK

from frontdesk.calendars.base import CalendarRefused
from frontdesk.calendars.credentials import Credentials
from frontdesk.calendars.expand import NOT_ICAL_MESSAGE
from frontdesk.calendars.store import add_connection, hosts_busy, hosts_busy_seconds
from frontdesk.db.models import CalendarConnection, CalendarSource

NOW = datetime(2027, 1, 1, 8, tzinfo=UTC)
JANUARY = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))


def stored(db, host_id) -> list[tuple[int, int]]:
    """The host's stored busy intervals as (day, UTC hour) of their starts; the booking path's
    epoch-second form of them (computed by the database) says the same."""
    with db.session() as session:
        found = hosts_busy(session, [host_id], *JANUARY).get(host_id, [])
        seconds = hosts_busy_seconds(session, [host_id], *JANUARY).get(host_id, [])
    assert seconds == [(int(b.start.timestamp()), int(b.end.timestamp())) for b in found]
    return [(busy.start.day, busy.start.hour) for busy in found]


def connection_state(db, connection_id) -> tuple[str, datetime | None]:
    with db.session() as session:
        row = session.get(CalendarConnection, connection_id)
        return row.last_error, row.last_success_at


@pytest.fixture
def synced(db, feeds):
    site = make_site(db, timezone="Europe/Berlin")
    sync, _writer, _bookings = calendar_services(db)
    host_id = site_host_id(db, site)
    url = feeds.set("/outlook.ics", OUTLOOK)
    connection_id = connect(db, sync, host_id, ICS, url)
    assert sync.refresh(connection_id, now=NOW) == ""
    return sync, host_id, connection_id


def test_feed_is_stored_and_a_changed_feed_replaces_it(db, feeds, synced):
    sync, host_id, connection_id = synced
    assert stored(db, host_id) == [(5, 13), (5, 16), (7, 8)]
    feeds.set("/outlook.ics", OUTLOOK.replace("20270105T140000", "20270106T140000").replace(
        "20270105T150000", "20270106T150000"))  # fmt: skip
    assert sync.refresh(connection_id, now=NOW) == ""
    assert stored(db, host_id) == [(5, 16), (6, 13), (7, 8)]


def test_unchanged_feed_304_keeps_data_and_counts_as_fresh(db, feeds, synced):
    sync, host_id, connection_id = synced
    later = NOW + timedelta(minutes=10)
    assert sync.refresh(connection_id, now=later) == ""
    assert feeds.requests[-1][1].get("If-None-Match")
    assert stored(db, host_id) == [(5, 13), (5, 16), (7, 8)]
    with db.session() as session:
        [source] = session.get(CalendarConnection, connection_id).sources
        assert source.fetched_at == later


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [(500, "boom", "500"), (200, "<html>Please sign in</html>", NOT_ICAL_MESSAGE)],
)
def test_broken_feed_keeps_old_data_with_a_clear_error(db, feeds, synced, status, body, words):
    sync, host_id, connection_id = synced
    feeds.set("/outlook.ics", body, status)
    error = sync.refresh(connection_id, now=NOW + timedelta(hours=1))
    assert words in error
    assert stored(db, host_id) == [(5, 13), (5, 16), (7, 8)]
    last_error, last_success = connection_state(db, connection_id)
    assert words in last_error and last_success == NOW
    feeds.set("/outlook.ics", OUTLOOK)
    assert sync.refresh(connection_id, now=NOW + timedelta(hours=2)) == ""
    assert connection_state(db, connection_id) == ("", NOW + timedelta(hours=2))


def test_passwords_are_sealed_at_rest_and_need_the_key(db):
    site = make_site(db)
    credentials = Credentials.from_config({"SECRET_KEY": "one key"})
    with db.transaction() as session:
        row = add_connection(
            session,
            credentials,
            host_id=site_host_id(db, site),
            kind="caldav",
            url="https://cal.example.com/",
            username="mia",
            password="app-password-1",
        )
        sealed = bytes(row.secret)
    assert b"app-password-1" not in sealed
    assert credentials.open(sealed) == "app-password-1"
    with pytest.raises(CalendarRefused, match="enter it again"):
        Credentials.from_config({"SECRET_KEY": "another key"}).open(sealed)


def test_a_hanging_calendar_is_given_the_short_timeout_then_last_known_data(db, feeds):
    site = make_site(db, timezone="Europe/Berlin")
    sync, _writer, _bookings = calendar_services(db, refresh_timeout=0.5)
    host_id = site_host_id(db, site)
    connection_id = connect(db, sync, host_id, ICS, feeds.set("/o.ics", OUTLOOK))
    assert sync.refresh(connection_id) == ""
    hanging = socket.socket()  # accepts connections (backlog) and never answers
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(8)
    try:
        with db.transaction() as session:
            url = f"http://127.0.0.1:{hanging.getsockname()[1]}/o.ics"
            session.execute(update(CalendarConnection).values(url=url))
            old = datetime.now(UTC) - timedelta(hours=1)
            session.execute(update(CalendarSource).values(fetched_at=old))
        began = time.monotonic()
        warnings = sync.refresh_stale([host_id])
        waited = time.monotonic() - began
    finally:
        hanging.close()
    assert waited < 1.5 and len(warnings) == 1 and "did not answer" in warnings[0]
    with db.session() as session:
        assert "did not answer" in session.get(CalendarConnection, connection_id).last_warning
    assert stored(db, host_id) == [(5, 13), (5, 16), (7, 8)]  # last known data


def test_fresh_data_is_not_fetched_again_before_a_booking(db, feeds, synced):
    sync, host_id, _connection_id = synced
    with db.transaction() as session:
        session.execute(update(CalendarSource).values(fetched_at=datetime.now(UTC)))
    count = len(feeds.requests)
    assert sync.refresh_stale([host_id]) == []
    assert len(feeds.requests) == count


def test_processes_racing_for_due_connections_fetch_each_calendar_once(db, feeds):
    # Every serving process runs the sync: a due connection is claimed by exactly one of them.
    site = make_site(db, timezone="Europe/Berlin")
    first, _writer, _bookings = calendar_services(db)
    second, _writer, _bookings = calendar_services(db)
    host_id = site_host_id(db, site)
    paths = [f"/feed{index}.ics" for index in range(6)]
    for path in paths:
        connect(db, first, host_id, ICS, feeds.set(path, OUTLOOK))
    feeds.requests.clear()
    later = NOW + timedelta(days=1)
    threads = [threading.Thread(target=sync.refresh_due, kwargs={"now": later})
               for sync in (first, second)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    fetched = sorted(path for path, _headers in feeds.requests)
    assert fetched == sorted(paths)
