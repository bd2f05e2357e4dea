"""People > Dashboard access in Chromium: an owner invites someone, the e-mail goes through a
real SMTP server (aiosmtpd), the invitee opens its link in their own browser, sets name and
password and lands signed in; the link then says it was used. axe finds nothing serious;
screenshots (1280x860 and 390x844) go to the test's tmp folder."""

from __future__ import annotations

import re

import pytest

from frontdesk import create_app
from tests.support.apps import app_config
from tests.support.factories import make_site
from tests.support.hosts import add_hosts
from tests.support.servers import LiveServer, free_port
from tests.support.smtp_servers import SmtpServer
from tests.support.staff_accounts import make_staff
from tests.support.staff_pages import no_horizontal_scroll, serious_axe_violations, staff_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def studio(sqlite_url, tmp_path):
    smtp = SmtpServer(free_port()).start()
    config = app_config(sqlite_url, tmp_path, SMTP_URL=f"smtp://127.0.0.1:{smtp.port}")
    app = create_app(config)
    db = app.extensions["frontdesk.db"]
    site = make_site(db, name="Harbour Studio")
    make_staff(db, site.id)  # ana@studio.test, the owner
    make_staff(db, site.id, "tom@studio.test", role="admin")
    add_hosts(db, site, ["Tom Reyes"])
    server = LiveServer(app).start()
    app.config["PUBLIC_URL"] = server.url  # the e-mail's link opens this server
    yield server, site, app, smtp
    server.stop()
    smtp.stop()
    db.dispose()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_invite_accept_and_signed_in(browser, studio, tmp_path, size):
    server, site, app, smtp = studio
    viewport = SIZES[size]
    owner = staff_page(browser, server.url, viewport)
    owner.goto(f"{server.url}/staff/{site.public_key}/access/")
    assert owner.locator(".access-list tbody tr").count() == 2
    owner.fill("#invite-email", "nora@example.test")
    owner.select_option("#invite-role", "admin")
    owner.get_by_role("button", name="Send invitation").click()
    assert "Invitation sent to nora@example.test." in owner.inner_text("main")
    row = owner.locator('tr[data-invitation="nora@example.test"]')
    assert "Admin" in row.inner_text() and "works until" in row.inner_text()
    owner.screenshot(path=str(tmp_path / f"team-{size}.png"), full_page=True)
    assert no_horizontal_scroll(owner)
    assert serious_axe_violations(owner) == []

    assert app.extensions["frontdesk.mailer"].send_due() == 1
    [message] = smtp.inbox.to("nora@example.test")
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"(http://\S+/staff/invite/\S+)", text).group(1)

    invitee = browser.new_context(viewport=viewport, bypass_csp=True).new_page()
    invitee.goto(link)
    assert "Join Harbour Studio" in invitee.inner_text("h1")
    assert "as an admin" in invitee.inner_text("main")
    invitee.screenshot(path=str(tmp_path / f"accept-{size}.png"), full_page=True)
    assert no_horizontal_scroll(invitee)
    assert serious_axe_violations(invitee) == []
    invitee.fill("#name", "Nora Quinn")
    invitee.fill("#password", "a long passphrase")
    invitee.fill("#confirm", "a long passphrase")
    invitee.get_by_role("button", name="Join Harbour Studio").click()
    invitee.wait_for_load_state()
    assert "Welcome to Harbour Studio. You are signed in." in invitee.inner_text("main")
    assert invitee.url.endswith(f"/staff/{site.public_key}/")
    assert "nora@example.test" in invitee.inner_text(".staff-account") or size == "phone"
    assert invitee.locator(".staff-nav").get_by_role("link", name="Settings").count() == 1
    invitee.screenshot(path=str(tmp_path / f"signed-in-{size}.png"))

    invitee.goto(link)  # used up
    assert "already accepted" in invitee.inner_text("h1")
    invitee.screenshot(path=str(tmp_path / f"used-{size}.png"))
    owner.reload()
    assert owner.locator('tr[data-account="nora@example.test"]').count() == 1
    assert "No pending invitations." in owner.inner_text("#invitations")
    owner.screenshot(path=str(tmp_path / f"team-after-{size}.png"), full_page=True)
    owner.get_by_role("link", name="Who takes bookings").click()  # People's other tab
    assert owner.locator(".hosts-list").count() == 1
    assert owner.get_by_role("link", name="Dashboard access").count() == 1
    owner.screenshot(path=str(tmp_path / f"people-{size}.png"))
    assert owner.problems == []  # nothing failed to load
