"""The People pages and the bookings pages on a team, over HTTP: a day in columns per person,
bookings filtered by person and a host's own ('My bookings'), each person's private feed, and
other sites' people out of reach."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from frontdesk.db.models import AuditEvent, Host, Service
from tests.support.apps import QUEUE_ONLY_SMTP
from tests.support.bookings import book, upcoming_starts
from tests.support.factories import make_site
from tests.support.forms import csrf_from
from tests.support.hosts import add_hosts, share_host

SYDNEY = ZoneInfo("Australia/Sydney")
pytestmark = pytest.mark.app_config(SMTP_URL=QUEUE_ONLY_SMTP)


@pytest.fixture
def team(app, site):
    return add_hosts(app.extensions["frontdesk.db"], site, ("Mia Chen", "Tom Reyes"))


def keys(app, ids):
    with app.extensions["frontdesk.db"].session() as session:
        return {name: session.get(Host, i).public_id for name, i in ids.items()}


def test_a_teams_day_has_a_column_per_person(app, signed_in, site, app_bookings, team):
    start = upcoming_starts(app_bookings, site, days=10)[0]
    book(app_bookings, site, start, email="a@example.com", host="Tom Reyes")
    day = start.astimezone(SYDNEY).date().isoformat()
    page = signed_in.get(f"/staff/{site.public_key}/bookings/day?day={day}").get_data(as_text=True)
    heads = page.split('class="tgrid__body"')[0]
    assert "Mia Chen" in heads and "Tom Reyes" in heads and "Test Studio" in heads
    body = page.split('class="tgrid__body"')[1]
    tom = body.split('aria-label="Tom Reyes')[1].split("</section>")[0]
    mia = body.split('aria-label="Mia Chen')[1].split("</section>")[0]
    assert "Ada Lovelace" in tom and "Ada Lovelace" not in mia


def test_a_teams_week_keeps_seven_days_and_names_each_bookings_person(
    app, signed_in, site, app_bookings, team
):
    start = upcoming_starts(app_bookings, site, days=10)[0]
    book(app_bookings, site, start, email="a@example.com", host="Tom Reyes")
    day = start.astimezone(SYDNEY).date()
    page = signed_in.get(f"/staff/{site.public_key}/bookings/week?week={day.isoformat()}")
    text = page.get_data(as_text=True)
    heads, body = text.split('class="tgrid__body"')
    assert heads.count('class="tgrid__colhead') == 7
    assert body.count('<section class="tcol') == 7  # a column per day, not per person too
    legend = re.findall(r'<span class="pdot (pc\d)" aria-hidden="true"></span>([^<]+)</a>', heads)
    assert sorted(name for _, name in legend) == ["Mia Chen", "Test Studio", "Tom Reyes"]
    colour = dict((name, pc) for pc, name in legend)["Tom Reyes"]
    when = day.strftime("%A %-d %B")
    column = body.split(f'aria-label="{when}')[1].split("</section>")[0]
    block = column.split('class="titem titem--confirmed')[1].split("</a>")[0]
    assert "Ada Lovelace" in block and "with Tom Reyes" in block
    assert (
        f'<span class="pdot {colour}" aria-hidden="true"></span><span class="titem__pname">Tom Reyes</span>'
        in block
    )
    # Filtered to one person: a column per day, no legend, as on a one-person site.
    people = keys(app, team)
    one = signed_in.get(
        f"/staff/{site.public_key}/bookings/week?week={day.isoformat()}&host={people['Tom Reyes']}"
    ).get_data(as_text=True)
    assert one.count('<section class="tcol') == 7 and "tgrid-legend" not in one
    assert "Ada Lovelace" in one


def test_hours_with_a_mistake_keep_what_was_typed(app, signed_in, site, team):
    tom = keys(app, team)["Tom Reyes"]
    page = signed_in.get(f"/staff/{site.public_key}/hosts/{tom}/").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "day0": "10:00-12:00", "day1": "nonsense"}
    shown = signed_in.post(f"/staff/{site.public_key}/hosts/{tom}/hours", data=form)
    text = shown.get_data(as_text=True)
    assert shown.status_code == 400 and "Write hours like 09:00-12:00" in text
    assert 'value="10:00-12:00"' in text and 'value="nonsense"' in text
    # Nothing was saved: the page as stored shows neither.
    again = signed_in.get(f"/staff/{site.public_key}/hosts/{tom}/").get_data(as_text=True)
    assert 'value="nonsense"' not in again and 'value="10:00-12:00"' not in again


def test_on_a_team_the_list_and_the_booking_say_whom_the_visitor_meets(
    app, signed_in, site, app_bookings
):
    start = upcoming_starts(app_bookings, site, days=10)[0]
    made = book(app_bookings, site, start, email="a@example.com", name="Ann Visitor").booking
    alone = signed_in.get(f"/staff/{site.public_key}/bookings/").get_data(as_text=True)
    assert '<th scope="col">With</th>' not in alone  # one person: the business itself
    page = signed_in.get(f"/staff/{site.public_key}/bookings/{made.public_id}")
    assert "<dt>With</dt>" not in page.get_data(as_text=True)

    add_hosts(app.extensions["frontdesk.db"], site, ("Mia Chen", "Tom Reyes"))
    later = book(app_bookings, site, start, email="b@example.com", name="Bea Visitor",
                 host="Tom Reyes").booking  # fmt: skip
    listing = signed_in.get(f"/staff/{site.public_key}/bookings/").get_data(as_text=True)
    assert '<th scope="col">With</th>' in listing
    row = listing.split("Bea Visitor")[0].rsplit("<tr>", 1)[1]
    assert '<td data-label="With">Tom Reyes</td>' in row
    page = signed_in.get(f"/staff/{site.public_key}/bookings/{later.public_id}")
    assert "<dt>With</dt><dd>Tom Reyes</dd>" in page.get_data(as_text=True)


def test_who_offers_a_service_says_what_nobody_ticked_means_in_either_state(
    app, signed_in, site, team
):
    page = signed_in.get(f"/staff/{site.public_key}/hosts/").get_data(as_text=True)
    forms = {
        slug: page.split(f'data-service="{slug}"')[1].split("</form>")[0]
        for slug in ("consult", "workshop")
    }
    assert "Tick nobody to have everyone here offer it." in forms["consult"]  # Mia and Tom
    assert "Nobody is ticked, so everyone here offers it." in forms["workshop"]


def test_bookings_filtered_by_person_and_my_bookings(app, signed_in, site, app_bookings, team):
    starts = upcoming_starts(app_bookings, site, days=10)
    book(app_bookings, site, starts[0], email="a@example.com", name="Ann Tom", host="Tom Reyes")
    book(app_bookings, site, starts[1], email="b@example.com", name="Bea Mia", host="Mia Chen")
    people = keys(app, team)
    listing = signed_in.get(f"/staff/{site.public_key}/bookings/?host={people['Tom Reyes']}")
    text = listing.get_data(as_text=True)
    assert "Ann Tom" in text and "Bea Mia" not in text
    assert signed_in.get(f"/staff/{site.public_key}/bookings/?host=hs_nobody").status_code == 400
    # Mia's own account: the filter offers "My bookings".
    page = signed_in.get(f"/staff/{site.public_key}/hosts/{people['Mia Chen']}/")
    form = {
        "csrf_token": csrf_from(page.get_data(as_text=True)),
        "name": "Mia Chen",
        "email": "mia@studio.test",
        "timezone": "Australia/Sydney",
        "staff_email": "ana@studio.test",
        "active": "1",
    }
    saved = signed_in.post(
        f"/staff/{site.public_key}/hosts/{people['Mia Chen']}/details",
        data=form,
        follow_redirects=True,
    )
    assert "Details saved." in saved.get_data(as_text=True)
    listing = signed_in.get(f"/staff/{site.public_key}/bookings/").get_data(as_text=True)
    assert "My bookings (Mia Chen)" in listing


def test_each_person_has_a_private_feed_of_every_site(app, client, site, app_bookings, team):
    db = app.extensions["frontdesk.db"]
    other = make_site(db, name="Clinic")
    share_host(db, team["Mia Chen"], other)
    first = upcoming_starts(app_bookings, site, days=10)[0]
    here = book(app_bookings, site, first, email="a@example.com", host="Mia Chen").booking
    there = book(
        app_bookings, other, first + timedelta(hours=1), email="b@example.com", host="Mia Chen"
    ).booking
    with db.session() as session:
        secret = session.get(Host, team["Mia Chen"]).feed_secret
    feed = client.get(f"/calendar/host/{secret}.ics")
    body = feed.get_data(as_text=True)
    assert feed.status_code == 200 and feed.content_type.startswith("text/calendar")
    assert here.public_id in body and there.public_id in body
    assert client.get("/calendar/host/not-a-secret.ics").status_code == 404


def test_other_sites_people_are_out_of_reach(app, signed_in, site):
    db = app.extensions["frontdesk.db"]
    other = make_site(db, name="Elsewhere")
    stranger = add_hosts(db, other, ("Zed",))["Zed"]
    with db.session() as session:
        key = session.get(Host, stranger).public_id
    assert signed_in.get(f"/staff/{site.public_key}/hosts/{key}/").status_code == 404
    assert signed_in.get(f"/staff/{other.public_key}/hosts/").status_code == 404


def test_people_without_services_says_what_to_do_first(app, signed_in, site):
    """A new site has no services: the People page leads to adding them, not to a blank list."""
    with app.extensions["frontdesk.db"].transaction() as session:
        session.execute(delete(Service).where(Service.site_id == site.id))
    page = signed_in.get(f"/staff/{site.public_key}/hosts/").get_data(as_text=True)
    assert "No services yet." in page
    assert f'href="/staff/{site.public_key}/settings/services"' in page
    assert "Round-robin gives each booking" not in page  # nothing to share out yet


def test_changes_to_people_are_audited_with_the_change_and_only_then(app, signed_in, site, team):
    """Adding a person, giving hours and naming who offers a service each leave one audit event
    (written in the change's own transaction); a refused change leaves none."""
    db = app.extensions["frontdesk.db"]
    base = f"/staff/{site.public_key}/hosts"
    token = csrf_from(signed_in.get(f"{base}/").get_data(as_text=True))
    tom = keys(app, team)["Tom Reyes"]
    assert signed_in.post(f"{base}/", data={"csrf_token": token, "name": "Ada"}).status_code == 302
    good = {"csrf_token": token, "day0": "10:00-12:00"}
    assert signed_in.post(f"{base}/{tom}/hours", data=good).status_code == 302
    bad = {"csrf_token": token, "day0": "nonsense"}
    assert signed_in.post(f"{base}/{tom}/hours", data=bad).status_code == 400
    with db.session() as session:
        consult = session.scalars(select(Service).where(Service.slug == "consult")).first()
    form = {"csrf_token": token, "hosts": [tom], "assignment": "chosen"}
    assert signed_in.post(f"{base}/services/{consult.id}", data=form).status_code == 302
    with db.session() as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.subject_id, AuditEvent.data)
            .where(AuditEvent.action.like("host.%"))
            .order_by(AuditEvent.id)
        ).all()
    assert [(action, subject) for action, subject, _ in events][1:] == [
        ("host.changed", tom), ("host.team_changed", "consult"),
    ]  # fmt: skip
    assert events[0][0] == "host.added"
    assert events[2][2] == {"hosts": [tom], "assignment": "chosen"}


def test_whole_days_off_read_as_days_not_midnights(app, signed_in, site, team):
    """Two days off read 'Mon 23 – Tue 24 Dec 2030', not '…, 00:00 – Wed 25 Dec 2030, 00:00'."""
    base = f"/staff/{site.public_key}/hosts"
    tom = keys(app, team)["Tom Reyes"]
    token = csrf_from(signed_in.get(f"{base}/{tom}/").get_data(as_text=True))
    form = {"csrf_token": token, "first": "2030-12-23", "last": "2030-12-24", "note": "Away"}
    assert signed_in.post(f"{base}/{tom}/time-off", data=form).status_code == 302
    page = signed_in.get(f"{base}/{tom}/").get_data(as_text=True)
    assert "Mon 23 – Tue 24 Dec 2030" in page
    assert "00:00" not in page.split('class="host-time-off"')[1].split("</ul>")[0]
