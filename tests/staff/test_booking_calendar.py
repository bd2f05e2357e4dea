"""The bookings calendar over HTTP: day and week grids, cancelled bookings hidden unless asked
for, phone bookings and blocked time from staff, notes, outcomes, history in words, and a
bounded number of queries per page whatever the number of bookings."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from frontdesk.audit import Actor
from frontdesk.db.models import Booking, OutboxEmail
from tests.support.apps import QUEUE_ONLY_SMTP
from tests.support.bookings import book, upcoming_starts
from tests.support.forms import csrf_from

SYDNEY = ZoneInfo("Australia/Sydney")
pytestmark = pytest.mark.app_config(SMTP_URL=QUEUE_ONLY_SMTP)


def url(site, tail: str = "") -> str:
    return f"/staff/{site.public_key}/bookings/{tail}"


@contextmanager
def counted(db):
    """Count the SQL statements run inside the block."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_pages_run_the_same_number_of_queries_for_3_or_12_bookings(
    app, signed_in, site, app_bookings
):
    db = app.extensions["frontdesk.db"]
    starts = upcoming_starts(app_bookings, site, days=10)
    made = [
        book(app_bookings, site, s, email=f"v{n}@example.com") for n, s in enumerate(starts[:12])
    ]
    week = starts[0].astimezone(SYDNEY).date().isoformat()
    pages = ["", f"week?week={week}", f"day?day={week}", made[0].booking.public_id]

    def queries() -> list[int]:
        counts = []
        for page in pages:
            with counted(db) as seen:
                assert signed_in.get(url(site, page)).status_code == 200
            counts.append(len(seen))
        return counts

    many = queries()
    for result in made[3:]:
        app_bookings.cancel(result.booking.public_id, Actor("visitor", id="v"))
    few = queries()
    assert many == few
    # sign-in checks, the page's own queries (the detail page's reschedule picker asks for
    # the service's hosts and their schedules); never per row
    assert max(many) <= 22, many


def test_day_view_and_its_navigation(app, signed_in, site, app_bookings):
    booking = book(app_bookings, site).booking
    day = booking.start.astimezone(SYDNEY).date()
    page = signed_in.get(url(site, f"day?day={day.isoformat()}")).get_data(as_text=True)
    assert day.strftime("%A %-d %B %Y") in page and "Ada Lovelace" in page
    assert f"day={(day + timedelta(days=1)).isoformat()}" in page
    assert f"day={(day - timedelta(days=1)).isoformat()}" in page
    # Nine to five in Sydney: the grid starts at 09:00 and its rows are five minutes.
    local = booking.start.astimezone(SYDNEY)
    row = (local.hour - 9) * 12 + local.minute // 5 + 1
    assert f"titem titem--confirmed rs{row} re{row + 6} gc-1-0" in page
    assert signed_in.get(url(site, "day?day=tomorrow")).status_code == 400


def test_cancelled_bookings_are_hidden_unless_asked_for(app, signed_in, site, app_bookings):
    starts = upcoming_starts(app_bookings, site)
    kept = book(app_bookings, site, starts[0], name="Kept Booking").booking
    gone = book(app_bookings, site, starts[1], name="Gone Booking").booking
    app_bookings.cancel(gone.public_id, Actor("visitor", id="v"))
    week = kept.start.astimezone(SYDNEY).date().isoformat()
    for page in ("", f"week?week={week}"):
        shown = signed_in.get(url(site, page)).get_data(as_text=True)
        assert "Kept Booking" in shown and "Gone Booking" not in shown
        asked = signed_in.get(url(site, f"{page}{'&' if '?' in page else '?'}cancelled=1"))
        assert "Gone Booking" in asked.get_data(as_text=True)
    only = signed_in.get(url(site, "?status=cancelled")).get_data(as_text=True)
    assert "Gone Booking" in only and "Kept Booking" not in only


def test_phone_booking_outside_hours_without_email(app, signed_in, site, app_bookings):
    db = app.extensions["frontdesk.db"]
    form = signed_in.get(url(site, "new?start=2031-03-03T19:30")).get_data(as_text=True)
    assert 'value="2031-03-03"' in form and 'value="19:30"' in form
    data = {
        "csrf_token": csrf_from(form),
        "key": "k1",
        "service": "consult",
        "day": "2031-03-03",
        "time": "19:30",  # after closing, a year ahead: staff may
        "name": "Phone Caller",
        "phone": "+61 2 9999 0000",
        "email": "",
        "notes": "Prefers mornings",
    }
    response = signed_in.post(url(site, "new"), data=data)
    assert response.status_code == 303
    again = signed_in.post(url(site, "new"), data=data)  # a double submit books once
    assert again.status_code == 303 and again.location == response.location
    with db.session() as session:
        stored = session.scalars(select(Booking)).one()
        outbox = session.scalars(select(OutboxEmail.recipient)).all()
    assert stored.start == datetime(2031, 3, 3, 19, 30, tzinfo=SYDNEY).astimezone(UTC)
    assert (stored.email, stored.staff_notes) == ("", "Prefers mornings")
    assert outbox == ["owner@studio.test"]  # the business hears of it; no visitor address
    taken = signed_in.post(url(site, "new"), data={**data, "key": "k2", "time": "19:45"})
    assert taken.status_code == 409
    assert "That time was just taken" in taken.get_data(as_text=True)
    past = signed_in.post(url(site, "new"), data={**data, "key": "k3", "day": "2020-01-06"})
    assert past.status_code == 400 and "in the past" in past.get_data(as_text=True)


def test_blocked_time_keeps_visitors_out_and_refuses_to_cover_a_booking(
    app, signed_in, site, app_bookings
):
    starts = upcoming_starts(app_bookings, site)
    booked = book(app_bookings, site, starts[0]).booking
    local = booked.start.astimezone(SYDNEY)
    form = signed_in.get(url(site, "block")).get_data(as_text=True)
    over = {
        "csrf_token": csrf_from(form),
        "day": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "end_day": local.date().isoformat(),
        "end_time": (local + timedelta(hours=1)).strftime("%H:%M"),
        "note": "Dentist",
    }
    refused = signed_in.post(url(site, "block"), data=over)
    assert refused.status_code == 409 and "Ada Lovelace is booked" in refused.get_data(as_text=True)
    free = next(s for s in starts if s.astimezone(SYDNEY).date() != local.date())
    free_local = free.astimezone(SYDNEY)
    block = {
        **over,
        "day": free_local.date().isoformat(),
        "end_day": free_local.date().isoformat(),
        "time": free_local.strftime("%H:%M"),
        "end_time": (free_local + timedelta(hours=1)).strftime("%H:%M"),
    }
    assert signed_in.post(url(site, "block"), data=block).status_code == 303
    offered = upcoming_starts(app_bookings, site)
    assert free not in offered and free + timedelta(minutes=30) not in offered
    backwards = {**block, "end_time": free_local.strftime("%H:%M")}
    assert signed_in.post(url(site, "block"), data=backwards).status_code == 400


def test_notes_outcomes_and_history_in_words(app, signed_in, site, app_bookings):
    booking = book(app_bookings, site).booking
    page = signed_in.get(url(site, booking.public_id)).get_data(as_text=True)
    token = csrf_from(page)
    assert "How did it go?" not in page  # not yet its time
    early = signed_in.post(
        url(site, f"{booking.public_id}/outcome"), data={"csrf_token": token, "outcome": "no_show"}
    )
    assert early.status_code == 409
    new_start = next(s for s in upcoming_starts(app_bookings, site) if s != booking.start)
    app_bookings.reschedule(booking.public_id, new_start, Actor("visitor", id="v"))
    saved = signed_in.post(
        url(site, f"{booking.public_id}/notes"),
        data={"csrf_token": token, "staff_notes": "VIP — offer coffee"},
    )
    assert saved.status_code == 303
    page = signed_in.get(url(site, booking.public_id)).get_data(as_text=True)
    was = booking.start.astimezone(SYDNEY)
    now_year = datetime.now(SYDNEY).year
    shown = was.strftime("%a %-d %b, %H:%M" if was.year == now_year else "%a %-d %b %Y, %H:%M")
    assert f"Rescheduled from {shown} to " in page
    trail = page.split('id="audit-trail"')[1].split("</table>")[0]
    assert "+00:00" not in trail and "T" + was.strftime("%H:%M") not in trail
    assert "VIP — offer coffee" in page and "Changed the notes" in page
    assert "ana@studio.test" in page  # who: the staff member, by name or e-mail


def test_knowledge_times_are_on_the_sites_clock_not_utc(app, signed_in, site, db):
    from frontdesk.db.models import UnansweredQuestion

    with db.transaction() as session:
        session.add(
            UnansweredQuestion(
                site_id=site.id,
                question="Do you do weekends?",
                created_at=datetime(2026, 12, 9, 23, 0, tzinfo=UTC),
            )
        )
    page = signed_in.get(f"/staff/{site.public_key}/knowledge/").get_data(as_text=True)
    assert "Times in Sydney time." in page
    assert "Thu 10 Dec 2026, 10:00" in page and " UTC" not in page  # 23:00 UTC is 10:00 there
