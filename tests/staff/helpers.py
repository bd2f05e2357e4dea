"""Signing staff in through the real sign-in form (CSRF token scraped from the page)."""

from __future__ import annotations

import re

from frontdesk.staff.accounts import add_staff

PASSWORD = "correct horse battery"


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in the page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def make_staff(db, site_id: int, email: str = "ana@studio.test", password: str = PASSWORD):
    """A staff member of the site."""
    with db.transaction() as session:
        return add_staff(session, email, password, site_id)


def sign_in(client, email: str = "ana@studio.test", password: str = PASSWORD):
    """Post the sign-in form like a browser; returns the response."""
    token = csrf_from(client.get("/staff/signin").get_data(as_text=True))
    return client.post(
        "/staff/signin", data={"email": email, "password": password, "csrf_token": token}
    )
