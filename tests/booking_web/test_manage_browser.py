"""The visitor's manage page in Chromium at desktop and phone sizes: the site's name and colours,
the picker on the booked day, a cancellation that asks first, then "book again"; axe finds
nothing serious. Screenshots go to the test's tmp folder."""

from __future__ import annotations

import pytest

from frontdesk import create_app
from frontdesk.db.models import Site
from tests.support.apps import QUEUE_ONLY_SMTP, app_config
from tests.support.bookings import book
from tests.support.factories import make_site
from tests.support.servers import LiveServer
from tests.support.staff_pages import DESKTOP, PHONE, no_horizontal_scroll, serious_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def manage(sqlite_url, tmp_path):
    app = create_app(app_config(sqlite_url, tmp_path, SMTP_URL=QUEUE_ONLY_SMTP))
    db = app.extensions["frontdesk.db"]
    site = make_site(db, name="Harbour Studio")
    with db.transaction() as session:
        session.get(Site, site.id).appearance = {"accent": "#0b5c66"}
    result = book(app.extensions["frontdesk.bookings"], site, visitor_tz="America/New_York")
    server = LiveServer(app).start()
    yield f"{server.url}/b/{result.manage_token}", result.booking
    server.stop()
    db.dispose()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_manage_cancel_and_book_again(browser, manage, tmp_path, size):
    url, booking = manage
    context = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    assert page.locator(".site-header .brand").inner_text() == "Harbour Studio"
    header = page.locator(".site-header").evaluate("el => getComputedStyle(el).backgroundColor")
    assert header == "rgb(11, 92, 102)"  # the site's accent
    assert "New York time" in page.inner_text("main") and "Sydney time" in page.inner_text("main")
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / f"manage-{size}.png"), full_page=True)
    assert serious_axe_violations(page) == []

    confirm = page.get_by_role("button", name="Yes, cancel my booking")
    assert not confirm.is_visible()  # one click does not cancel
    page.locator("summary", has_text="Cancel this booking").click()
    page.screenshot(path=str(tmp_path / f"manage-confirm-{size}.png"), full_page=True)
    confirm.click()
    assert "Your booking has been cancelled." in page.inner_text("main")
    assert page.locator("[data-status=cancelled]").count() == 1
    page.screenshot(path=str(tmp_path / f"manage-cancelled-{size}.png"), full_page=True)
    assert serious_axe_violations(page) == []

    page.locator(".slot").first.click()
    page.get_by_role("button", name="Book this time").click()
    assert "You're booked again." in page.inner_text("main")
    assert page.locator("[data-status=confirmed]").count() == 1
    assert errors == []
    context.close()


def test_manage_page_in_french(browser, manage, tmp_path):
    """A browser set to French (Accept-Language) reads the page, its dates and its confirmation
    in French; the page says so (lang="fr") and axe finds nothing serious."""
    url, _booking = manage
    context = browser.new_context(viewport=PHONE, locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "fr"
    main = page.inner_text("main")
    assert "heure de New York" in main and "Confirmée" in main
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / "manage-fr.png"), full_page=True)
    assert serious_axe_violations(page) == []
    page.locator("summary", has_text="Annuler cette réservation").click()
    page.get_by_role("button", name="Oui, annuler ma réservation").click()
    assert "Votre réservation a été annulée." in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "manage-fr-cancelled.png"), full_page=True)
    context.close()
