"""CalDAV accounts (Nextcloud, Fastmail, iCloud, Radicale, Baïkal...) through the caldav library,
its every request sent by our guarded session: busy times from time-range queries, bookings
written as events named by their UID."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urljoin, urlsplit

import caldav
from caldav.lib import error as caldav_error

from frontdesk.calendars.base import (
    CALDAV,
    BusyInterval,
    BusyResult,
    CalendarError,
    CalendarInfo,
    CalendarRefused,
    CalendarUnavailable,
)
from frontdesk.calendars.expand import busy_intervals, parse_calendar
from frontdesk.calendars.http import GuardedSession, same_account_site
from frontdesk.outbound.guard import OutboundPolicy


class CalDavConnection:
    """One CalDAV account: its calendars are collections under the account's server."""

    kind = CALDAV

    def __init__(
        self, url: str, username: str, password: str, *, policy: OutboundPolicy, timeout=10.0
    ) -> None:
        self.url = url.strip()
        self.origin = _origin(self.url)
        scheme, host, port = self.origin
        if scheme == "http" and not (policy.allow_private or policy.allows_host(host, port or 80)):
            raise CalendarRefused(
                "Use an https:// address: a password must not travel unencrypted."
            )
        self.timeout = timeout
        # RFC 6764 discovery is off: it would look up other hosts than the one staff gave.
        self.client = caldav.DAVClient(
            url=self.url,
            username=username,
            password=password,
            timeout=int(max(1, timeout)),
            enable_rfc6764=False,
            rate_limit_handle=False,
        )
        self.client.session = GuardedSession(policy, username, password, timeout, self.url)

    def list_calendars(self) -> list[CalendarInfo]:
        """The account's calendars (those that hold events)."""
        with _errors():
            found = self.client.principal().calendars()
            infos = []
            for calendar in found:
                url = str(calendar.url)
                if not same_account_site(url, self.url):
                    continue  # never follow an account to another service
                name = calendar.get_display_name() or url.rstrip("/").rsplit("/", 1)[-1]
                infos.append(CalendarInfo(id=url, name=str(name)[:200], writable=True))
            return infos

    def busy(self, calendar_id, start, end, *, zone, validators=None) -> BusyResult:
        """Busy intervals from a time-range query, expanded here like an ICS feed's."""
        return BusyResult(calendar_id, self.others_busy(calendar_id, start, end, zone=zone))

    def others_busy(
        self, calendar_id: str, start: datetime, end: datetime, *, zone: str, except_uid: str = ""
    ) -> list[BusyInterval]:
        """Busy intervals in [start, end), leaving out the event with `except_uid`."""
        calendar = self._calendar(calendar_id)
        with _errors():
            found = calendar.search(start=start, end=end, event=True, expand=False)
            parsed = [parse_calendar(item.data) for item in found]
        if except_uid:
            parsed = [cal for cal in parsed if except_uid not in _uids(cal)]
        return busy_intervals(parsed, start, end, zone=zone)

    def put_event(self, calendar_id: str, uid: str, ical: bytes) -> None:
        """PUT the event at a resource named by its UID: a retry replaces, never duplicates."""
        url = self._event_url(calendar_id, uid)
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        with _errors():
            response = self.client.request(url, "PUT", ical, headers)
        if response.status not in (200, 201, 204):
            raise _status_error(response.status, response.reason)

    def cancel_event(self, calendar_id: str, uid: str, ical: bytes) -> None:
        """Replace the event with its cancelled version (STATUS:CANCELLED, shown as free)."""
        self.put_event(calendar_id, uid, ical)

    def _calendar(self, calendar_id: str):
        if not same_account_site(calendar_id, self.url):
            raise CalendarRefused("That calendar is not on this account's server.")
        return self.client.calendar(url=calendar_id)

    def _event_url(self, calendar_id: str, uid: str) -> str:
        self._calendar(calendar_id)
        return urljoin(calendar_id.rstrip("/") + "/", quote(uid, safe="") + ".ics")


def _uids(calendar) -> set[str]:
    return {str(component.get("UID", "")) for component in calendar.walk("VEVENT")}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def _status_error(status: int, reason: str) -> CalendarError:
    if status >= 500 or status == 429:
        return CalendarUnavailable(f"The calendar server answered {status} {reason}.")
    if status in (401, 403):
        return CalendarRefused("The calendar server refused the user name or app password.")
    return CalendarRefused(f"The calendar server refused the event ({status} {reason}).")


class _errors:
    """Turns the caldav library's errors into ours (ours pass through unchanged)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, CalendarError):
            return False
        if isinstance(exc, caldav_error.AuthorizationError):
            raise CalendarRefused(
                "The calendar server refused the user name or app password."
            ) from None
        if isinstance(exc, caldav_error.NotFoundError):
            raise CalendarRefused("No calendar was found at that address.") from None
        if isinstance(exc, caldav_error.DAVError):
            raise CalendarRefused(
                f"The calendar server answered unexpectedly: {exc}"[:300]
            ) from None
        return False
