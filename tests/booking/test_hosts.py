"""Hosts: who is free when, round-robin, chosen and collective services, one person on two
sites, time off, hours of their own, external busy times and reschedules (both databases)."""

from __future__ import annotations

from collections import Counter
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from frontdesk.audit import Actor
from frontdesk.booking.errors import InvalidBooking, SlotTaken
from frontdesk.booking.hosts import register_busy_source, unregister_busy_source
from frontdesk.booking.reschedule_picker import picker_day
from frontdesk.booking.slots import Busy
from frontdesk.db.models import BookingHost
from tests.support.bookings import MONDAY, NOW, VISITOR, at, booking_request
from tests.support.factories import make_site
from tests.support.hosts import add_hosts, add_time_off, set_hours, share_host

TEAM = ("Mia", "Tom", "Ana")


def hosts_of(booking) -> list[int]:
    return [row.host_id for row in booking.hosts]


def starts(bookings, site, day=MONDAY, **options) -> list[str]:
    found = bookings.free_slots(site.id, "consult", day, day, now=NOW, **options)
    return [slot.start.strftime("%H:%M") for slot in found]


def book(bookings, site, start, i=0, **fields):
    request = booking_request(start, email=f"v{i}@example.com", visitor_id=f"v{i}", **fields)
    return bookings.create(site.id, request, Actor("visitor", f"v{i}"), now=NOW).booking


def test_round_robin_takes_one_booking_per_free_host_then_the_slot_is_gone(db, site, bookings):
    ids = add_hosts(db, site, TEAM)
    ten = at(MONDAY, 10)
    made = [book(bookings, site, ten, i) for i in range(3)]
    assert sorted(h for b in made for h in hosts_of(b)) == sorted(ids.values())
    assert "10:00" not in starts(bookings, site)
    with pytest.raises(SlotTaken):
        book(bookings, site, ten, 9)
    team = bookings.team_slots(site.id, "consult", MONDAY, MONDAY, now=NOW)
    nine = next(t for t in team if t.slot.start == at(MONDAY, 9))
    assert set(nine.host_ids) == set(ids.values())


def test_the_visitor_can_ask_for_one_person(db, site, bookings):
    ids = add_hosts(db, site, TEAM)
    booking = book(bookings, site, at(MONDAY, 10), host="mia")
    assert hosts_of(booking) == [ids["Mia"]]
    assert "10:00" not in starts(bookings, site, host="Mia")
    assert "10:00" in starts(bookings, site, host="Tom")
    with pytest.raises(SlotTaken):
        book(bookings, site, at(MONDAY, 10), 2, host="Mia")
    with pytest.raises(InvalidBooking, match="Mia, Tom, Ana") as caught:
        book(bookings, site, at(MONDAY, 11), 3, host="Zoe")
    assert caught.value.field == "host"


def test_a_chosen_service_needs_the_person_named(db, site, bookings):
    ids = add_hosts(db, site, ("Mia", "Tom"), assignment="chosen")
    with pytest.raises(InvalidBooking, match="choose who") as caught:
        book(bookings, site, at(MONDAY, 10))
    assert caught.value.field == "host"
    assert hosts_of(book(bookings, site, at(MONDAY, 10), host="Tom")) == [ids["Tom"]]


def test_a_collective_service_needs_everyone_free_and_books_them_all(db, site, bookings):
    ids = add_hosts(db, site, ("Mia", "Tom"), service="workshop", assignment="collective")
    share_host(db, ids["Tom"], site, service="consult")  # Tom also takes consultations
    book(bookings, site, at(MONDAY, 10), 1, host="Tom")  # Tom is busy 10:00-10:30
    found = bookings.free_slots(site.id, "workshop", MONDAY, MONDAY, now=NOW)
    morning = [s.start.strftime("%H:%M") for s in found if s.start.hour < 12]
    assert morning == ["10:30"]  # 90 minutes from 09:00 and 09:30 run into 10:00
    workshop = book(bookings, site, at(MONDAY, 13), 2, service="workshop")
    assert sorted(hosts_of(workshop)) == sorted(ids.values())
    with pytest.raises(SlotTaken):
        book(bookings, site, at(MONDAY, 13, 30), 3, host="Tom")


def test_one_person_on_two_sites_is_never_booked_twice(db, bookings):
    studio, clinic = make_site(db), make_site(db, name="Clinic")
    mia = add_hosts(db, studio, ("Mia",))["Mia"]
    share_host(db, mia, clinic)
    book(bookings, studio, at(MONDAY, 10))
    assert "10:00" not in starts(bookings, clinic, host="Mia")
    with pytest.raises(SlotTaken):
        book(bookings, clinic, at(MONDAY, 10), 1, host="Mia")
    # The clinic's workshop names nobody: all its hosts offer it, its default host is free.
    workshop = bookings.team_slots(clinic.id, "workshop", MONDAY, MONDAY, now=NOW)
    ten = next(t for t in workshop if t.slot.start == at(MONDAY, 10))
    assert mia not in ten.host_ids and len(ten.host_ids) == 1


def test_time_off_and_own_hours_narrow_a_hosts_slots(db, site, bookings):
    ids = add_hosts(db, site, ("Mia", "Tom"))
    set_hours(db, ids["Mia"], {0: [(time(9), time(10, 30))]})  # Mondays 09:00-10:30
    add_time_off(db, ids["Tom"], at(MONDAY, 0), at(MONDAY, 11))
    assert starts(bookings, site, host="Mia") == ["09:00", "09:30", "10:00"]
    assert starts(bookings, site, host="Tom")[0] == "11:00"
    assert starts(bookings, site)[:5] == ["09:00", "09:30", "10:00", "11:00", "11:30"]
    with pytest.raises(SlotTaken):
        book(bookings, site, at(MONDAY, 10, 30))


def test_a_host_in_another_zone_works_their_own_hours(db, site, bookings):
    # Sydney is UTC+11 in March and London UTC: Sunday 22:00-23:00 in London is Monday
    # 09:00-10:00 in Sydney.
    ids = add_hosts(db, site, ("Mia",), timezone="Europe/London")
    set_hours(db, ids["Mia"], {6: [(time(22), time(23))]})
    assert starts(bookings, site) == ["09:00", "09:30"]


def test_external_busy_times_block_the_host(db, site, bookings):
    ids = add_hosts(db, site, ("Mia",))

    def calendar(session, host_ids, start, end):
        assert ids["Mia"] in host_ids
        return {ids["Mia"]: [Busy(at(MONDAY, 9, 15), at(MONDAY, 9, 45))]}

    register_busy_source(calendar)
    try:
        assert starts(bookings, site)[:2] == ["10:00", "10:30"]  # no buffer around it
        with pytest.raises(SlotTaken):
            book(bookings, site, at(MONDAY, 9, 30))
    finally:
        unregister_busy_source(calendar)
    assert starts(bookings, site)[0] == "09:00"


def test_reschedule_keeps_the_host_when_free_and_otherwise_hands_over(db, site, bookings):
    ids = add_hosts(db, site, ("Mia", "Tom"))
    first = book(bookings, site, at(MONDAY, 9))
    mine = hosts_of(first)
    moved = bookings.reschedule(first.public_id, at(MONDAY, 11), VISITOR, now=NOW).booking
    assert hosts_of(moved) == mine
    other = next(h for h in ids.values() if h not in mine)
    name = next(n for n, h in ids.items() if h == mine[0])
    book(bookings, site, at(MONDAY, 14), 2, host=name)  # the host is busy at 14:00 now
    moved = bookings.reschedule(first.public_id, at(MONDAY, 14), VISITOR, now=NOW).booking
    assert hosts_of(moved) == [other]
    with db.session() as session:
        rows = session.scalars(select(BookingHost).where(BookingHost.booking_id == first.id))
        assert [(r.host_id, r.block_start) for r in rows] == [(other, at(MONDAY, 14))]


def test_reschedule_of_a_chosen_person_stays_with_them(db, site, bookings):
    ids = add_hosts(db, site, ("Mia", "Tom"), assignment="chosen")
    first = book(bookings, site, at(MONDAY, 9), host="Mia")
    book(bookings, site, at(MONDAY, 14), 2, host="Mia")
    with pytest.raises(SlotTaken):
        bookings.reschedule(first.public_id, at(MONDAY, 14), VISITOR, now=NOW)
    moved = bookings.reschedule(first.public_id, at(MONDAY, 15), VISITOR, now=NOW).booking
    assert hosts_of(moved) == [ids["Mia"]]


def picker_times(bookings, site, booking) -> list[str]:
    """The times the manage page (and the staff's booking page) offers to move a booking to."""
    booking = bookings.get(booking.public_id)
    day = picker_day(bookings, booking, site, "Australia/Sydney", MONDAY, NOW)
    return [slot.start.astimezone(at(MONDAY, 9).tzinfo).strftime("%H:%M") for slot in day.slots]


def test_the_manage_page_offers_a_chosen_person_their_own_times_only(db, site, bookings):
    add_hosts(db, site, ("Mia", "Tom"), assignment="chosen")
    mine = book(bookings, site, at(MONDAY, 9), host="Mia")
    book(bookings, site, at(MONDAY, 11), 2, host="Mia")  # Mia is busy at 11:00, Tom is not
    book(bookings, site, at(MONDAY, 14), 3, host="Tom")  # Tom is busy at 14:00, Mia is not
    offered = picker_times(bookings, site, mine)
    assert "11:00" not in offered and "09:00" not in offered
    assert {"10:00", "14:00"} <= set(offered)
    moved = bookings.reschedule(mine.public_id, at(MONDAY, 14), VISITOR, now=NOW).booking
    assert hosts_of(moved) == hosts_of(mine)


def test_the_manage_page_offers_any_free_host_on_a_round_robin_service(db, site, bookings):
    ids = add_hosts(db, site, ("Mia", "Tom"))
    mine = book(bookings, site, at(MONDAY, 9), host="Mia")
    book(bookings, site, at(MONDAY, 11), 2, host="Mia")  # Mia is busy at 11:00, Tom is not
    assert "11:00" in picker_times(bookings, site, mine)
    moved = bookings.reschedule(mine.public_id, at(MONDAY, 11), VISITOR, now=NOW).booking
    assert hosts_of(moved) == [ids["Tom"]]


def test_cancelling_frees_the_host(db, site, bookings):
    add_hosts(db, site, ("Mia",))
    booking = book(bookings, site, at(MONDAY, 10))
    assert "10:00" not in starts(bookings, site)
    bookings.cancel(booking.public_id, VISITOR, now=NOW)
    assert "10:00" in starts(bookings, site)
    assert [row.status for row in bookings.get(booking.public_id).hosts] == ["cancelled"]


def test_round_robin_spreads_a_week_evenly(db, site, bookings):
    """ "Evenly": in any week, when every host was free for every booked slot, the hosts'
    counts of the service's bookings differ by at most one (and ties rotate)."""
    ids = add_hosts(db, site, TEAM)
    days = [MONDAY + timedelta(days=d) for d in range(5)]
    slots = [at(day, hour) for day in days for hour in (9, 10, 11, 14)]
    made = [hosts_of(book(bookings, site, start, i))[0] for i, start in enumerate(slots)]
    counts = Counter(made)
    assert set(counts) == set(ids.values())
    assert max(counts.values()) - min(counts.values()) <= 1
    # Rotation: the first three bookings went to three different people.
    assert len(set(made[:3])) == 3


def test_round_robin_gives_the_next_booking_to_the_least_busy_host(db, site, bookings):
    ids = add_hosts(db, site, TEAM)
    for i, hour in enumerate((9, 10, 11, 13)):
        book(bookings, site, at(MONDAY, hour), i, host="Mia")  # Mia has four this week
    book(bookings, site, at(MONDAY + timedelta(days=1), 9), 5, host="Tom")  # Tom one
    nxt = book(bookings, site, at(MONDAY + timedelta(days=2), 9), 6)
    assert hosts_of(nxt) == [ids["Ana"]]
    nxt = book(bookings, site, at(MONDAY + timedelta(days=2), 10), 7)
    # Tom and Ana have one each; Tom's was made first, so it is his turn.
    assert hosts_of(nxt) == [ids["Tom"]]
