"""Staff bookings pages over real HTTP: list, filters, week view, booking page, staff cancel and
reschedule through the booking service, CSV export and the calendar feed's secret rotation."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from frontdesk.audit import Actor
from frontdesk.db.models import AuditEvent, Booking, OutboxEmail
from frontdesk.db.types import utcnow
from frontdesk.staff.booking_csv import safe_cell
from tests.support.apps import QUEUE_ONLY_SMTP
from tests.support.bookings import book, upcoming_starts
from tests.support.conversations import make_conversation
from tests.support.dashboard_data import seed
from tests.support.factories import make_site
from tests.support.forms import csrf_from

SYDNEY = ZoneInfo("Australia/Sydney")
# The app's mailer queues e-mail in the outbox (no worker sends it).
pytestmark = pytest.mark.app_config(SMTP_URL=QUEUE_ONLY_SMTP)


def url(site, tail: str = "") -> str:
    return f"/staff/{site.public_key}/bookings/{tail}"


def test_list_shows_upcoming_bookings_and_filters(app, signed_in, site, app_bookings):
    starts = upcoming_starts(app_bookings, site, service="workshop")
    first = book(app_bookings, site, name="Ada Lovelace", email="ada@example.com").booking
    second = book(
        app_bookings, site, starts[-1], service="workshop", name="Grace Hopper",
        email="grace@example.com",
    ).booking  # fmt: skip
    page = signed_in.get(url(site)).get_data(as_text=True)
    assert "Ada Lovelace" in page and "Grace Hopper" in page
    assert first.public_id in page and second.public_id in page

    only_workshops = signed_in.get(url(site, "?service=workshop")).get_data(as_text=True)
    assert "Grace Hopper" in only_workshops and "Ada Lovelace" not in only_workshops

    day = first.start.astimezone(SYDNEY).date().isoformat()
    one_day = signed_in.get(url(site, f"?from={day}&to={day}")).get_data(as_text=True)
    assert "Ada Lovelace" in one_day
    assert ("Grace Hopper" in one_day) == (
        second.start.astimezone(SYDNEY).date().isoformat() == day
    )

    assert signed_in.get(url(site, "?status=cancelled")).get_data(as_text=True).count("Ada") == 0


def test_the_list_comes_a_page_at_a_time_keeping_its_filters(app, signed_in, site, db):
    seed(db, site.id, conversations=0, bookings=70)  # half-hourly from 100 days ago, 56 stand
    first = (utcnow() - timedelta(days=101)).astimezone(SYDNEY).date().isoformat()
    dates = f"from={first}&to={(utcnow() - timedelta(days=90)).date().isoformat()}"
    page = signed_in.get(url(site, f"?{dates}")).get_data(as_text=True)
    assert page.count("bk_seed_") == 50 and "bk_seed_" + f"{site.id}_0" in page
    assert "1–50" in page and "Earlier" not in page
    later = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "page=2" in later and f"from={first}" in later
    second = signed_in.get(later).get_data(as_text=True)
    assert second.count("bk_seed_") == 6 and "51–56" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    with_cancelled = signed_in.get(later + "&cancelled=1").get_data(as_text=True)
    assert with_cancelled.count("bk_seed_") == 20
    past_the_end = signed_in.get(url(site, f"?{dates}&page=9")).get_data(as_text=True)
    assert "No more bookings" in past_the_end and 'rel="prev"' in past_the_end


@pytest.mark.parametrize(
    "query",
    [
        "?from=2026-13-01",
        "?to=yesterday",
        "?service=nope",
        "?status=gone",
        "?from=2026-02-02&to=2026-02-01",
    ],  # fmt: skip
)
def test_bad_filters_are_refused_with_400(signed_in, site, query):
    response = signed_in.get(url(site, query))
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)


def test_week_view_puts_bookings_in_site_local_day_columns(app, signed_in, site, app_bookings):
    booking = book(app_bookings, site).booking
    local_day = booking.start.astimezone(SYDNEY).date()
    monday = local_day - timedelta(days=local_day.weekday())
    page = signed_in.get(url(site, f"week?week={local_day.isoformat()}")).get_data(as_text=True)
    assert f"{monday.day} – " in page and "Times in Sydney time." in page
    label = local_day.strftime("%A %-d %B")
    column = page.split('<section class="tcol')[1 + local_day.weekday()].split("</section>")[0]
    assert f'aria-label="{label}' in column
    assert "Ada Lovelace" in column
    assert booking.start.astimezone(SYDNEY).strftime("%H:%M") in column
    assert f"week={(monday + timedelta(days=7)).isoformat()}" in page  # next link
    assert f"week={(monday - timedelta(days=7)).isoformat()}" in page  # previous link
    other = signed_in.get(url(site, f"week?week={(monday + timedelta(days=28)).isoformat()}"))
    assert "Ada Lovelace" not in other.get_data(as_text=True)
    bad = signed_in.get(url(site, "week?week=20261201"))
    assert bad.status_code == 400
    assert "The week must be a date like 2026-12-01." in bad.get_data(as_text=True)


def test_booking_page_shows_visitor_conversation_and_audit(app, signed_in, site, db, app_bookings):
    conversation = make_conversation(
        db, site, texts=[("visitor", "Can I book a consult?"), ("assistant", "Of course!")]
    )
    booking = book(
        app_bookings, site, conversation_id=conversation.id, phone="+61 400 000 000"
    ).booking
    page = signed_in.get(url(site, booking.public_id)).get_data(as_text=True)
    assert "ada@example.com" in page and "+61 400 000 000" in page
    assert "Can I book a consult?" in page and "Of course!" in page
    assert "<td>Booked" in page  # the audit trail
    assert f"/conversations/{conversation.public_id}" in page


def test_booking_of_another_site_is_404(app, signed_in, site, app_bookings):
    other = make_site(app.extensions["frontdesk.db"], name="Elsewhere")
    foreign = book(app_bookings, other).booking
    assert signed_in.get(url(site, foreign.public_id)).status_code == 404
    token = csrf_from(signed_in.get(url(site)).get_data(as_text=True))
    response = signed_in.post(url(site, f"{foreign.public_id}/cancel"), data={"csrf_token": token})
    assert response.status_code == 404
    assert app.extensions["frontdesk.bookings"].get(foreign.public_id).status == "confirmed"


def test_staff_cancel_goes_through_the_service_and_emails_the_visitor(
    app, signed_in, site, staff, app_bookings
):
    booking = book(app_bookings, site).booking
    page = signed_in.get(url(site, booking.public_id)).get_data(as_text=True)
    response = signed_in.post(
        url(site, f"{booking.public_id}/cancel"),
        data={"csrf_token": csrf_from(page), "reason": "Consultant is ill"},
    )
    assert response.status_code == 303
    stored = app.extensions["frontdesk.bookings"].get(booking.public_id)
    assert stored.status == "cancelled" and stored.cancel_reason == "Consultant is ill"
    assert stored.ics_sequence == booking.ics_sequence + 1
    with app.extensions["frontdesk.db"].session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "booking.cancelled")
        ).one()
        recipients = session.scalars(select(OutboxEmail.recipient)).all()
    assert (event.actor_type, event.actor_id) == ("staff", str(staff.id))
    assert recipients.count("ada@example.com") == 2  # confirmation, then cancellation
    again = signed_in.post(
        url(site, f"{booking.public_id}/cancel"), data={"csrf_token": csrf_from(page)}
    )
    assert again.status_code == 409


def test_staff_reschedule_to_a_free_slot(app, signed_in, site, staff, app_bookings):
    booking = book(app_bookings, site).booking
    day = booking.start.astimezone(SYDNEY).date().isoformat()
    page = signed_in.get(url(site, f"{booking.public_id}?day={day}")).get_data(as_text=True)
    assert 'type="radio" name="slot"' in page
    new_start = next(s for s in upcoming_starts(app_bookings, site) if s != booking.start)
    response = signed_in.post(
        url(site, f"{booking.public_id}/reschedule"),
        data={"csrf_token": csrf_from(page), "slot": new_start.isoformat(), "day": day},
    )
    assert response.status_code == 303
    stored = app.extensions["frontdesk.bookings"].get(booking.public_id)
    assert stored.start == new_start and stored.ics_sequence == booking.ics_sequence + 1
    with app.extensions["frontdesk.db"].session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "booking.rescheduled")
        ).one()
    assert event.actor_type == "staff"
    trail = signed_in.get(url(site, booking.public_id)).get_data(as_text=True)
    assert "<td>Rescheduled" in trail
    bad = signed_in.post(
        url(site, f"{booking.public_id}/reschedule"),
        data={"csrf_token": csrf_from(page), "slot": "not a time"},
    )
    assert bad.status_code == 400
    assert app.extensions["frontdesk.bookings"].get(booking.public_id).start == new_start


def test_reschedule_onto_a_taken_slot_is_409_and_changes_nothing(
    app, signed_in, site, app_bookings
):
    starts = upcoming_starts(app_bookings, site)
    first = book(app_bookings, site, start=starts[0]).booking
    book(app_bookings, site, start=starts[1], email="other@example.com")
    page = signed_in.get(url(site, first.public_id)).get_data(as_text=True)
    response = signed_in.post(
        url(site, f"{first.public_id}/reschedule"),
        data={"csrf_token": csrf_from(page), "slot": starts[1].isoformat()},
    )
    assert response.status_code == 409
    assert app.extensions["frontdesk.bookings"].get(first.public_id).start == starts[0]


def test_csv_export_quotes_and_neutralises_formulas(app, signed_in, site, app_bookings):
    book(
        app_bookings, site, name='=HYPERLINK("http://evil")', notes='He said "hi", then left\n-2+3'
    )
    response = signed_in.get(url(site, "export.csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1
    assert rows[0]["name"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["notes"] == 'He said "hi", then left\n-2+3'
    assert rows[0]["email"] == "ada@example.com"
    empty = signed_in.get(url(site, "export.csv?status=cancelled")).get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(empty)))) == 1  # header only


@pytest.mark.parametrize("raw", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_prefixed(raw):
    assert safe_cell(raw) == "'" + raw


def test_rotating_the_calendar_feed_kills_the_old_url(app, signed_in, site, app_bookings):
    book(app_bookings, site)
    page = signed_in.get(url(site)).get_data(as_text=True)
    old = f"http://frontdesk.test/calendar/{site.calendar_secret}.ics"
    assert old in page
    assert signed_in.get(f"/calendar/{site.calendar_secret}.ics").status_code == 200
    response = signed_in.post(url(site, "calendar/rotate"), data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    page = signed_in.get(url(site)).get_data(as_text=True)
    assert old not in page
    new_secret = page.split("http://frontdesk.test/calendar/")[1].split(".ics")[0]
    assert signed_in.get(f"/calendar/{site.calendar_secret}.ics").status_code == 404
    feed = signed_in.get(f"/calendar/{new_secret}.ics")
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.data
    with app.extensions["frontdesk.db"].session() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
        assert session.get(type(site), site.id).calendar_secret == new_secret
    assert "calendar.rotated" in actions
    assert not any(site.calendar_secret in str(a) for a in actions)


def test_cancelled_booking_is_listed_but_not_changeable(app, signed_in, site, app_bookings):
    booking = book(app_bookings, site).booking
    app.extensions["frontdesk.bookings"].cancel(booking.public_id, Actor("visitor", id="v1"))
    page = signed_in.get(url(site, booking.public_id)).get_data(as_text=True)
    assert "Cancelled" in page and "/reschedule" not in page
    with app.extensions["frontdesk.db"].session() as session:
        assert session.scalars(select(Booking.status)).one() == "cancelled"


def test_staff_revoke_a_bookings_links_and_the_visitor_gets_a_new_one(
    app, signed_in, site, app_bookings
):
    result = book(app_bookings, site)
    old = result.manage_token
    page = signed_in.get(url(site, result.booking.public_id)).get_data(as_text=True)
    assert "Revoke links and send a new one" in page
    response = signed_in.post(
        url(site, f"{result.booking.public_id}/new-link"), data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 303
    assert app_bookings.by_token(old) is None
    booking = app_bookings.get(result.booking.public_id)
    assert app_bookings.by_token(app_bookings.manage_token(booking)).public_id == booking.public_id
    with app.extensions["frontdesk.db"].session() as session:
        mails = session.scalars(select(OutboxEmail)).all()
    renewed = [m for m in mails if m.subject.startswith("Your new booking link")]
    assert [m.recipient for m in renewed] == [booking.email]  # the visitor only
    message = email.message_from_bytes(renewed[0].message, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert app_bookings.manage_token(booking) in text and "no longer work" in text
