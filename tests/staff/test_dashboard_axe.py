"""axe-core on every dashboard page, at desktop and phone sizes, with real content on them
(a conversation with tool calls and a booking, knowledge, a queued e-mail): no serious or
critical WCAG 2.x A/AA violations."""

from __future__ import annotations

import pytest

from tests.support.bookings import book, make_bookings
from tests.support.conversations import make_conversation
from tests.support.dashboard_browser import (
    SIZES,
    axe_violations,
    signed_in_page,
    start_dashboard,
    stop_dashboard,
)
from tests.support.factories import add_knowledge

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def site_host_key(db, site) -> str:
    """The public id of the site's own host (its calendars page is scanned too)."""
    from sqlalchemy import select

    from frontdesk.db.models import Host, SiteHost

    with db.session() as session:
        return session.scalar(
            select(Host.public_id).join(SiteHost).where(SiteHost.site_id == site.id)
        )


PAGES = [
    "",  # overview
    "conversations/",
    "conversations/{conversation}",
    "conversations/?view=waiting",
    "bookings/",
    "bookings/week",
    "bookings/day",
    "bookings/{booking}",
    "bookings/new",
    "bookings/block",
    "knowledge/",
    "email/",
    "settings/",
    "calendars/",
    "calendars/{host}/",
    "privacy/",
    "training/",
]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("axe")
    url = request.getfixturevalue("sqlite_template")
    database = folder / "axe.sqlite3"
    database.write_bytes(url.read_bytes())
    running = start_dashboard(f"sqlite:///{database}", folder)
    db, site = running.db, running.site
    add_knowledge(db, site, "Prices", "https://studio.test/prices", "A consultation is free.")
    conversation = make_conversation(
        db, site,
        texts=[("visitor", "Can I book?"), ("assistant", "Yes — **pick a time** below."),
               ("tool_call", "find_available_slots"), ("visitor", "I want a person")],
    )  # fmt: skip
    result = book(make_bookings(db), site, conversation_id=conversation.id)
    running.ids = {
        "conversation": conversation.public_id,
        "booking": result.booking.public_id,
        "host": site_host_key(db, site),
    }
    yield running
    stop_dashboard(running)


@pytest.mark.parametrize("size", list(SIZES))
def test_no_serious_violations_on_any_dashboard_page(browser, dashboard, size):
    page = signed_in_page(browser, dashboard, size)
    found = {}
    for path in PAGES:
        page.goto(dashboard.url(path.format(**dashboard.ids)))
        page.wait_for_load_state()
        assert page.locator("main h1").count() >= 1, path  # the page itself, not an error
        problems = axe_violations(page)
        if problems:
            found[path] = problems
    assert page.evaluate("axe.version")  # axe really ran
    for path in ("/staff/password", "/staff/"):
        page.goto(dashboard.server.url + path)
        if problems := axe_violations(page):
            found[path] = problems
    page.context.close()
    signed_out = browser.new_page(viewport=SIZES[size])
    signed_out.goto(dashboard.server.url + "/staff/signin")
    if problems := axe_violations(signed_out):
        found["signin"] = problems
    signed_out.close()
    assert found == {}
