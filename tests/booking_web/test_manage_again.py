"""The manage page opens its picker on the booked day, wears the site's colours (a stylesheet,
hex only), and books the same service again after a cancellation, once per double submit."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlalchemy import select

from frontdesk.audit import Actor
from frontdesk.booking.manage_view import theme_css
from frontdesk.db.models import Booking
from tests.support.bookings import VISITOR_TZ, book, upcoming_starts
from tests.support.forms import csrf_from

SLOT_RE = re.compile(r'name="slot" value="([^"]+)"')


def test_the_picker_opens_on_the_booked_day(client, app_bookings, site):
    starts = upcoming_starts(app_bookings, site)
    later = starts[-1]  # days after the first free one
    result = book(app_bookings, site, later)
    html = client.get(f"/b/{result.manage_token}").get_data(as_text=True)
    day = later.astimezone(ZoneInfo(VISITOR_TZ)).date()
    assert f'name="day" value="{day.isoformat()}"' in html
    assert 'rel="prev"' in html and 'rel="next"' in html


def test_book_again_after_a_cancellation(app, client, app_bookings, site):
    result = book(app_bookings, site)
    app_bookings.cancel(result.booking.public_id, Actor("visitor", id="visitor-1"))
    token = result.manage_token
    html = client.get(f"/b/{token}").get_data(as_text=True)
    assert "Book again" in html and f'action="/b/{token}/book"' in html
    slot = SLOT_RE.search(html).group(1)
    form = {"csrf_token": csrf_from(html), "slot": slot}
    first = client.post(f"/b/{token}/book", data=form)
    assert first.status_code == 303 and first.location != f"/b/{token}"
    again = client.post(f"/b/{token}/book", data=form)  # a double submit books once
    assert again.location == first.location
    new_page = client.get(first.location).get_data(as_text=True)
    assert "Confirmed" in new_page and "You&#39;re booked again" in new_page
    with app.extensions["frontdesk.db"].session() as session:
        mine = session.scalars(select(Booking).order_by(Booking.id.desc())).all()
    assert [b.status for b in mine] == ["confirmed", "cancelled"]
    assert mine[0].email == result.booking.email and mine[0].service_id == result.booking.service_id


def test_book_again_is_refused_while_the_booking_stands(client, app_bookings, site):
    result = book(app_bookings, site)
    html = client.get(f"/b/{result.manage_token}").get_data(as_text=True)
    response = client.post(
        f"/b/{result.manage_token}/book",
        data={"csrf_token": csrf_from(html), "slot": result.booking.start.isoformat()},
    )
    assert response.status_code == 409


def test_the_site_colours_come_as_a_stylesheet(client, app_bookings, site, db):
    from frontdesk.db.models import Site

    with db.transaction() as session:
        session.get(Site, site.id).appearance = {"accent": "#0b5c66"}
    result = book(app_bookings, site)
    html = client.get(f"/b/{result.manage_token}").get_data(as_text=True)
    assert f'href="/b/{result.manage_token}/theme.css"' in html
    css = client.get(f"/b/{result.manage_token}/theme.css")
    assert css.mimetype == "text/css"
    assert "--accent:#0b5c66;--accent-text:#ffffff;--link:#0b5c66" in css.get_data(as_text=True)
    assert client.get("/b/not-a-token/theme.css").status_code == 404


def test_theme_takes_only_a_hex_colour_and_keeps_text_readable():
    assert "--accent:#1f5fbf" in theme_css({"accent": "red;}body{display:none"})
    light = theme_css({"accent": "#fd3"})
    assert "--accent:#ffdd33;--accent-text:#000000;--link:#1b1f24" in light
