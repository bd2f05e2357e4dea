"""The staff iCal feed at /calendar/<secret>.ics, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from frontdesk.booking.service import BookingRequest
from frontdesk.db.models import Booking
from tests.support.bookings import VISITOR, book, upcoming_slots
from tests.support.factories import make_site
from tests.support.ical import events, parse_both


def _feed(client, site):
    return client.get(f"/calendar/{site.calendar_secret}.ics")


def _uids(calendar) -> set[str]:
    return {str(e["UID"]) for e in events(calendar)}


def _book_in_the_past(app_bookings, site, days_ago: int):
    """A booking made `days_ago` days back in time (the service accepts an explicit `now`)."""
    then = datetime.now(UTC) - timedelta(days=days_ago)
    slot = app_bookings.free_slots(
        site.id,
        "consult",
        then.date() + timedelta(days=1),
        then.date() + timedelta(days=8),
        now=then,
    )[0]
    request = BookingRequest(
        service="consult", start=slot.start, name="Old Visitor", email="old@example.test"
    )
    return app_bookings.create(site.id, request, VISITOR, now=then).booking


def test_feed_lists_upcoming_bookings_with_visitor_details(client, db, app_bookings):
    site = make_site(db, name="Test Studio")
    slots = upcoming_slots(app_bookings, site)
    kept = book(
        app_bookings,
        site,
        slots[0].start,
        name="Ana Visitor",
        email="ana@example.test",
        phone="+61 2 5550 1234",
        notes="Bring the floor plan",
    )
    dropped = book(app_bookings, site, slots[2].start, name="Ben", email="ben@example.test")
    app_bookings.cancel(dropped.booking.public_id, VISITOR, reason="Sick")

    response = _feed(client, site)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    cal, vcal = parse_both(response.data)

    assert str(cal["METHOD"]) == "PUBLISH" and vcal.method.value == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "Test Studio bookings"
    assert str(cal["X-WR-TIMEZONE"]) == "Australia/Sydney"
    assert "REFRESH-INTERVAL" in cal and "X-PUBLISHED-TTL" in cal
    by_uid = {str(e["UID"]): e for e in events(cal)}
    assert set(by_uid) == {
        f"{kept.booking.public_id}@frontdesk",
        f"{dropped.booking.public_id}@frontdesk",
    }
    confirmed = by_uid[f"{kept.booking.public_id}@frontdesk"]
    assert str(confirmed["STATUS"]) == "CONFIRMED"
    assert confirmed.decoded("DTSTART") == kept.booking.start
    description = str(confirmed["DESCRIPTION"])
    for detail in ("Ana Visitor", "ana@example.test", "+61 2 5550 1234", "Bring the floor plan"):
        assert detail in description
    cancelled = by_uid[f"{dropped.booking.public_id}@frontdesk"]
    assert str(cancelled["STATUS"]) == "CANCELLED" and cancelled["SEQUENCE"] == 1
    assert "Sick" in str(cancelled["DESCRIPTION"])
    assert {v.uid.value for v in vcal.vevent_list} == set(by_uid)


def test_feed_only_shows_its_own_site(client, db, app_bookings):
    mine, other = make_site(db, name="Mine"), make_site(db, name="Other")
    own = book(app_bookings, mine).booking
    foreign = book(app_bookings, other, email="x@example.test").booking
    cal, _ = parse_both(_feed(client, mine).data)
    assert _uids(cal) == {f"{own.public_id}@frontdesk"}
    cal, _ = parse_both(_feed(client, other).data)
    assert _uids(cal) == {f"{foreign.public_id}@frontdesk"}


def test_old_bookings_and_old_cancellations_drop_out(client, db, app_bookings):
    site = make_site(db)
    ancient = _book_in_the_past(app_bookings, site, days_ago=60)
    recent_past = _book_in_the_past(app_bookings, site, days_ago=12)
    old_cancel = book(app_bookings, site).booking
    app_bookings.cancel(old_cancel.public_id, VISITOR)
    with db.transaction() as session:  # pretend it was cancelled 40 days ago
        session.execute(
            update(Booking)
            .where(Booking.id == old_cancel.id)
            .values(updated_at=datetime.now(UTC) - timedelta(days=40))
        )

    cal, vcal = parse_both(_feed(client, site).data)
    uids = _uids(cal)
    assert f"{recent_past.public_id}@frontdesk" in uids
    assert f"{ancient.public_id}@frontdesk" not in uids
    assert f"{old_cancel.public_id}@frontdesk" not in uids


def test_wrong_secret_is_404(client, db, app_bookings):
    site = make_site(db)
    book(app_bookings, site)
    for secret in ("wrong", "x" * 500, "%00", "%3Cscript%3E", site.calendar_secret + "x"):
        response = client.get(f"/calendar/{secret}.ics")
        assert response.status_code == 404, secret
        assert b"BEGIN:VCALENDAR" not in response.data


def test_secret_prefix_or_case_change_is_404(client, db):
    site = make_site(db)
    assert client.get(f"/calendar/{site.calendar_secret[:-1]}.ics").status_code == 404
    assert client.get(f"/calendar/{site.calendar_secret.swapcase()}.ics").status_code == 404
    assert client.get(f"/calendar/{site.calendar_secret}.ics").status_code == 200
