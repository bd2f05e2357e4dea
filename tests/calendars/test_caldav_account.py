"""A CalDAV account on a real Radicale: calendars listed, busy times from a time-range query
(one-off, a weekly series with one moved and one cancelled occurrence, an all-day holiday, a
transparent event), events written by UID, and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.support.ical_samples import event_ics
from tests.support.radicale import PASSWORD, USER, make_work_calendar

from frontdesk.calendars.base import BusyInterval, CalendarRefused, CalendarUnavailable
from frontdesk.calendars.caldav_account import CalDavConnection


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def span(start: tuple, end: tuple) -> BusyInterval:
    return BusyInterval(utc(*start), utc(*end))


@pytest.fixture
def work(radicale):
    """Mia's 'Work' calendar in Radicale, filled with the test's events (by the caldav client)."""
    return make_work_calendar(radicale)


@pytest.fixture
def account(radicale, loopback_policy):
    return CalDavConnection(radicale.url, USER, PASSWORD, policy=loopback_policy)


def test_lists_the_accounts_calendars(account, work):
    [info] = account.list_calendars()
    assert (info.name, info.id, info.writable) == ("Work", str(work.url), True)


def test_busy_times_exactly(account, work):
    result = account.busy(str(work.url), utc(2027, 1, 1), utc(2027, 2, 1), zone="Europe/Berlin")
    assert result.intervals == [
        span((2027, 1, 4, 9), (2027, 1, 4, 10)),  # weekly, 10:00 Berlin
        span((2027, 1, 5, 9), (2027, 1, 5, 10)),  # the one-off
        span((2027, 1, 5, 23), (2027, 1, 6, 23)),  # the holiday, all day in Berlin
        # 7 January: transparent, not busy. 11 January moved to the 12th, 15:00 Berlin:
        span((2027, 1, 12, 14), (2027, 1, 12, 15)),
        # 18 January: cancelled (EXDATE).
        span((2027, 1, 25, 9), (2027, 1, 25, 10)),
    ]


def test_put_move_and_cancel_by_uid(account, work):
    calendar_id = str(work.url)
    uid = "B123@frontdesk"
    account.put_event(
        calendar_id, uid, event_ics(uid, "20270108T090000Z", "20270108T100000Z").encode()
    )
    account.put_event(
        calendar_id, uid, event_ics(uid, "20270108T090000Z", "20270108T100000Z").encode()
    )
    assert work.event_by_uid(uid).icalendar_component.decoded("DTSTART") == utc(2027, 1, 8, 9)
    moved = event_ics(uid, "20270108T130000Z", "20270108T140000Z", extra="SEQUENCE:1\r\n")
    account.put_event(calendar_id, uid, moved.encode())
    events = [e for e in work.events() if e.icalendar_component["UID"] == uid]
    assert len(events) == 1  # replaced, never duplicated
    assert events[0].icalendar_component.decoded("DTSTART") == utc(2027, 1, 8, 13)
    cancelled = event_ics(
        uid, "20270108T130000Z", "20270108T140000Z", extra="SEQUENCE:2\r\nSTATUS:CANCELLED\r\n"
    )
    account.cancel_event(calendar_id, uid, cancelled.encode())
    assert str(work.event_by_uid(uid).icalendar_component["STATUS"]) == "CANCELLED"
    busy = account.busy(calendar_id, utc(2027, 1, 8), utc(2027, 1, 9), zone="UTC")
    assert busy.intervals == []


def test_others_busy_leaves_out_our_own_event(account, work):
    calendar_id = str(work.url)
    uid = "B9@frontdesk"
    account.put_event(
        calendar_id, uid, event_ics(uid, "20270105T093000Z", "20270105T103000Z").encode()
    )
    others = account.others_busy(
        calendar_id, utc(2027, 1, 5, 9, 30), utc(2027, 1, 5, 10, 30), zone="UTC", except_uid=uid
    )
    assert others == [span((2027, 1, 5, 9), (2027, 1, 5, 10))]


def test_wrong_password_is_refused_clearly(radicale, loopback_policy, work):
    account = CalDavConnection(radicale.url, USER, "wrong", policy=loopback_policy)
    with pytest.raises(CalendarRefused, match="user name or app password"):
        account.list_calendars()


def test_a_stopped_server_is_unavailable(radicale, account, work):
    radicale.stop()
    with pytest.raises(CalendarUnavailable):
        account.busy(str(work.url), utc(2027, 1, 1), utc(2027, 2, 1), zone="UTC")


def test_a_calendar_on_another_server_is_refused(account, work):
    with pytest.raises(CalendarRefused, match="not on this account's server"):
        account.put_event("http://127.0.0.2:1/other/", "x@frontdesk", b"")


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("https://caldav.icloud.com/123/calendars/home/", True),
        ("https://p42-caldav.icloud.com/123/calendars/home/", True),  # iCloud's partitions
        ("https://evil.example.com/", False),
        ("https://icloud.com.evil.example/", False),
        ("http://p42-caldav.icloud.com/", False),  # never down to plain http
        ("https://caldav.icloud.com:8443/", False),
    ],
)
def test_an_accounts_password_goes_only_to_its_own_service(url, same):
    from frontdesk.calendars.http import same_account_site

    assert same_account_site(url, "https://caldav.icloud.com/") is same
    assert same_account_site(url.replace("icloud.com", "127.0.0.1"), "http://127.0.0.1:8/") is False
