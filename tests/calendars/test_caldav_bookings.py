"""Bookings against a host's real CalDAV calendar (Radicale), on SQLite and PostgreSQL: exactly
which times are offered, the booking written with its UID, moved, cancelled, and a calendar
that goes down (bookings go on; the write waits and lands once)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import caldav
import pytest
from sqlalchemy import select, update
from tests.support.bookings import booking_request
from tests.support.calendar_setup import CALDAV, calendar_services, connect, site_host_id
from tests.support.factories import make_site
from tests.support.ical_samples import event_ics
from tests.support.radicale import PASSWORD, USER, make_work_calendar

from frontdesk.audit import Actor
from frontdesk.booking.event_text import booking_uid
from frontdesk.db.models import CalendarConnection, CalendarSource, CalendarWrite

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 1, 8, tzinfo=UTC)
STAFF = Actor("staff", "1")


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date(2027, 1, day), time(hour, minute), BERLIN)


@pytest.fixture
def mia(db, radicale):
    """A Berlin site whose host's Radicale calendar holds the test's meetings, synced."""
    work = make_work_calendar(radicale)
    site = make_site(db, timezone="Europe/Berlin", min_notice_min=0)
    sync, writer, bookings = calendar_services(db)
    host_id = site_host_id(db, site)
    connection_id = connect(db, sync, host_id, CALDAV, radicale.url, USER, PASSWORD)
    assert sync.refresh(connection_id, now=NOW) == ""
    return site, sync, writer, bookings, work, connection_id


def starts(bookings, site, day: int) -> set[time]:
    found = bookings.free_slots(site.id, "consult", date(2027, 1, day), date(2027, 1, day), now=NOW)
    return {slot.start.astimezone(BERLIN).time() for slot in found}


def test_exactly_the_free_times_are_offered(mia):
    site, _sync, _writer, bookings, _work, _cid = mia
    ten, half_ten, eleven = time(10), time(10, 30), time(11)
    monday_4 = starts(bookings, site, 4)
    assert ten not in monday_4 and half_ten not in monday_4 and eleven in monday_4
    tuesday_5 = starts(bookings, site, 5)  # the one-off, 10:00-11:00 Berlin
    assert {time(9), time(9, 30), eleven} <= tuesday_5 and ten not in tuesday_5
    assert starts(bookings, site, 6) == set()  # the all-day holiday
    assert ten in starts(bookings, site, 7)  # the transparent event does not block
    assert ten in starts(bookings, site, 11)  # this week's occurrence moved...
    tuesday_12 = starts(bookings, site, 12)  # ... to Tuesday 15:00
    assert time(15) not in tuesday_12 and time(15, 30) not in tuesday_12 and time(16) in tuesday_12
    assert ten in starts(bookings, site, 18)  # the cancelled occurrence
    assert ten not in starts(bookings, site, 25)


def test_a_busy_time_is_refused_at_booking(mia):
    from frontdesk.booking.errors import SlotTaken

    site, _sync, _writer, bookings, _work, _cid = mia
    with pytest.raises(SlotTaken):
        bookings.create(site.id, booking_request(berlin(5, 10)), STAFF, now=NOW)


def event_of(work, uid: str):
    return [e.icalendar_component for e in work.events() if e.icalendar_component["UID"] == uid]


def test_book_reschedule_cancel_reach_the_calendar(mia):
    site, _sync, writer, bookings, work, _cid = mia
    result = bookings.create(site.id, booking_request(berlin(7, 10)), STAFF, now=NOW)
    uid = booking_uid(result.booking)
    assert writer.send_due() == 1
    [event] = event_of(work, uid)
    assert event.decoded("DTSTART") == berlin(7, 10)
    assert str(event["STATUS"]) == "CONFIRMED"

    bookings.reschedule(result.booking.public_id, berlin(8, 14), STAFF, now=NOW)
    assert writer.send_due() == 1
    [event] = event_of(work, uid)
    assert event.decoded("DTSTART") == berlin(8, 14)

    bookings.cancel(result.booking.public_id, STAFF, now=NOW)
    assert writer.send_due() == 1
    [event] = event_of(work, uid)
    assert str(event["STATUS"]) == "CANCELLED"
    assert writer.send_due() == 0  # nothing is written twice


def test_a_stopped_calendar_does_not_stop_bookings(mia, db, radicale):
    site, sync, writer, bookings, work, connection_id = mia
    radicale.stop()
    with db.transaction() as session:  # the stored busy times are old: a refresh is attempted
        stale = datetime.now(UTC) - timedelta(days=1)
        session.execute(update(CalendarSource).values(fetched_at=stale))
    result = bookings.create(site.id, booking_request(berlin(7, 11)), STAFF, now=NOW)
    assert result.created
    with db.session() as session:
        connection = session.get(CalendarConnection, connection_id)
        assert connection.last_error  # staff see why
    # The last known busy times still count while the calendar is down.
    assert time(10) not in starts(bookings, site, 5)
    assert writer.send_due() == 0
    with db.session() as session:
        [row] = session.scalars(select(CalendarWrite)).all()
        assert row.done_at is None and row.attempts == 1 and row.last_error
        next_attempt = row.next_attempt_at
    radicale.start()
    assert writer.send_due(now=next_attempt) == 1
    assert writer.send_due(now=next_attempt + timedelta(hours=1)) == 0
    assert len(event_of(work, booking_uid(result.booking))) == 1


def test_a_write_that_finds_the_time_taken_keeps_the_booking_and_alerts_staff(mia, db):
    from frontdesk.db.models import AuditEvent, Booking

    site, _sync, writer, bookings, work, _cid = mia
    # Someone adds a meeting after the last sync: the stored busy times do not know it yet.
    work.save_event(event_ics("late@test", "20270108T090000Z", "20270108T100000Z"))
    result = bookings.create(site.id, booking_request(berlin(8, 10)), STAFF, now=NOW)
    assert writer.send_due() == 1
    assert len(event_of(work, booking_uid(result.booking))) == 1  # written all the same
    with db.session() as session:
        [row] = session.scalars(select(CalendarWrite)).all()
        assert "already had another event" in row.conflict
        assert session.get(Booking, result.booking.id).status == "confirmed"
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "calendar.conflict" in actions


def test_a_booking_handed_to_another_host_moves_between_their_calendars(db, radicale):
    from tests.support.hosts import add_hosts

    client = caldav.DAVClient(url=radicale.url, username=USER, password=PASSWORD)
    mia_work = client.principal().make_calendar(name="Mia")
    noah_work = client.principal().make_calendar(name="Noah")
    site = make_site(db, timezone="Europe/Berlin", min_notice_min=0)
    ids = add_hosts(db, site, ["Mia", "Noah"], timezone="Europe/Berlin")
    sync, writer, bookings = calendar_services(db)
    connections = {}
    for name, calendar in (("Mia", mia_work), ("Noah", noah_work)):
        cid = connect(db, sync, ids[name], CALDAV, radicale.url, USER, PASSWORD, write=False)
        offered = sync.open(CALDAV, radicale.url, USER, PASSWORD).list_calendars()
        with db.transaction() as session:
            from frontdesk.calendars.store import choose_calendars

            row = session.get(CalendarConnection, cid)
            choose_calendars(session, row, offered, [str(calendar.url)], str(calendar.url))
        connections[name] = cid
    result = bookings.create(site.id, booking_request(berlin(7, 10), host="Mia"), STAFF, now=NOW)
    uid = booking_uid(result.booking)
    assert writer.send_due() == 1
    assert len(event_of(mia_work, uid)) == 1 and event_of(noah_work, uid) == []

    # Mia gets busy at the new time: the reschedule hands the booking to Noah.
    mia_work.save_event(event_ics("mia-busy@test", "20270108T090000Z", "20270108T100000Z"))
    assert sync.refresh(connections["Mia"], now=NOW) == ""
    bookings.reschedule(result.booking.public_id, berlin(8, 10), STAFF, now=NOW)
    assert writer.send_due() == 2
    [at_noah] = event_of(noah_work, uid)
    assert at_noah.decoded("DTSTART") == berlin(8, 10) and str(at_noah["STATUS"]) == "CONFIRMED"
    [at_mia] = event_of(mia_work, uid)
    assert str(at_mia["STATUS"]) == "CANCELLED" and str(at_mia["TRANSP"]) == "TRANSPARENT"


def test_a_writer_that_died_mid_write_is_retried_after_its_lease_and_leaves_one_event(mia, db):
    from frontdesk.calendars.writeback import LEASE

    site, sync, writer, bookings, work, connection_id = mia
    result = bookings.create(site.id, booking_request(berlin(7, 10)), STAFF, now=NOW)
    with db.session() as session:
        [row_id] = session.scalars(select(CalendarWrite.id)).all()
    claimed_at = datetime.now(UTC)
    # A worker claims the row and writes the event, then is killed before recording it.
    assert writer.outbox.claim(row_id, claimed_at)
    with db.session() as session:
        connection = sync.open_row(session.get(CalendarConnection, connection_id))
    from frontdesk.calendars.events import host_event
    from frontdesk.db.models import Booking, Site

    with db.session() as session:
        booking = session.get(Booking, result.booking.id)
        data = host_event(booking, session.get(Site, site.id))
    connection.put_event(str(work.url), booking_uid(result.booking), data)
    assert writer.send_due(now=claimed_at) == 0  # leased: nobody else touches it
    assert writer.send_due(now=claimed_at + LEASE) == 1  # the lease lapsed: written again
    assert len(event_of(work, booking_uid(result.booking))) == 1  # the same event, replaced
    assert writer.send_due(now=claimed_at + 2 * LEASE) == 0
