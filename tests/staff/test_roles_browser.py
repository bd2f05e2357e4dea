"""Roles changed in place in Chromium: the owner turns an admin into a member from the account's
row, the admin's own open browser is refused the admin pages on its next request and finds People
as a read-only team list; the only owner's row says why it can't change. axe finds nothing
serious; screenshots (1280x860 and 390x844) go to the test's tmp folder."""

from __future__ import annotations

import pytest

from frontdesk import create_app
from tests.support.apps import QUEUE_ONLY_SMTP, app_config
from tests.support.factories import make_site
from tests.support.hosts import add_hosts
from tests.support.servers import LiveServer
from tests.support.staff_accounts import make_staff
from tests.support.staff_pages import no_horizontal_scroll, serious_axe_violations, staff_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP, PHONE = {"width": 1280, "height": 860}, {"width": 390, "height": 844}


@pytest.fixture
def studio(sqlite_url, tmp_path):
    app = create_app(app_config(sqlite_url, tmp_path, SMTP_URL=QUEUE_ONLY_SMTP))
    db = app.extensions["frontdesk.db"]
    site = make_site(db, name="Harbour Studio")
    make_staff(db, site.id)  # ana@studio.test, the owner
    make_staff(db, site.id, "tom@studio.test", role="admin")
    make_staff(db, site.id, "mia@studio.test")
    add_hosts(db, site, ["Tom Reyes"])
    server = LiveServer(app).start()
    yield server, site
    server.stop()
    db.dispose()


def test_an_owner_demotes_an_admin_in_place_and_their_session_loses_rights(
    browser, studio, tmp_path
):
    server, site = studio
    base = f"{server.url}/staff/{site.public_key}"
    tom = staff_page(browser, server.url, DESKTOP, "tom@studio.test")
    assert tom.goto(f"{base}/settings/").status == 200
    owner = staff_page(browser, server.url, DESKTOP)
    owner.goto(f"{base}/access/")
    ana_row = owner.locator('tr[data-account="ana@studio.test"]')
    assert "The only owner" in ana_row.inner_text() and ana_row.locator("select").count() == 0
    tom_row = owner.locator('tr[data-account="tom@studio.test"]')
    tom_row.locator("select").select_option("member")
    tom_row.get_by_role("button", name="Change role").click()
    owner.wait_for_load_state()
    assert "tom@studio.test is now a member." in owner.inner_text("main")
    assert owner.locator('tr[data-account="tom@studio.test"] select').input_value() == "member"
    owner.screenshot(path=str(tmp_path / "roles-owner.png"), full_page=True)
    assert serious_axe_violations(owner) == []

    # Tom's browser, still signed in: the next request is a member's.
    assert tom.goto(f"{base}/settings/").status == 403
    tom.goto(f"{base}/")
    assert tom.locator(".staff-nav").get_by_role("link", name="Settings").count() == 0
    tom.locator(".staff-nav").get_by_role("link", name="People").click()
    tom.wait_for_load_state()
    assert tom.locator("#access[data-readonly]").count() == 1
    assert tom.locator("#access select, #access button, #invite").count() == 0
    rows = tom.locator(".access-list tbody tr").all_inner_texts()
    assert len(rows) == 3 and any("Owner" in row for row in rows)
    tom.screenshot(path=str(tmp_path / "roles-member-team.png"), full_page=True)
    assert serious_axe_violations(tom) == []
    tom.set_viewport_size(PHONE)
    assert no_horizontal_scroll(tom)
    tom.screenshot(path=str(tmp_path / "roles-member-team-phone.png"), full_page=True)
    assert [p for p in tom.problems if "403" not in p] == [] and owner.problems == []
