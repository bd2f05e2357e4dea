"""ICS subscriptions from a local HTTP server: Google and Outlook exports expanded into exactly
the right busy times, conditional fetches, and clear errors for broken or hostile feeds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from tests.support.ical_samples import GOOGLE, OUTLOOK, OVERRIDES, PLAIN_EDGES

from frontdesk.calendars.base import BusyInterval, CalendarRefused, CalendarUnavailable
from frontdesk.calendars.expand import NOT_ICAL_MESSAGE
from frontdesk.calendars.ics_feed import IcsConnection
from frontdesk.outbound.guard import OutboundPolicy


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def span(start: tuple, end: tuple) -> BusyInterval:
    return BusyInterval(utc(*start), utc(*end))


def test_google_feed_weekly_series_exdate_dst_all_day_free_and_cancelled(feeds, loopback_policy):
    feed = IcsConnection(feeds.set("/google.ics", GOOGLE), policy=loopback_policy)
    result = feed.busy(feed.url, utc(2027, 2, 1), utc(2027, 5, 1), zone="Europe/Berlin")
    assert result.intervals == [
        span((2027, 3, 1, 9), (2027, 3, 1, 10)),
        span((2027, 3, 8, 9), (2027, 3, 8, 10)),
        # The all-day holiday is 10 March in Berlin: 23:00Z to 23:00Z.
        span((2027, 3, 9, 23), (2027, 3, 10, 23)),
        # 15 March is excluded; from 28 March Berlin is UTC+2 and the call stays at 10:00.
        span((2027, 3, 22, 9), (2027, 3, 22, 10)),
        span((2027, 3, 29, 8), (2027, 3, 29, 9)),
        span((2027, 4, 5, 8), (2027, 4, 5, 9)),
    ]
    assert result.etag and result.last_modified
    assert feed.list_calendars()[0].name == "Mia (work)"


def test_outlook_feed_windows_zone_names(feeds, loopback_policy):
    feed = IcsConnection(feeds.set("/outlook.ics", OUTLOOK), policy=loopback_policy)
    result = feed.busy(feed.url, utc(2027, 1, 1), utc(2027, 2, 1), zone="UTC")
    assert result.intervals == [
        span((2027, 1, 5, 13), (2027, 1, 5, 14)),  # W. Europe Standard Time is UTC+1 in January
        span((2027, 1, 5, 16), (2027, 1, 5, 17)),  # Pacific Standard Time is UTC-8
        span((2027, 1, 7, 8), (2027, 1, 7, 9)),  # the customized zone, UTC+3
    ]


def test_rdate_recurrence_id_override_and_floating_time(feeds, loopback_policy):
    feed = IcsConnection(feeds.set("/o.ics", OVERRIDES), policy=loopback_policy)
    result = feed.busy(feed.url, utc(2027, 1, 1), utc(2027, 2, 1), zone="America/New_York")
    assert result.intervals == [
        span((2027, 1, 4, 9), (2027, 1, 4, 9, 30)),
        span((2027, 1, 5, 16), (2027, 1, 5, 16, 30)),  # moved from 09:00 to 16:00
        span((2027, 1, 6, 9), (2027, 1, 6, 9, 30)),
        span((2027, 1, 7, 17), (2027, 1, 7, 18)),  # floating 12:00 is the host's 12:00 (UTC-5)
        span((2027, 1, 10, 9), (2027, 1, 10, 9, 30)),  # the RDATE
    ]


def test_only_the_asked_range_is_returned(feeds, loopback_policy):
    feed = IcsConnection(feeds.set("/google.ics", GOOGLE), policy=loopback_policy)
    result = feed.busy(feed.url, utc(2027, 3, 8, 9, 30), utc(2027, 3, 9), zone="Europe/Berlin")
    assert result.intervals == [span((2027, 3, 8, 9), (2027, 3, 8, 10))]


def test_unchanged_feed_answers_304_to_its_validators(feeds, loopback_policy):
    feed = IcsConnection(feeds.set("/g.ics", GOOGLE), policy=loopback_policy)
    first = feed.busy(feed.url, utc(2027, 2, 1), utc(2027, 5, 1), zone="Europe/Berlin")
    second = feed.busy(
        feed.url,
        utc(2027, 2, 1),
        utc(2027, 5, 1),
        zone="Europe/Berlin",
        validators=(first.etag, first.last_modified),
    )
    assert second.not_modified and second.intervals == []
    assert feeds.requests[-1][1]["If-None-Match"] == first.etag
    assert feeds.requests[-1][1]["If-Modified-Since"] == first.last_modified


def test_a_changed_feed_is_read_again(feeds, loopback_policy):
    feed = IcsConnection(feeds.set("/g.ics", OUTLOOK), policy=loopback_policy)
    first = feed.busy(feed.url, utc(2027, 1, 1), utc(2027, 2, 1), zone="UTC")
    feeds.set("/g.ics", OUTLOOK.replace("20270105T140000", "20270105T120000"))
    second = feed.busy(
        feed.url, utc(2027, 1, 1), utc(2027, 2, 1), zone="UTC", validators=(first.etag, "")
    )
    assert not second.not_modified
    assert second.intervals[0] == span((2027, 1, 5, 11), (2027, 1, 5, 14))
    assert len(second.intervals) == 3


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (500, "oops", CalendarUnavailable, "500"),
        (200, "<html><body>Sign in</body></html>", CalendarRefused, NOT_ICAL_MESSAGE),
        (404, "gone", CalendarRefused, "check the address"),
    ],
)
def test_broken_feeds_give_clear_errors(feeds, loopback_policy, status, body, error, words):
    feed = IcsConnection(feeds.set("/x.ics", body, status), policy=loopback_policy)
    with pytest.raises(error, match=re.escape(words)):
        feed.busy(feed.url, utc(2027, 1, 1), utc(2027, 2, 1), zone="UTC")


def test_loopback_feed_is_refused_unless_configuration_allows_it(feeds):
    feed = IcsConnection(feeds.set("/g.ics", GOOGLE), policy=OutboundPolicy())
    with pytest.raises(CalendarRefused, match="private or local address"):
        feed.busy(feed.url, utc(2027, 1, 1), utc(2027, 2, 1), zone="UTC")
    assert feeds.requests == []


def test_a_redirect_is_vetted_again(feeds):
    # The operator allowed this one host; the feed redirects to another loopback address.
    feeds.feeds["/moved.ics"] = (302, b"")
    policy = OutboundPolicy.from_values(False, [feeds.url.removeprefix("http://")])
    feed = IcsConnection(feeds.url + "/moved.ics", policy=policy)
    original = feeds._server.RequestHandlerClass.do_GET

    def redirect(handler):
        if handler.path == "/moved.ics":
            handler.send_response(302)
            handler.send_header("Location", "http://127.0.0.2:9/internal.ics")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        original(handler)

    feeds._server.RequestHandlerClass.do_GET = redirect
    with pytest.raises(CalendarRefused, match="private or local address"):
        feed.busy(feed.url, utc(2027, 1, 1), utc(2027, 2, 1), zone="UTC")


def test_webcal_addresses_mean_https():
    assert IcsConnection("webcal://example.com/a.ics", policy=OutboundPolicy()).url == (
        "https://example.com/a.ics"
    )


def test_feeds_are_read_only(loopback_policy):
    feed = IcsConnection("https://example.com/a.ics", policy=loopback_policy)
    with pytest.raises(CalendarRefused, match="read-only"):
        feed.put_event(feed.url, "x@frontdesk", b"")


PAST_AND_FUTURE = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:old@test
DTSTART:20240105T090000Z
DTEND:20240105T100000Z
END:VEVENT
BEGIN:VEVENT
UID:long@test
DTSTART;VALUE=DATE:20261220
DTEND;VALUE=DATE:20270104
SUMMARY:Two weeks away, into the window
END:VEVENT
BEGIN:VEVENT
UID:until@test
DTSTART:20240101T090000Z
DTEND:20240101T093000Z
RRULE:FREQ=WEEKLY;UNTIL=20240301T000000Z
END:VEVENT
BEGIN:VEVENT
UID:count@test
DTSTART:20261101T090000Z
DTEND:20261101T093000Z
RRULE:FREQ=MONTHLY;COUNT=4
END:VEVENT
BEGIN:VEVENT
UID:forever@test
DTSTART:20200106T120000Z
DTEND:20200106T130000Z
RRULE:FREQ=WEEKLY;BYDAY=MO
END:VEVENT
BEGIN:VEVENT
UID:later@test
DTSTART:20280105T090000Z
DTEND:20280105T100000Z
END:VEVENT
END:VCALENDAR
"""


def test_skipping_far_events_unparsed_changes_nothing():
    from tests.support.ical_samples import GOOGLE as google

    from frontdesk.calendars.expand import busy_intervals, parse_calendar

    window = (utc(2027, 1, 1), utc(2027, 4, 1))
    for feed in (PAST_AND_FUTURE, google, OUTLOOK, OVERRIDES):
        every = busy_intervals([parse_calendar(feed)], *window, zone="Europe/Berlin")
        near = busy_intervals([parse_calendar(feed, window=window)], *window, zone="Europe/Berlin")
        assert near == every
    found = busy_intervals([parse_calendar(PAST_AND_FUTURE, window=window)], *window, zone="UTC")
    assert found[0] == span((2026, 12, 20), (2027, 1, 4))  # the trip that started before
    assert span((2027, 2, 1, 9), (2027, 2, 1, 9, 30)) in found  # 4th of the monthly series
    assert span((2027, 1, 4, 12), (2027, 1, 4, 13)) in found  # the endless weekly series
    assert len(found) == 2 + 13  # trip, monthly, and 13 Mondays to the end of March


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Berlin", "America/Los_Angeles", "Pacific/Kiritimati"]
)
def test_plain_events_read_without_the_parser_give_what_the_parser_gives(zone):
    from frontdesk.booking.zones import zone_named
    from frontdesk.calendars.expand import busy_intervals, feed_busy, parse_calendar
    from frontdesk.calendars.plain_events import split_plain

    windows = [(utc(2027, 1, 1), utc(2027, 4, 1)), (utc(2027, 1, 1, 12), utc(2027, 1, 10, 9, 30))]
    for feed in (PLAIN_EDGES, PAST_AND_FUTURE, GOOGLE, OUTLOOK, OVERRIDES):
        for window in windows:
            parsed = busy_intervals([parse_calendar(feed)], *window, zone=zone)
            assert feed_busy(feed, *window, zone=zone) == parsed
    # The plain ones really were read from the text; the rest was left for the parser.
    plain, rest = split_plain(PLAIN_EDGES.replace("\n ", ""), *windows[0], zone_named(zone))
    assert span((2027, 1, 5, 9), (2027, 1, 5, 10)) in plain  # the one with an alarm
    assert "UID:alarm@x" not in rest and "UID:zero@x" not in rest
    for uid in ("dup@x", "single@x", "backwards@x", "mixed@x", "tzid@x", "float@x"):
        assert f"UID:{uid}" in rest
