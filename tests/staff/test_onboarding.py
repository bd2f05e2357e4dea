"""The onboarding checklist on a new site's overview: what is left, ticked as it is done
(the script tag when the widget first works on the site), gone when done or put away."""

from __future__ import annotations

import re
from datetime import time

import pytest
from sqlalchemy import select

from frontdesk.chat import presence
from frontdesk.db.models import OpeningHours, Site
from tests.support.conversations import make_conversation
from tests.support.factories import add_knowledge
from tests.support.forms import csrf_from

pytestmark = pytest.mark.site(origins=(), weekdays=())  # services only, nothing else yet


def overview(client, site) -> str:
    return client.get(f"/staff/{site.public_key}/").get_data(as_text=True)


def step_done(html: str, key: str) -> bool:
    match = re.search(rf'<li class="onboarding__step( is-done)?" data-step="{key}"', html)
    assert match, key
    return bool(match.group(1))


def test_the_checklist_ticks_each_step_and_goes_when_all_are_done(app, db, site, signed_in):
    html = overview(signed_in, site)
    assert "1 of 6 done" in html and step_done(html, "services")
    for key in ("hours", "knowledge", "origin", "installed", "conversation"):
        assert not step_done(html, key)
    assert f'href="/staff/{site.public_key}/settings/hours"' in html  # where to do it

    with db.transaction() as session:
        stored = session.get(Site, site.id)
        stored.allowed_origins = ["https://studio.test"]
        stored.opening_hours.clear()
    add_knowledge(db, site, "FAQ", "https://studio.test/faq", "We open at nine.")
    make_conversation(db, site, texts=[("visitor", "Hello?")])
    with db.session() as session:
        fresh = session.get(Site, site.id)
    presence.note_widget_origin(db, fresh, "https://studio.test")
    presence.note_widget_origin(db, fresh, "https://other.test")  # the first one stays
    html = overview(signed_in, site)
    assert step_done(html, "installed") and "Seen working on https://studio.test." in html
    assert "4 of 6 done" in html or "5 of 6 done" in html

    with db.transaction() as session:
        session.add(OpeningHours(site_id=site.id, weekday=0, start_time=time(9), end_time=time(17)))
    assert 'id="onboarding"' not in overview(signed_in, site)  # all done: gone
    with db.session() as session:
        assert session.scalar(select(Site.widget_seen_origin).where(Site.id == site.id)) == (
            "https://studio.test"
        )


def test_the_owner_can_put_the_checklist_away(site, signed_in):
    html = overview(signed_in, site)
    assert 'id="onboarding"' in html
    token = csrf_from(html)
    response = signed_in.post(
        f"/staff/{site.public_key}/onboarding/dismiss", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert 'id="onboarding"' not in overview(signed_in, site)
