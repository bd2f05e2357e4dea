"""The dashboard in Chromium: an app on a real socket with a site and a staff member, signing in
through the real form, the page sizes every screen is checked at, and axe-core's verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from frontdesk import create_app
from tests.support.apps import app_config
from tests.support.factories import make_site
from tests.support.servers import LiveServer
from tests.support.staff_accounts import PASSWORD, make_staff

SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}
EMAIL = "ana@studio.test"


@dataclass
class Dashboard:
    """A running dashboard: the server, its database, one site and where pages live."""

    server: LiveServer
    db: object
    site: object
    app: object

    def url(self, path: str = "") -> str:
        """A page of the site's dashboard (path relative to /staff/<site>/)."""
        return f"{self.server.url}/staff/{self.site.public_key}/{path}"


def start_dashboard(database_url: str, tmp_path: Path, **config) -> Dashboard:
    """Create the app, a site ("Harbour Test", Sydney) with one staff member, and serve it."""
    app = create_app(app_config(database_url, tmp_path, **config))
    db = app.extensions["frontdesk.db"]
    site = make_site(db, name="Harbour Test")
    make_staff(db, site.id, EMAIL)
    return Dashboard(LiveServer(app).start(), db, site, app)


def stop_dashboard(dashboard: Dashboard) -> None:
    """Stop serving and close the database."""
    dashboard.server.stop()
    dashboard.db.dispose()


def signed_in_page(browser, dashboard: Dashboard, size: str = "desktop"):
    """A fresh browser profile at `size`, signed in as the staff member; returns its page."""
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda m: page.problems.append(m.text) if "Content Security" in m.text else None,
    )
    page.goto(f"{dashboard.server.url}/staff/signin")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/staff/(?!signin)"))
    return page


def axe_violations(page) -> list[dict]:
    """Serious and critical WCAG 2.x A/AA violations axe-core finds on the page (axe is
    evaluated through the DevTools protocol: the dashboard's CSP rightly refuses inline scripts)."""
    from tests.support.widget_page import axe_script

    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_script().read_text(encoding="utf-8"))
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
