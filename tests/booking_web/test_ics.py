"""The booking .ics: parsed by icalendar and by vobject, across create, reschedule and cancel."""

from __future__ import annotations

from datetime import UTC

from frontdesk.booking.ics import booking_ics
from frontdesk.booking.service import Bookings
from frontdesk.db.models import Site
from tests.support.apps import PUBLIC_URL
from tests.support.bookings import VISITOR, book, upcoming_slots
from tests.support.factories import make_site
from tests.support.ical import events, parse_both


def _site(db, site_id: int) -> Site:
    with db.session() as session:
        return session.get(Site, site_id)


def _ics(bookings: Bookings, db, public_id: str) -> bytes:
    booking = bookings.get(public_id)
    return booking_ics(booking, _site(db, booking.site_id), manage_url=bookings.manage_url(booking))


def test_confirmed_booking_is_a_request_both_parsers_agree(db, bookings):
    site = make_site(db, name="Test Studio")
    result = book(bookings, site, name="Ana Visitor", email="ana@example.test")
    booking = result.booking
    cal, vcal = parse_both(_ics(bookings, db, booking.public_id))

    assert str(cal["METHOD"]) == "REQUEST" and vcal.method.value == "REQUEST"
    assert str(cal["VERSION"]) == "2.0" and str(cal["CALSCALE"]) == "GREGORIAN"
    assert "PRODID" in cal
    [event] = events(cal)
    assert str(event["UID"]) == f"{booking.public_id}@frontdesk"
    assert vcal.vevent.uid.value == f"{booking.public_id}@frontdesk"
    assert event["SEQUENCE"] == 0 and vcal.vevent.sequence.value == "0"
    assert str(event["STATUS"]) == "CONFIRMED"
    # Times are UTC (a trailing Z) and equal the booking's instants.
    assert event.decoded("DTSTART") == booking.start
    assert event.decoded("DTSTART").tzinfo is not None
    assert vcal.vevent.dtstart.value == booking.start
    assert vcal.vevent.dtend.value == booking.end
    assert vcal.vevent.dtstart.value.utcoffset().total_seconds() == 0
    assert "DTSTAMP" in event
    assert str(event["SUMMARY"]) == "Consultation with Test Studio"
    assert result.manage_token in str(event["DESCRIPTION"])
    assert str(event["URL"]) == f"{PUBLIC_URL}/b/{result.manage_token}"

    organizer = vcal.vevent.organizer
    assert organizer.value.lower() == "mailto:owner@studio.test"
    assert organizer.params["CN"] == ["Test Studio"]
    attendee = vcal.vevent.attendee
    assert attendee.value.lower() == "mailto:ana@example.test"
    assert attendee.params["CN"] == ["Ana Visitor"]
    assert attendee.params["ROLE"] == ["REQ-PARTICIPANT"]
    assert attendee.params["RSVP"] == ["FALSE"]
    assert attendee.params["PARTSTAT"] == ["ACCEPTED"]
    assert str(event["ATTENDEE"]).lower() == "mailto:ana@example.test"


def test_reschedule_keeps_uid_and_bumps_sequence(db, bookings):
    site = make_site(db)
    slots = upcoming_slots(bookings, site)
    first = book(bookings, site, slots[0].start).booking
    before = events(parse_both(_ics(bookings, db, first.public_id))[0])[0]

    new_start = slots[3].start
    moved = bookings.reschedule(first.public_id, new_start, VISITOR)
    cal, vcal = parse_both(_ics(bookings, db, first.public_id))
    [after] = events(cal)

    assert str(after["UID"]) == str(before["UID"]) == vcal.vevent.uid.value
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1 == 1
    assert vcal.vevent.sequence.value == "1"
    assert after.decoded("DTSTART") == new_start.astimezone(UTC)
    assert vcal.vevent.dtstart.value == new_start
    assert str(cal["METHOD"]) == "REQUEST"
    # The description carries the link, the same one as before the move.
    assert moved.manage_token in str(after["DESCRIPTION"])


def test_cancelled_booking_is_a_cancel(db, bookings):
    site = make_site(db)
    booking = book(bookings, site).booking
    bookings.cancel(booking.public_id, VISITOR, reason="Can't make it")
    cal, vcal = parse_both(_ics(bookings, db, booking.public_id))
    [event] = events(cal)

    assert str(cal["METHOD"]) == "CANCEL" and vcal.method.value == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED" and vcal.vevent.status.value == "CANCELLED"
    assert str(event["UID"]) == f"{booking.public_id}@frontdesk"
    assert event["SEQUENCE"] == 1
    assert vcal.vevent.dtstart.value == booking.start


def test_awkward_text_round_trips_through_both_parsers(db, bookings):
    site = make_site(db, name='Café; "Bar", Back\\slash')
    booking = book(bookings, site, name="O'Brien, Ana; Jr.").booking
    cal, vcal = parse_both(_ics(bookings, db, booking.public_id))
    [event] = events(cal)

    summary = 'Consultation with Café; "Bar", Back\\slash'
    assert str(event["SUMMARY"]) == summary
    assert vcal.vevent.summary.value == summary
    assert vcal.vevent.attendee.params["CN"] == ["O'Brien, Ana; Jr."]
    # A parameter can't hold a double quote: it becomes a single one, the same for both parsers.
    assert vcal.vevent.organizer.params["CN"] == ["Café; 'Bar', Back\\slash"]
    assert events(cal)[0]["ORGANIZER"].params["CN"] == "Café; 'Bar', Back\\slash"


def test_line_breaks_in_names_never_reach_the_headers(db, bookings):
    site = make_site(db, name="Evil\r\nATTENDEE:mailto:attacker@example.test")
    booking = book(bookings, site, email="ana@example.test").booking
    data = _ics(bookings, db, booking.public_id)
    _cal, vcal = parse_both(data)

    assert b"\r\nATTENDEE:mailto:attacker" not in data
    assert len(vcal.vevent.contents["attendee"]) == 1
    assert vcal.vevent.attendee.value.lower() == "mailto:ana@example.test"
    assert vcal.vevent.organizer.params["CN"] == ["Evil ATTENDEE:mailto:attacker@example.test"]
