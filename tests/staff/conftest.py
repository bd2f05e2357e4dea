"""Staff fixtures: a staff member of the test's site, and a test client signed in as them."""

from __future__ import annotations

import pytest

from tests.support.staff_accounts import make_staff, sign_in


@pytest.fixture
def staff(db, site):
    """A staff member of `site` (ana@studio.test, tests.support.staff_accounts.PASSWORD)."""
    return make_staff(db, site.id)


@pytest.fixture
def signed_in(client, staff):
    """The test client, signed in through the real form as `staff`."""
    assert sign_in(client).status_code == 302
    return client
