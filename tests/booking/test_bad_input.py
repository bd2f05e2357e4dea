"""Bad input to the booking service: a clear BookingError, and nothing written."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update

from frontdesk.audit import Actor
from frontdesk.booking.errors import BookingError, InvalidBooking, NotAllowed, NotFound, SlotTaken
from frontdesk.db.models import Service
from tests.support.bookings import (
    MONDAY,
    NOW,
    VISITOR,
    at,
    booking_request,
    row_counts,
)
from tests.support.factories import make_site


@pytest.fixture
def existing(site, bookings):
    """One confirmed booking on Monday 10:00 (Sydney)."""
    return bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW)


BAD_REQUESTS = {
    "unknown service": ({"service": "massage"}, "service", "no consultation type"),
    "empty service": ({"service": ""}, "service", "choose"),
    "slot in the past": ({"start": at(MONDAY, 10) - timedelta(days=14)}, "start", "past"),
    "outside hours (early)": ({"start": at(MONDAY, 7)}, "start", "available slots"),
    "outside hours (lunch)": ({"start": at(MONDAY, 12)}, "start", "available slots"),
    "weekend": ({"start": at(MONDAY, 10) - timedelta(days=2)}, "start", "available slots"),
    "off the slot grid": ({"start": at(MONDAY, 10, 7)}, "start", "available slots"),
    "too far ahead": ({"start": at(MONDAY, 10) + timedelta(days=91)}, "start", "too far"),
    "naive start": ({"start": datetime(2030, 3, 4, 10)}, "start", "time zone"),
    "start not a datetime": ({"start": "2030-03-04T10:00"}, "start", "date and time"),
    "malformed e-mail": ({"email": "ada.example.com"}, "email", "doesn't look right"),
    "e-mail without domain dot": ({"email": "ada@localhost"}, "email", "doesn't look right"),
    "e-mail with two @": ({"email": "ada@@example.com"}, "email", "doesn't look right"),
    "e-mail header injection": (
        {"email": "ada@example.com\nBcc: all@example.com"},
        "email",
        "doesn't look right",
    ),
    "over-long e-mail": ({"email": "a" * 250 + "@example.com"}, "email", "doesn't look right"),
    "empty e-mail": ({"email": "  "}, "email", "e-mail address"),
    "empty name": ({"name": "   "}, "name", "name"),
    "over-long name": ({"name": "x" * 201}, "name", "too long"),
    "name with control chars": ({"name": "Ada\x1b[31m"}, "name", "aren't allowed"),
    "name not text": ({"name": 42}, "name", "text"),
    "implausible phone": ({"phone": "call me maybe"}, "phone", "phone number"),
    "over-long phone": ({"phone": "1" * 41}, "phone", "phone number"),
    "over-long note": ({"notes": "n" * 2001}, "notes", "too long"),
    "NUL in note": ({"notes": "hello\x00world"}, "notes", "aren't allowed"),
    "unknown time zone": ({"visitor_tz": "Mars/Olympus_Mons"}, "visitor_tz", "time zone"),
    "path as time zone": ({"visitor_tz": "../../etc/passwd"}, "visitor_tz", "time zone"),
    "over-long idempotency key": ({"idempotency_key": "k" * 101}, "idempotency_key", "Invalid"),
    "unknown conversation": ({"conversation_id": 987654}, "conversation_id", "conversation"),
}


def test_bad_create_requests_write_nothing(db, site, bookings):
    # One database for all cases: each must fail alone, with its own field and message.
    for case, (fields, field, message) in BAD_REQUESTS.items():
        request = booking_request(**{"start": at(MONDAY, 10), **fields})
        with pytest.raises(InvalidBooking) as caught:
            bookings.create(site.id, request, VISITOR, now=NOW)
        assert caught.value.code == "invalid", case
        assert caught.value.field == field, case
        assert message.lower() in str(caught.value).lower(), case
        assert row_counts(db) == (0, 0), case
    # and the same request without the fault books fine
    assert bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW).created


def test_bad_free_slot_queries_are_invalid(site, bookings):
    cases = {
        "end_date": (MONDAY, MONDAY - timedelta(days=1), {}),
        "tz": (MONDAY, MONDAY, {"tz": "Nowhere/Land"}),
        "start_date": (date(1, 1, 1), MONDAY, {}),
    }
    for field, (first, last, extra) in cases.items():
        with pytest.raises(InvalidBooking) as caught:
            bookings.free_slots(site.id, "consult", first, last, now=NOW, **extra)
        assert caught.value.field == field
    with pytest.raises(InvalidBooking) as caught:
        bookings.free_slots(site.id, "massage", MONDAY, MONDAY, now=NOW)
    assert caught.value.field == "service"
    with pytest.raises(NotFound):
        bookings.free_slots(987654, "consult", MONDAY, MONDAY, now=NOW)


def test_inactive_service_cannot_be_booked(db, site, bookings):
    with db.transaction() as session:
        session.execute(update(Service).where(Service.slug == "consult").values(active=False))
    with pytest.raises(InvalidBooking) as caught:
        bookings.create(site.id, booking_request(at(MONDAY, 10)), VISITOR, now=NOW)
    assert caught.value.field == "service"
    assert row_counts(db) == (0, 0)


def test_service_of_another_site_cannot_be_booked(db, bookings):
    other = make_site(db)
    with db.transaction() as session:
        session.add(Service(site_id=other.id, slug="secret", name="Secret", duration_min=30))
    mine = make_site(db)
    with pytest.raises(InvalidBooking):
        request = booking_request(at(MONDAY, 10), service="secret")
        bookings.create(mine.id, request, VISITOR, now=NOW)
    assert row_counts(db) == (0, 0)


def test_too_soon_names_the_notice(db, bookings):
    site = make_site(db, min_notice_min=24 * 60)
    request = booking_request(at(MONDAY, 10))
    with pytest.raises(InvalidBooking, match="24 hours' notice") as caught:
        bookings.create(site.id, request, VISITOR, now=at(MONDAY, 9))
    assert caught.value.field == "start"
    assert row_counts(db) == (0, 0)


def test_taken_slot_is_slot_taken(db, site, bookings, existing):
    before = row_counts(db)
    with pytest.raises(SlotTaken) as caught:
        request = booking_request(at(MONDAY, 10), email="b@example.com")
        bookings.create(site.id, request, VISITOR, now=NOW)
    assert caught.value.code == "slot_taken"
    assert str(caught.value) == "That time was just taken. Please pick another slot."
    assert row_counts(db) == before


@pytest.mark.parametrize("public_id", ["bk_doesnotexist", "", "x" * 500, None])
def test_unknown_booking_is_not_found(db, bookings, existing, public_id):
    before = row_counts(db)
    with pytest.raises(NotFound):
        bookings.cancel(public_id, VISITOR, now=NOW)
    with pytest.raises(NotFound):
        bookings.reschedule(public_id, at(MONDAY, 11), VISITOR, now=NOW)
    assert bookings.get(public_id) is None
    assert row_counts(db) == before


def test_cancel_twice_is_not_allowed(db, bookings, existing):
    bookings.cancel(existing.booking.public_id, VISITOR, now=NOW)
    before = row_counts(db)
    with pytest.raises(NotAllowed, match="cancelled") as caught:
        bookings.cancel(existing.booking.public_id, VISITOR, now=NOW)
    assert caught.value.code == "not_allowed"
    assert row_counts(db) == before
    assert bookings.get(existing.booking.public_id).ics_sequence == 1


def test_reschedule_of_cancelled_booking_is_not_allowed(db, bookings, existing):
    bookings.cancel(existing.booking.public_id, VISITOR, now=NOW)
    before = row_counts(db)
    with pytest.raises(NotAllowed, match="cancelled"):
        bookings.reschedule(existing.booking.public_id, at(MONDAY, 11), VISITOR, now=NOW)
    assert row_counts(db) == before
    assert bookings.get(existing.booking.public_id).status == "cancelled"


def test_past_booking_cannot_be_changed(db, bookings, existing):
    later = at(MONDAY, 10, 15)
    before = row_counts(db)
    with pytest.raises(NotAllowed, match="past"):
        bookings.cancel(existing.booking.public_id, VISITOR, now=later)
    with pytest.raises(NotAllowed, match="past"):
        bookings.reschedule(existing.booking.public_id, at(MONDAY, 14), VISITOR, now=later)
    assert row_counts(db) == before


def test_reschedule_into_taken_slot_changes_nothing(db, site, bookings, existing):
    other = bookings.create(site.id, booking_request(at(MONDAY, 11)), VISITOR, now=NOW)
    before = row_counts(db)
    with pytest.raises(SlotTaken):
        bookings.reschedule(other.booking.public_id, at(MONDAY, 10), VISITOR, now=NOW)
    kept = bookings.by_token(other.manage_token)  # the link still works: nothing rotated
    assert kept.start == at(MONDAY, 11) and kept.ics_sequence == 0
    assert row_counts(db) == before


def test_reschedule_outside_hours_is_invalid(db, bookings, existing):
    before = row_counts(db)
    with pytest.raises(InvalidBooking) as caught:
        bookings.reschedule(existing.booking.public_id, at(MONDAY, 20), VISITOR, now=NOW)
    assert caught.value.field == "start"
    with pytest.raises(InvalidBooking):
        naive = datetime(2030, 3, 4, 11)
        bookings.reschedule(existing.booking.public_id, naive, VISITOR, now=NOW)
    assert row_counts(db) == before


def test_over_long_cancel_reason_is_invalid(db, bookings, existing):
    before = row_counts(db)
    with pytest.raises(InvalidBooking) as caught:
        bookings.cancel(existing.booking.public_id, VISITOR, reason="r" * 2001, now=NOW)
    assert caught.value.field == "reason"
    assert row_counts(db) == before
    assert bookings.get(existing.booking.public_id).status == "confirmed"


@pytest.mark.parametrize(
    "token", ["", "nope", "a" * 43, "x" * 5000, "../../etc", "ä" * 43, None, 12345]
)
def test_garbage_tokens_find_nothing(db, bookings, existing, token):
    assert bookings.by_token(token) is None


def test_every_error_is_a_booking_error_with_a_code():
    for cls in (InvalidBooking, SlotTaken, NotFound, NotAllowed):
        assert issubclass(cls, BookingError)
    error = InvalidBooking("Bad e-mail.", field="email")
    assert (error.code, error.field, str(error)) == ("invalid", "email", "Bad e-mail.")


def test_unknown_actor_type_is_refused():
    with pytest.raises(ValueError):
        Actor("hacker")
