"""No N+1: the dashboard's busiest pages (the inbox and its "needs a person" view, the bookings
list and its next page, the week and day grids, the overview) run the same number of queries
for a handful of conversations and bookings as for many (bench/dashboard.py times them at
10,000 each). The bookings run from an hour ago, so the list and the grids show them."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from frontdesk.db.types import utcnow
from tests.support.dashboard_data import seed
from tests.support.factories import make_site
from tests.support.staff_accounts import make_staff, sign_in

PAGES = [
    "conversations/",
    "conversations/?view=waiting",
    "bookings/",
    "bookings/?page=2",
    "bookings/week",
    "bookings/day",
    "",
]


@contextmanager
def counting(db):
    """Count the SQL statements run on the app's engines inside the block."""
    count = {"n": 0}

    def one(*_args):
        count["n"] += 1

    engines = {db.engine, db.write_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", one)
    try:
        yield count
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", one)


def queries_per_page(app, db, rows: int) -> dict[str, int]:
    site = make_site(db, name=f"Studio {rows}")
    email = f"ana{rows}@studio.test"
    make_staff(db, site.id, email)
    # Half-hourly from an hour ago: a booking is under way now, so every bookings page has rows.
    start = utcnow() - timedelta(hours=1)
    seed(db, site.id, conversations=rows, bookings=rows, seed_value=rows, bookings_from=start)
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    counts = {}
    for path in PAGES:
        url = f"/staff/{site.public_key}/{path}"
        assert client.get(url).status_code == 200  # warm: first-use lookups are not per row
        with counting(db) as count:
            page = client.get(url)
        assert page.status_code == 200
        counts[path] = count["n"]
        if path.startswith("bookings/") and path != "bookings/?page=2":
            assert "bk_seed_" in page.get_data(as_text=True), path  # rows are on the page
    return counts


@pytest.mark.slow
def test_pages_run_as_many_queries_for_many_rows_as_for_few(app, db):
    few = queries_per_page(app, db, 4)
    many = queries_per_page(app, db, 120)
    assert many == few
    assert max(many.values()) <= 20
