"""The tools on a team: who offers what, one person's slots, cards naming whom the visitor
meets, "with Mia" in a booking and a reschedule that hands over (both databases)."""

from __future__ import annotations

import pytest

from frontdesk.db.models import Booking
from tests.support.assistant_tools import FREE_START, book_directly, make_tools
from tests.support.hosts import add_hosts


@pytest.fixture
def team(db, site):
    return add_hosts(db, site, ("Mia Chen", "Tom Reyes"))


def propose(tools, **extra):
    return tools.call(
        "propose_booking",
        {
            "service": "consult",
            "start": FREE_START,
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "phone": None,
            "notes": None,
            **extra,
        },
    )


def test_list_services_says_who_offers_what(tools, team):
    services = {s["slug"]: s for s in tools.call("list_services", {}).content["services"]}
    assert services["consult"]["hosts"] == ["Mia Chen", "Tom Reyes"]
    assert services["consult"]["assignment"] == "round_robin"
    # The workshop names nobody: the site's hosts all offer it (its first one, the studio).
    assert services["workshop"]["hosts"] == ["Test Studio", "Mia Chen", "Tom Reyes"]


def test_a_one_person_site_lists_its_services_as_before(db):
    from tests.support.factories import make_site

    lone = make_site(db, name="Solo")
    listed = make_tools(db, lone).call("list_services", {}).content["services"]
    assert all("hosts" not in s and "assignment" not in s for s in listed)


def test_one_persons_slots_and_chips_that_name_them(db, site, tools, team):
    book_directly(tools, FREE_START, host="Mia Chen")
    args = {"service": "consult", "start_date": "2026-12-01", "end_date": "2026-12-01"}
    mia = tools.call("find_available_slots", {**args, "time_zone": None, "host": "mia chen"})
    starts = [s["start"] for s in mia.content["slots"]]
    assert FREE_START not in starts and mia.content["host"] == "Mia Chen"
    assert all(c.value.endswith(" with Mia Chen") for c in mia.choices)
    anyone = tools.call("find_available_slots", {**args, "time_zone": None, "host": None})
    at_free = next(s for s in anyone.content["slots"] if s["start"] == FREE_START)
    assert at_free["hosts"] == ["Tom Reyes"]  # Mia is booked then


def test_the_card_names_the_person_and_the_booking_goes_to_them(db, site, tools, team):
    result = propose(tools, host="Tom Reyes")
    assert result.ok and result.card["host"] == "Tom Reyes"
    assert "host_note" not in result.card
    confirmed = tools.confirm(result.card["proposal"])
    assert confirmed.ok and confirmed.card["host"] == "Tom Reyes"
    with db.session() as session:
        booking = session.query(Booking).one()
        assert [row.host_id for row in booking.hosts] == [team["Tom Reyes"]]


def test_anyone_is_settled_on_confirm(db, site, tools, team):
    result = propose(tools)
    assert result.card["host_note"] == "whoever of the team is free then"
    confirmed = tools.confirm(result.card["proposal"])
    assert confirmed.card["host"] in ("Mia Chen", "Tom Reyes")


def test_who_the_visitor_meets_is_said_in_their_language(db, site, team):
    tools = make_tools(db, site)
    tools.lang = "fr-FR"
    result = propose(tools)
    assert result.card["host_note"] == "la personne de l'équipe disponible à ce moment-là"
    assert [a["label"] for a in result.card["actions"]] == ["Confirmer", "Modifier"]


def test_an_unknown_person_is_a_clear_error(tools, team):
    result = propose(tools, host="Zoe")
    assert not result.ok and result.content["field"] == "host"
    assert "Mia Chen, Tom Reyes" in result.content["error"]


def test_reschedule_offers_another_host_when_the_first_is_busy(db, site, tools, team):
    made = tools.confirm(propose(tools, host="Mia Chen").card["proposal"]).content
    other = make_tools(db, site, visitor_id="visitor-b")
    later = "2026-12-01T04:00:00Z"  # 15:00 in Sydney
    book_directly(other, later, host="Mia Chen")
    moved = tools.call("propose_reschedule", {"booking_id": made["booking_id"], "new_start": later})
    assert moved.ok and moved.card["host"] == "Tom Reyes"
    assert moved.card["host_note"] == "Mia Chen isn't free then"


def test_reschedule_of_a_chosen_person_offers_their_own_times(db, site, tools):
    add_hosts(db, site, ("Mia Chen", "Tom Reyes"), assignment="chosen")
    made = tools.confirm(propose(tools, host="Mia Chen").card["proposal"]).content
    other = make_tools(db, site, visitor_id="visitor-b")
    later = "2026-12-01T04:00:00Z"  # 15:00 in Sydney: Mia is taken, Tom is free
    book_directly(other, later, host="Mia Chen")
    moved = tools.call("propose_reschedule", {"booking_id": made["booking_id"], "new_start": later})
    assert not moved.ok and moved.content["field"] == "start"
    assert moved.choices and all(c.value.endswith(" with Mia Chen") for c in moved.choices)
