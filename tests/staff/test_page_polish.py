"""Small things a new staff member met: an empty bookings list that says what to do, and a
mistyped dashboard address that gets a dashboard page with a way back."""

from __future__ import annotations


def test_an_empty_bookings_list_says_where_bookings_come_from(signed_in, site):
    page = signed_in.get(f"/staff/{site.public_key}/bookings/").get_data(as_text=True)
    assert "No upcoming bookings" in page
    assert "as soon as a visitor books in the chat" in page
    assert f'href="/staff/{site.public_key}/bookings/new"' in page
    # With filters on, it says so and offers the way out of them.
    page = signed_in.get(f"/staff/{site.public_key}/bookings/?status=confirmed").get_data(
        as_text=True
    )
    assert "No bookings match these filters" in page
    assert "Show all upcoming bookings" in page


def test_a_dashboard_address_that_leads_nowhere_gets_a_page_with_a_way_back(
    client, signed_in, site
):
    response = signed_in.get(f"/staff/{site.public_key}/no-such-page/")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and "Go to your dashboard" in page
    assert "Content-Security-Policy" in response.headers  # the dashboard's own headers
    # Outside the dashboard the answer is unchanged.
    other = client.get("/no-such-page")
    assert other.status_code == 404 and "Page not found" not in other.get_data(as_text=True)


def test_the_today_mark_is_on_the_weeks_day_not_on_each_person_of_a_day(signed_in, site):
    base = f"/staff/{site.public_key}/bookings/"
    week = signed_in.get(base + "week").get_data(as_text=True)
    assert week.count('class="tgrid__today"') == 1  # the default week holds today
    day = signed_in.get(base + "day").get_data(as_text=True)
    assert 'class="tgrid__today"' not in day  # its columns are people, all of them "today"
