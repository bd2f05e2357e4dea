"""The bridge from site rows to the slot engine, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta

import pytest

from frontdesk.booking.availability import availability_for, is_open_now
from frontdesk.booking.hosts import host_schedules, site_hosts
from frontdesk.booking.slots import Busy, free_slots
from frontdesk.booking.team_slots import team_free_slots
from frontdesk.db.models import Booking, BookingHost, DateOverride, Site
from tests.support.bookings import at
from tests.support.factories import make_site

MIN = timedelta(minutes=1)
MONDAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 14, 12, tzinfo=UTC)  # Sunday 22:00 in Sydney


def add_overrides(db, site: Site, *rows: tuple[date, time | None, time | None]) -> None:
    with db.transaction() as session:
        for day, start, end in rows:
            session.add(DateOverride(site_id=site.id, day=day, start_time=start, end_time=end))


def add_booking(db, site: Site, start: datetime, *, status: str = "confirmed", pad=0) -> int:
    """A 30-minute booking whose block has `pad` minutes of buffer each side."""
    with db.transaction() as session:
        booking = Booking(
            public_id=secrets.token_hex(8),
            site_id=site.id,
            service_id=session.get(Site, site.id).services[0].id,
            start=start,
            end=start + 30 * MIN,
            block_start=start - pad * MIN,
            block_end=start + (30 + pad) * MIN,
            visitor_name="Ada",
            email="ada@example.test",
            manage_token_hash=secrets.token_hex(32),
            status=status,
        )
        host = site_hosts(session, site.id)[0]
        booking.hosts = [
            BookingHost(
                host_id=host.id,
                block_start=booking.block_start,
                block_end=booking.block_end,
                status=status,
            )
        ]
        session.add(booking)
        session.flush()
        return booking.id


def loaded(db, site: Site):
    """The site's Availability, built inside a session as a request would."""
    with db.session() as session:
        return availability_for(session.get(Site, site.id))


def open_now(db, site: Site, moment: datetime) -> bool:
    with db.session() as session:
        return is_open_now(session.get(Site, site.id), moment)


def test_availability_for_maps_hours_and_rules(db):
    site = make_site(
        db,
        buffer_before_min=5,
        buffer_after_min=10,
        min_notice_min=90,
        max_days_ahead=14,
        slot_step_min=15,
    )
    av = loaded(db, site)
    assert av.timezone == "Australia/Sydney"
    assert av.weekly == {d: [(time(9), time(12)), (time(13), time(17))] for d in range(5)}
    assert av.overrides == {}
    assert (av.buffer_before, av.buffer_after) == (5 * MIN, 10 * MIN)
    assert (av.min_notice, av.max_days_ahead, av.step) == (90 * MIN, 14, 15 * MIN)


def test_overrides_close_a_day_or_replace_its_hours(db):
    site = make_site(db)
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    add_overrides(
        db,
        site,
        (MONDAY, None, None),  # closed
        (tuesday, time(18), time(19)),  # special hours, two ranges
        (tuesday, time(7), time(8)),
        (wednesday, time(10), time(11)),  # a closing row wins over special hours
        (wednesday, None, None),
    )
    av = loaded(db, site)
    assert av.overrides == {
        MONDAY: [],
        tuesday: [(time(7), time(8)), (time(18), time(19))],
        wednesday: [],
    }
    slots = free_slots(av, 60 * MIN, MONDAY, wednesday, now=NOW, busy=[])
    assert [s.start for s in slots] == [at(tuesday, 7), at(tuesday, 18)]


def test_an_override_with_a_start_but_no_end_is_refused(db):
    site = make_site(db)
    add_overrides(db, site, (MONDAY, time(9), None))
    with pytest.raises(ValueError, match="no end time"):
        loaded(db, site)


def busy_blocks(session, site: Site, start, end, *, exclude_booking_id=None) -> list[Busy]:
    """The booking blocks of the site's one host overlapping [start, end)."""
    hosts = site_hosts(session, site.id)
    schedule = host_schedules(session, hosts, start, end, exclude_booking_id=exclude_booking_id)
    return sorted(schedule[0].bookings, key=lambda block: block.start)


def test_busy_blocks_are_confirmed_overlapping_blocks_of_this_host_only(db):
    site, other = make_site(db), make_site(db)
    inside = add_booking(db, site, at(MONDAY, 10), pad=15)  # block 09:45-10:45
    add_booking(db, site, at(MONDAY, 9), pad=15)  # block 08:45-09:45: touches, not inside
    add_booking(db, site, at(MONDAY, 11), pad=15)  # block 10:45-11:45: overlaps the end
    add_booking(db, site, at(MONDAY, 14))  # outside the window
    add_booking(db, site, at(MONDAY, 10), status="cancelled")
    add_booking(db, other, at(MONDAY, 10))
    start, end = at(MONDAY, 9, 45), at(MONDAY, 11)
    with db.session() as session:
        blocks = busy_blocks(session, site, start, end)
        without = busy_blocks(session, site, start, end, exclude_booking_id=inside)
    assert blocks == [
        Busy(at(MONDAY, 9, 45), at(MONDAY, 10, 45)),
        Busy(at(MONDAY, 10, 45), at(MONDAY, 11, 45)),
    ]
    assert all(block.start.tzinfo is not None for block in blocks)
    assert without == [Busy(at(MONDAY, 10, 45), at(MONDAY, 11, 45))]


def test_busy_blocks_feed_free_slots(db):
    site = make_site(db, buffer_before_min=15, buffer_after_min=15)
    add_booking(db, site, at(MONDAY, 10), pad=15)
    av = loaded(db, site)
    with db.session() as session:
        hosts = site_hosts(session, site.id)
        day_after = at(MONDAY + timedelta(days=1), 0)
        schedules = host_schedules(session, hosts, at(MONDAY, 0), day_after)
    found = team_free_slots(av, 30 * MIN, MONDAY, MONDAY, now=NOW, hosts=schedules)
    morning = [t.slot.start.strftime("%H:%M") for t in found if t.slot.start.hour < 12]
    assert morning == ["09:00", "11:00", "11:30"]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(MONDAY, 9), True),
        (at(MONDAY, 10, 30), True),
        (at(MONDAY, 8, 59), False),
        (at(MONDAY, 12, 30), False),  # lunch
        (at(MONDAY, 17), False),  # closing time is closed
        (at(MONDAY - timedelta(days=1), 10), False),  # Sunday
        (datetime(2026, 6, 15, 0, 30, tzinfo=UTC), True),  # 10:30 in Sydney, given in UTC
    ],
)
def test_is_open_now_follows_weekly_hours(db, moment, expected):
    site = make_site(db)
    assert open_now(db, site, moment) is expected


def test_is_open_now_applies_closures_and_special_hours(db):
    site = make_site(db)
    saturday = MONDAY - timedelta(days=2)
    add_overrides(db, site, (MONDAY, None, None), (saturday, time(10), time(12)))
    assert open_now(db, site, at(MONDAY, 10)) is False
    assert open_now(db, site, at(saturday, 11)) is True
    assert open_now(db, site, at(saturday, 12)) is False
    assert open_now(db, site, at(MONDAY + timedelta(days=1), 10)) is True


def test_is_open_now_refuses_a_naive_time(db):
    site = make_site(db)
    with pytest.raises(ValueError, match="aware"):
        open_now(db, site, datetime(2026, 6, 15, 10))
