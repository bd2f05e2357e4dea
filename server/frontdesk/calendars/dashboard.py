"""What the dashboard does with a host's calendars: connect (checked live before anything is
saved), choose calendars, replace the password, remove, sync now, and the status it shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.calendars.base import CALDAV, ICS, CalendarError, CalendarInfo
from frontdesk.calendars.store import (
    add_connection,
    choose_calendars,
    connections_of,
    remove_connection,
    replace_password,
)
from frontdesk.calendars.sync import CalendarSync
from frontdesk.db.models import CalendarConnection, CalendarWrite, Host, SiteHost

MAX_FIELD = 2048
RECENT_WRITES = 10

# What the dashboard adds to a change's own transaction (its audit entry): (session, connection id).
Also = Callable[[Session, int], None] | None


@dataclass
class ConnectionStatus:
    """One connection as the Hosts page shows it (never its password, nor a feed's secret URL)."""

    id: int
    kind: str
    label: str
    address: str
    username: str
    write_calendar: str
    busy_calendars: list[tuple[str, datetime | None, str]]  # name, fetched at, error
    last_success_at: datetime | None
    last_error: str
    last_warning: str
    warned_at: datetime | None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (when/what, message)


def site_host(session, site_id: int, host_public_id: str) -> Host | None:
    """The host with this public id if it serves this site (others: None, like unknown)."""
    return session.scalar(
        select(Host)
        .join(SiteHost, SiteHost.host_id == Host.id)
        .where(SiteHost.site_id == site_id, Host.public_id == host_public_id)
    )


def connect(
    sync: CalendarSync,
    db,
    host_id: int,
    kind: str,
    url: str,
    username: str,
    password: str,
    also: Also = None,
) -> tuple[int, list[CalendarInfo]]:
    """Check the account or feed live, then save it; an ICS feed counts as busy at once.
    CalendarError or ValueError (message for staff) when it cannot be used; nothing is saved.
    `also(session, connection_id)` runs in the saving transaction (the caller's audit entry)."""
    kind, url, username = kind.strip(), url.strip(), username.strip()
    if kind not in (CALDAV, ICS):
        raise ValueError("Choose CalDAV or ICS.")
    if not url or len(url) > MAX_FIELD or len(username) > 254 or len(password) > 1024:
        raise ValueError("Give the calendar's address (and, for CalDAV, a user name).")
    if kind == CALDAV and not (username and password):
        raise ValueError("A CalDAV account needs a user name and an app password.")
    offered = sync.open(kind, url, username, password).list_calendars()
    if not offered:
        raise CalendarError("The account has no calendars.")
    with db.transaction() as session:
        row = add_connection(
            session,
            sync.credentials,
            host_id=host_id,
            kind=kind,
            url=url,
            username=username,
            password=password,
            label=offered[0].name if kind == ICS else username,
        )
        if kind == ICS:
            choose_calendars(session, row, offered, [offered[0].id], None)
        if also is not None:
            also(session, row.id)
        return row.id, offered


def offered_calendars(sync: CalendarSync, db, connection_id: int) -> list[CalendarInfo]:
    """The calendars the account offers now (asked live)."""
    with db.session() as session:
        row = session.get(CalendarConnection, connection_id)
        live = sync.open_row(row)
    return live.list_calendars()


def choose(sync, db, connection_id: int, busy_ids: list[str], write_id: str | None) -> str:
    """Save the chosen calendars (checked against the live list), then sync; returns the
    sync's error ("" when all went well)."""
    offered = offered_calendars(sync, db, connection_id)
    with db.transaction() as session:
        row = session.get(CalendarConnection, connection_id)
        choose_calendars(session, row, offered, busy_ids, write_id or None)
    return sync.refresh(connection_id)


def new_password(
    sync: CalendarSync, db, connection_id: int, password: str, also: Also = None
) -> None:
    """Replace the stored password (checked live first); `also` as for connect."""
    if not password or len(password) > 1024:
        raise ValueError("Give the new app password.")
    with db.session() as session:
        row = session.get(CalendarConnection, connection_id)
        kind, url, username = row.kind, row.url, row.username
    sync.open(kind, url, username, password).list_calendars()
    with db.transaction() as session:
        replace_password(
            session, session.get(CalendarConnection, connection_id), sync.credentials, password
        )
        if also is not None:
            also(session, connection_id)


def remove(db, connection_id: int, also: Also = None) -> None:
    """Forget the connection, its password and busy times; `also` as for connect."""
    with db.transaction() as session:
        remove_connection(session, session.get(CalendarConnection, connection_id))
        if also is not None:
            also(session, connection_id)


def host_status(db, host_id: int) -> list[ConnectionStatus]:
    """Every connection of the host with its last sync, errors and write-back problems."""
    with db.session() as session:
        found = []
        for row in connections_of(session, host_id):
            found.append(
                ConnectionStatus(
                    id=row.id,
                    kind=row.kind,
                    label=row.label,
                    address=_shown_address(row),
                    username=row.username,
                    write_calendar=row.write_calendar_name,
                    busy_calendars=[(s.name, s.fetched_at, s.last_error) for s in row.sources],
                    last_success_at=row.last_success_at,
                    last_error=row.last_error,
                    last_warning=row.last_warning,
                    warned_at=row.warned_at,
                    problems=_problems(session, row.id),
                )
            )
        return found


def _shown_address(row: CalendarConnection) -> str:
    """A CalDAV address in full; a feed's host only (its path is the secret that grants access)."""
    if row.kind == CALDAV:
        return row.url
    return f"{urlsplit(row.url).hostname or ''} (secret address hidden)"


def _problems(session, connection_id: int) -> list[tuple[str, str]]:
    query = (
        select(CalendarWrite)
        .where(CalendarWrite.connection_id == connection_id)
        .where((CalendarWrite.conflict != "") | (CalendarWrite.done_at.is_(None)))
        .order_by(CalendarWrite.id.desc())
        .limit(RECENT_WRITES)
    )
    problems = []
    for write in session.scalars(query):
        if write.conflict:
            problems.append((f"Booking written {write.done_at:%Y-%m-%d %H:%M} UTC", write.conflict))
        elif write.failed:
            problems.append(("A booking could not be written (gave up)", write.last_error))
        elif write.last_error:
            problems.append(
                (f"A booking waits to be written ({write.attempts} tries)", write.last_error)
            )
    return problems
