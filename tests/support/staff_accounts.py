"""Staff accounts in tests: a staff member of a site, signed in through the real sign-in form."""

from __future__ import annotations

from frontdesk.staff.accounts import add_staff, password_hasher
from tests.support.forms import csrf_from

PASSWORD = "correct horse battery"
# The suite's apps hash with CHEAPEST too (tests/conftest.py): accounts made here are not
# rehashed when they sign in.
TEST_HASHER = password_hasher("CHEAPEST")


def make_staff(
    db, site_id: int, email: str = "ana@studio.test", password: str = PASSWORD, role=None
):
    """A staff member of the site (by default its owner when it has none yet, else a member)."""
    with db.transaction() as session:
        return add_staff(session, email, password, site_id, role=role, hasher=TEST_HASHER)


def sign_in(client, email: str = "ana@studio.test", password: str = PASSWORD):
    """Post the sign-in form like a browser; returns the response."""
    token = csrf_from(client.get("/staff/signin").get_data(as_text=True))
    return client.post(
        "/staff/signin", data={"email": email, "password": password, "csrf_token": token}
    )
