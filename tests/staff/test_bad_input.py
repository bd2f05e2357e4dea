"""Hostile query strings on the dashboard get a clear 4xx (or a safe page), never a 500,
on both databases (issue 13, item 10)."""

from __future__ import annotations

import pytest

from tests.support.conversations import make_conversation

HUGE = "99999999999999999999"


def site_url(site, tail: str) -> str:
    return f"/staff/{site.public_key}/{tail}"


@pytest.mark.parametrize(
    "tail",
    [
        f"conversations/?page={HUGE}",
        "conversations/?page=-5",
        "conversations/?page=9223372036854775807",
        "conversations/?q=%00",
        "conversations/?q=%ED%A0%80",  # a lone surrogate, UTF-8 encoded
        f"bookings/?page={HUGE}",
        "bookings/week?week=9999-12-31",
        "bookings/week?week=0001-01-01",
        "bookings/day?day=9999-12-31",
        "bookings/day?day=0001-01-01",
        "bookings/?from=0001-01-01&to=9999-12-31",
        "bookings/export?from=9999-12-31",
        "bookings/week?week=2026-02-30",
        "bookings/?from=%00",
    ],
)
def test_bad_query_strings_get_a_clear_answer(app, db, site, signed_in, tail):
    make_conversation(db, site, texts=[("visitor", "Hello")])
    response = signed_in.get(site_url(site, tail))
    assert response.status_code < 500, (tail, response.status_code)
    if response.status_code >= 400:
        assert response.status_code in (400, 404)
