"""The connection interface every calendar provider implements, and the errors they raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

CALDAV = "caldav"
ICS = "ics"


class CalendarError(Exception):
    """A calendar could not be read or written; the message is safe to show to staff."""


class CalendarUnavailable(CalendarError):
    """The calendar server did not answer (network, timeout, 5xx): worth retrying later."""


class CalendarRefused(CalendarError):
    """The server answered but refused (bad credentials, not a calendar, read-only): fix first."""


@dataclass(frozen=True)
class CalendarInfo:
    """One calendar a connection offers: its id (a URL for CalDAV) and its display name."""

    id: str
    name: str
    writable: bool


@dataclass(frozen=True, order=True)
class BusyInterval:
    """A span of time (aware UTC datetimes, end exclusive) when the host is not free."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class BusyResult:
    """Busy intervals from one calendar, and the validator to send on the next conditional fetch."""

    calendar_id: str
    intervals: list[BusyInterval]
    not_modified: bool = False  # an ICS feed answered 304: keep what is stored
    etag: str = ""
    last_modified: str = ""


class Connection(Protocol):
    """A connected calendar account. Adding a provider is a new module implementing this."""

    kind: str

    def list_calendars(self) -> list[CalendarInfo]:
        """Every calendar this account holds."""
        ...

    def busy(
        self, calendar_id: str, start: datetime, end: datetime, *, zone: str, validators=None
    ) -> BusyResult:
        """Busy intervals of one calendar overlapping [start, end); floating and all-day times
        are read in `zone` (the host's). `validators` are the last fetch's (etag, last-modified)."""
        ...

    def put_event(self, calendar_id: str, uid: str, ical: bytes) -> None:
        """Create or replace the event with this UID (idempotent: the same UID, one event)."""
        ...

    def cancel_event(self, calendar_id: str, uid: str, ical: bytes) -> None:
        """Mark the event with this UID cancelled (the cancelled version is `ical`)."""
        ...

    def others_busy(
        self, calendar_id: str, start: datetime, end: datetime, *, zone: str, except_uid: str
    ) -> list[BusyInterval]:
        """Busy intervals in [start, end) from events other than `except_uid` (conflict check)."""
        ...
