"""ICS subscriptions (read-only): Google's secret iCal address, Outlook's published calendar, any
.ics URL, fetched with ETag / If-Modified-Since and expanded into busy intervals."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urljoin

from frontdesk.calendars import http
from frontdesk.calendars.base import (
    ICS,
    BusyInterval,
    BusyResult,
    CalendarInfo,
    CalendarRefused,
    CalendarUnavailable,
)
from frontdesk.calendars.expand import feed_busy, parse_calendar
from frontdesk.outbound.guard import OutboundPolicy

MAX_REDIRECTS = 3
READ_ONLY_MESSAGE = "An ICS subscription is read-only: bookings cannot be written to it."


class IcsConnection:
    """One subscribed feed: it is its own (only) calendar, with the URL as its id."""

    kind = ICS

    def __init__(self, url: str, *, policy: OutboundPolicy, timeout: float = 10.0) -> None:
        # webcal:// is what "subscribe" links use; it means https.
        if url.lower().startswith("webcal://"):
            url = "https://" + url[len("webcal://") :]
        self.url = url
        self.policy = policy
        self.timeout = timeout

    def list_calendars(self) -> list[CalendarInfo]:
        """The feed itself, named by its X-WR-CALNAME when it has one."""
        calendar = parse_calendar(self._get({}).content)
        name = str(calendar.get("X-WR-CALNAME", "") or "") or "Subscribed calendar"
        return [CalendarInfo(id=self.url, name=name[:200], writable=False)]

    def busy(self, calendar_id, start, end, *, zone, validators=None) -> BusyResult:
        """The feed's busy intervals; not_modified when the server answers 304 to our validators."""
        etag, last_modified = validators or ("", "")
        conditional = {"If-None-Match": etag or None, "If-Modified-Since": last_modified or None}
        response = self._get(conditional)
        if response.status_code == 304:
            return BusyResult(
                self.url, [], not_modified=True, etag=etag, last_modified=last_modified
            )
        intervals = feed_busy(response.content, start, end, zone=zone)
        return BusyResult(
            self.url,
            intervals,
            etag=response.headers.get("etag", "")[:200],
            last_modified=response.headers.get("last-modified", "")[:100],
        )

    def put_event(self, calendar_id: str, uid: str, ical: bytes) -> None:
        """Refused: a feed cannot be written to."""
        raise CalendarRefused(READ_ONLY_MESSAGE)

    def cancel_event(self, calendar_id: str, uid: str, ical: bytes) -> None:
        """Refused: a feed cannot be written to."""
        raise CalendarRefused(READ_ONLY_MESSAGE)

    def others_busy(
        self, calendar_id: str, start: datetime, end: datetime, *, zone: str, except_uid: str
    ) -> list[BusyInterval]:
        """Refused: conflicts are only checked on the calendar a booking is written to."""
        raise CalendarRefused(READ_ONLY_MESSAGE)

    def _get(self, headers: dict) -> http.Response:
        headers = {"Accept": "text/calendar, */*;q=0.5", **headers}
        url = self.url
        for _hop in range(MAX_REDIRECTS + 1):
            # Each hop is vetted by the guard again: a redirect cannot reach a private address.
            response = http.send(self.policy, "GET", url, headers=headers, timeout=self.timeout)
            location = response.headers.get("location", "")
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                break
            url = urljoin(url, location)
        else:
            raise CalendarRefused("The feed redirects too many times.")
        status = response.status_code
        if status in (200, 304):
            return response
        if status in (401, 403, 404, 410):
            raise CalendarRefused(
                f"The feed answered {status} {response.reason}: check the address."
            )
        raise CalendarUnavailable(
            f"The feed answered {status} {response.reason}; trying again later."
        )
