"""The visitor's manage page through the Flask test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from frontdesk.db.models import AuditEvent
from tests.support.bookings import VISITOR, VISITOR_TZ, book, upcoming_slots
from tests.support.forms import csrf_from
from tests.support.ical import events, parse_both

SLOT_RE = re.compile(r'name="slot" value="([^"]+)"')

SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


def _page(client, token: str, **query) -> tuple[int, str]:
    response = client.get(f"/b/{token}", query_string=query)
    return response.status_code, response.get_data(as_text=True)


def _local(moment: datetime, zone: str) -> str:
    """The clock as the page shows it to a visitor who booked outside a chat (English, 12-hour)."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.hour % 12 or 12}:{local:%M} {'am' if local.hour < 12 else 'pm'}"


def _range(start: datetime, end: datetime, zone: str) -> str:
    """The booking's times as the widget's cards write them: am/pm said once when shared."""
    first, last = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
    if (first.hour < 12) == (last.hour < 12):
        return f"{_local(start, zone).split()[0]}\u2013{_local(end, zone)}"
    return f"{_local(start, zone)}\u2013{_local(end, zone)}"


def _assert_secure_headers(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    for part in ("default-src 'self'", "style-src 'self'", "form-action 'self'"):
        assert part in csp
    assert "frame-ancestors 'none'" in csp


def test_page_shows_the_booking_in_both_time_zones(client, app_bookings, site):
    result = book(app_bookings, site)
    booking = result.booking
    response = client.get(f"/b/{result.manage_token}")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    _assert_secure_headers(response)
    assert "Consultation" in html and "Test Studio" in html and "Confirmed" in html
    assert "London time" in html and "Sydney time" in html  # named as people say them
    assert VISITOR_TZ not in html and "Australia/Sydney" not in html
    assert _range(booking.start, booking.end, VISITOR_TZ) in html
    assert _range(booking.start, booking.end, "Australia/Sydney") in html
    sydney_day = booking.start.astimezone(ZoneInfo("Australia/Sydney"))
    assert f"{sydney_day:%A} {sydney_day.day} {sydney_day:%B %Y}" in html
    assert f'href="/b/{result.manage_token}.ics"' in html
    assert "/static/css/pages.css" in html
    assert 'action="/b/' in html and "/cancel" in html and "/reschedule" in html
    assert SLOT_RE.search(html), "the reschedule picker offers free slots"


def test_cancel_with_csrf_token_then_no_more_actions(app, client, app_bookings, site):
    result = book(app_bookings, site)
    token = result.manage_token
    _status, html = _page(client, token)
    csrf = csrf_from(html)

    response = client.post(
        f"/b/{token}/cancel", data={"csrf_token": csrf, "reason": "Double-booked"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/b/{token}")

    status, html = _page(client, token)
    assert status == 200
    assert "Cancelled" in html and "Double-booked" in html
    assert f"/b/{token}/cancel" not in html and f"/b/{token}/reschedule" not in html
    assert f'action="/b/{token}/book"' in html  # book again instead
    stored = app_bookings.get(result.booking.public_id)
    assert stored.status == "cancelled" and stored.cancel_reason == "Double-booked"
    with app.extensions["frontdesk.db"].session() as session:
        actions = [e.action for e in session.query(AuditEvent).all()]
    assert "booking.cancelled" in actions

    # The cancelled link can still be viewed but no longer act.
    again = client.post(f"/b/{token}/cancel", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert "cancelled" in again.get_data(as_text=True).lower()
    slot = upcoming_slots(app_bookings, site)[2].start.isoformat()
    moved = client.post(f"/b/{token}/reschedule", data={"csrf_token": csrf, "slot": slot})
    assert moved.status_code == 409
    assert app_bookings.get(result.booking.public_id).start == result.booking.start


def test_post_without_csrf_token_is_refused(client, app_bookings, site):
    result = book(app_bookings, site)
    response = client.post(f"/b/{result.manage_token}/cancel", data={"reason": "forged"})
    assert response.status_code == 400
    assert app_bookings.get(result.booking.public_id).status == "confirmed"
    bad = client.post(f"/b/{result.manage_token}/cancel", data={"csrf_token": "x" * 40})
    assert bad.status_code == 400
    assert app_bookings.get(result.booking.public_id).status == "confirmed"


def test_links_survive_every_reschedule(client, app_bookings, site):
    result = book(app_bookings, site)
    token = result.manage_token
    for move in range(2):  # the first e-mail's link keeps working, however often it moves
        _status, html = _page(client, token)
        target = SLOT_RE.findall(html)[-1 - move]
        response = client.post(
            f"/b/{token}/reschedule", data={"csrf_token": csrf_from(html), "slot": target}
        )
        assert response.status_code == 303
        assert response.headers["Location"].rsplit("/b/", 1)[1] == token
        moved = app_bookings.get(result.booking.public_id)
        assert moved.start == datetime.fromisoformat(target)
        assert moved.ics_sequence == move + 1
        status, html = _page(client, token)
        assert status == 200 and "has moved" in html
        assert _local(moved.start, VISITOR_TZ) in html
        ics = client.get(f"/b/{token}.ics")  # the first .ics's own link too
        assert ics.status_code == 200 and b"SEQUENCE:" + str(move + 1).encode() in ics.data


def test_send_me_a_new_link_revokes_the_old_one(client, app_bookings, site):
    result = book(app_bookings, site)
    old = result.manage_token
    _status, html = _page(client, old)
    assert "Send me a new link" in html
    response = client.post(f"/b/{old}/new-link", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 200
    assert "new link is on its way" in response.get_data(as_text=True)
    assert old not in response.get_data(as_text=True)
    assert _page(client, old)[0] == 404
    assert client.get(f"/b/{old}.ics").status_code == 404
    booking = app_bookings.get(result.booking.public_id)
    new = app_bookings.manage_token(booking)
    assert new != old and _page(client, new)[0] == 200
    with app_bookings.db.session() as session:
        actions = [e.action for e in session.query(AuditEvent).all()]
    assert "booking.link_renewed" in actions


def test_reschedule_to_a_taken_slot_changes_nothing(client, app_bookings, site):
    slots = upcoming_slots(app_bookings, site)
    mine = book(app_bookings, site, slots[0].start)
    token = mine.manage_token
    wanted = slots[4].start
    _status, html = _page(
        client, token, day=wanted.astimezone(ZoneInfo(VISITOR_TZ)).date().isoformat()
    )
    csrf = csrf_from(html)
    assert wanted.astimezone(UTC).isoformat() in html  # offered while still free
    book(app_bookings, site, wanted, name="Someone Else", email="else@example.test")

    response = client.post(
        f"/b/{token}/reschedule", data={"csrf_token": csrf, "slot": wanted.isoformat()}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "just taken" in text and 'role="alert"' in text
    unchanged = app_bookings.get(mine.booking.public_id)
    assert unchanged.start == mine.booking.start and unchanged.ics_sequence == 0
    assert _page(client, token)[0] == 200  # the link was not rotated


BAD_SLOTS = ("", "not-a-date", "2030-01-01T10:00:00", "2030-02-30T10:00:00+00:00", "9" * 500)


def test_bad_slot_input_gets_a_clear_message(client, app_bookings, site):
    result = book(app_bookings, site)
    _status, html = _page(client, result.manage_token)
    csrf = csrf_from(html)
    for slot in BAD_SLOTS:
        response = client.post(
            f"/b/{result.manage_token}/reschedule", data={"csrf_token": csrf, "slot": slot}
        )
        assert response.status_code == 400, slot
        assert "choose one of the free times" in response.get_data(as_text=True)
    missing = client.post(f"/b/{result.manage_token}/reschedule", data={"csrf_token": csrf})
    assert missing.status_code == 400
    assert app_bookings.get(result.booking.public_id).start == result.booking.start


def test_slot_outside_opening_hours_is_refused(client, app_bookings, site):
    result = book(app_bookings, site)
    _status, html = _page(client, result.manage_token)
    night = (result.booking.start + timedelta(hours=12)).isoformat()  # Sydney night
    response = client.post(
        f"/b/{result.manage_token}/reschedule", data={"csrf_token": csrf_from(html), "slot": night}
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    assert app_bookings.get(result.booking.public_id).start == result.booking.start


BAD_TOKENS = ("nope", "A" * 43, "a" * 300, "tok%00en", "%3Cscript%3Ex", "tok.en")


def test_unknown_tokens_are_404_without_details(client, app_bookings, site):
    book(app_bookings, site)
    for token in BAD_TOKENS:
        response = client.get(f"/b/{token}")
        html = response.get_data(as_text=True)
        assert response.status_code == 404, token
        assert "This booking link is not valid" in html
        assert "<script>x" not in html and "bk_" not in html
        _assert_secure_headers(response)


def test_actions_on_unknown_token_are_404(client, app_bookings, site):
    result = book(app_bookings, site)
    _status, html = _page(client, result.manage_token)
    fake = secrets.token_urlsafe(32)
    response = client.post(f"/b/{fake}/cancel", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 404
    assert app_bookings.get(result.booking.public_id).status == "confirmed"


def test_day_selector_shows_that_days_slots(client, app_bookings, site):
    result = book(app_bookings, site)
    zone = ZoneInfo(VISITOR_TZ)
    days = sorted({s.start.astimezone(zone).date() for s in upcoming_slots(app_bookings, site)})
    later = days[2]
    status, html = _page(client, result.manage_token, day=later.isoformat())
    assert status == 200
    offered = [datetime.fromisoformat(v) for v in SLOT_RE.findall(html)]
    assert offered and all(s.astimezone(zone).date() == later for s in offered)
    previous = (later - timedelta(days=1)).isoformat()
    assert f"day={previous}" in html and f"day={(later + timedelta(days=1)).isoformat()}" in html

    status, html = _page(client, result.manage_token, day="31/12/2030")
    assert status == 400 and "not valid" in html


def test_ics_download(client, app_bookings, site):
    result = book(app_bookings, site)
    response = client.get(f"/b/{result.manage_token}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="booking-{result.booking.public_id}.ics"'
    _assert_secure_headers(response)
    cal, vcal = parse_both(response.data)
    assert str(cal["METHOD"]) == "REQUEST" and vcal.vevent.uid.value.startswith("bk_")

    app_bookings.cancel(result.booking.public_id, VISITOR)
    cancelled = client.get(f"/b/{result.manage_token}.ics")
    cal, vcal = parse_both(cancelled.data)
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(events(cal)[0]["STATUS"]) == "CANCELLED"
