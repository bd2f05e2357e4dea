"""Every site-scoped staff route, found by walking app.url_map: anonymous visitors are sent to
sign in, staff of another site get 404, and a POST without a CSRF token is refused with 400.

A new route is covered the moment it is registered; a staff route without <site_key> (outside
the few sign-in pages) fails the test, so no route can skip the site check by accident."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from frontdesk.db.models import Booking, Site
from tests.support.bookings import book
from tests.support.conversations import make_conversation
from tests.support.factories import make_site
from tests.support.forms import csrf_from
from tests.support.staff_accounts import make_staff, sign_in
from tests.support.staff_routes import CHANGING, DASHBOARD, route_url, send, site_routes

# Staff routes that are not about one site.
SITELESS = {
    "staff.signin",
    "staff.signout",
    "staff.home",
    "staff.password",
    "staff.end_all_sessions",
    "staff.invite.accept",  # the invitation link's page: its token names the site
}
# Routes this test must find (others' sections add theirs; all are checked).
KNOWN = {
    ("staff.overview.index", "GET"),
    ("staff.bookings.index", "GET"),
    ("staff.bookings.week", "GET"),
    ("staff.bookings.export", "GET"),
    ("staff.bookings.detail", "GET"),
    ("staff.bookings.cancel", "POST"),
    ("staff.bookings.reschedule", "POST"),
    ("staff.bookings.rotate_feed", "POST"),
    ("staff.bookings.new_link", "POST"),
    ("staff.privacy.index", "GET"),
    ("staff.privacy.lookup", "POST"),
    ("staff.privacy.export", "POST"),
    ("staff.privacy.erase", "POST"),
    ("staff.privacy.retention", "POST"),
}


@pytest.fixture
def world(db, app_bookings):
    """Site A with a booking made in a chat, its staff member, and staff of site B."""
    home, other = make_site(db, name="Home"), make_site(db, name="Other")
    conversation = make_conversation(db, home, texts=[("visitor", "Hello")])
    booking = book(app_bookings, home, conversation_id=conversation.id).booking
    make_staff(db, home.id, "home@studio.test")
    make_staff(db, other.id, "other@studio.test")
    values = {"public_id": booking.public_id}
    return {"site": home, "booking": booking, "conversation": conversation, "values": values}


def build_url(rule, world) -> str:
    """The rule's URL on site A."""
    return route_url(rule, world["site"], world["conversation"], world["booking"])


def test_every_staff_route_is_site_scoped(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/staff"):
            assert rule.endpoint.startswith(DASHBOARD), rule.rule
            if rule.endpoint not in SITELESS:
                assert "site_key" in rule.arguments, f"{rule.rule} has no <site_key>"
    found = {(endpoint, method) for endpoint, method, _ in site_routes(app)}
    assert found >= KNOWN, KNOWN - found
    for endpoint, _ in found:  # the nav links every section's index
        assert f"{endpoint.rsplit('.', 1)[0]}.index" in app.view_functions


def test_anonymous_is_sent_to_sign_in_everywhere(app, world):
    client = app.test_client()
    token = csrf_from(client.get("/staff/signin").get_data(as_text=True))
    for endpoint, method, rule in site_routes(app):
        response = send(client, method, build_url(rule, world), token)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert urlsplit(response.headers["Location"]).path == "/staff/signin", endpoint


def test_staff_of_another_site_get_404_everywhere(app, world):
    client = app.test_client()
    assert sign_in(client, "other@studio.test").status_code == 302
    token = csrf_from(client.get("/staff/password").get_data(as_text=True))
    for endpoint, method, rule in site_routes(app):
        response = send(client, method, build_url(rule, world), token)
        assert response.status_code == 404, (endpoint, method, response.status_code)
    _assert_untouched(app, world)


def test_posts_without_csrf_token_are_refused(app, world):
    client = app.test_client()
    assert sign_in(client, "home@studio.test").status_code == 302
    changing = [(e, m, r) for e, m, r in site_routes(app) if m in CHANGING]
    assert changing
    for endpoint, method, rule in changing:
        response = send(client, method, build_url(rule, world), None)
        assert response.status_code == 400, (endpoint, method, response.status_code)
    _assert_untouched(app, world)
    # The right staff with a token do get in (so the 404s above were about the site).
    page = client.get(build_url(app.url_map._rules_by_endpoint["staff.bookings.detail"][0], world))
    assert page.status_code == 200


def _assert_untouched(app, world) -> None:
    with app.extensions["frontdesk.db"].session() as session:
        booking = session.scalars(
            select(Booking).where(Booking.public_id == world["booking"].public_id)
        ).one()
        site = session.get(Site, world["site"].id)
    assert (booking.status, booking.start, booking.visitor_name) == (
        "confirmed", world["booking"].start, world["booking"].visitor_name,
    )  # fmt: skip
    assert site.calendar_secret == world["site"].calendar_secret
    assert site.retention_days is None
