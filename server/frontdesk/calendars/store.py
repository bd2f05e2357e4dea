"""Calendar connections in the database: adding, choosing calendars, replacing or removing the
password, storing each source's busy intervals, and reading them for the booking path."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, cast, delete, extract, func, insert, select
from sqlalchemy.orm import Session, selectinload

from frontdesk.booking.slots import Busy
from frontdesk.calendars.base import CALDAV, ICS, BusyResult, CalendarInfo
from frontdesk.calendars.credentials import Credentials
from frontdesk.db.models import CalendarBusy, CalendarConnection, CalendarSource

KINDS = (CALDAV, ICS)


def add_connection(
    session: Session,
    credentials: Credentials,
    *,
    host_id: int,
    kind: str,
    url: str,
    username: str = "",
    password: str = "",
    label: str = "",
) -> CalendarConnection:
    """A new connection (calendars not chosen yet); the password is stored sealed."""
    if kind not in KINDS:
        raise ValueError(f"unknown calendar kind {kind!r}")
    row = CalendarConnection(
        host_id=host_id,
        kind=kind,
        url=url,
        username=username if kind == CALDAV else "",
        secret=credentials.seal(password) if kind == CALDAV else b"",
        label=label[:200],
        last_error="",
        last_warning="",
    )
    session.add(row)
    session.flush()
    return row


def choose_calendars(
    session: Session,
    row: CalendarConnection,
    offered: Sequence[CalendarInfo],
    busy_ids: Sequence[str],
    write_id: str | None,
) -> None:
    """Keep the chosen busy calendars (their fetched data stays) and the one write calendar;
    only calendars the account offered can be chosen (never an address typed into a form)."""
    by_id = {info.id: info for info in offered}
    unknown = [cid for cid in [*busy_ids, *([write_id] if write_id else [])] if cid not in by_id]
    if unknown:
        raise ValueError("Choose calendars from the list this account offers.")
    if write_id and not by_id[write_id].writable:
        raise ValueError("That calendar cannot be written to.")
    wanted = dict.fromkeys(busy_ids)
    for source in list(row.sources):
        if source.calendar_id not in wanted:
            row.sources.remove(source)  # its busy intervals go with it (cascade)
    kept = {source.calendar_id for source in row.sources}
    for calendar_id in wanted:
        if calendar_id not in kept:
            name = by_id[calendar_id].name
            row.sources.append(CalendarSource(calendar_id=calendar_id, name=name, last_error=""))
    row.write_calendar_id = write_id or None
    row.write_calendar_name = by_id[write_id].name if write_id else ""
    session.flush()


def replace_password(session: Session, row: CalendarConnection, credentials, password: str):
    """Store a new password (sealed); the old one is gone."""
    row.secret = credentials.seal(password)
    row.last_error = ""
    session.flush()


def remove_connection(session: Session, row: CalendarConnection) -> None:
    """Forget the connection, its password and its busy times (queued writes to it go too)."""
    session.delete(row)
    session.flush()


def connections_of(session: Session, host_id: int) -> list[CalendarConnection]:
    """A host's connections with their sources, oldest first."""
    query = (
        select(CalendarConnection)
        .where(CalendarConnection.host_id == host_id)
        .options(selectinload(CalendarConnection.sources))
        .order_by(CalendarConnection.id)
    )
    return list(session.scalars(query))


def save_busy(session: Session, source: CalendarSource, result: BusyResult, now: datetime):
    """Replace a source's stored intervals with a fresh fetch (a 304 keeps them)."""
    source.fetched_at = now
    source.last_error = ""
    if result.not_modified:
        return
    source.etag, source.last_modified = result.etag, result.last_modified
    # Only the difference is written (a feed mostly says again what it said five minutes ago),
    # and in bulk: one DELETE and one multi-row INSERT, no ORM object per interval.
    stored = session.execute(
        select(CalendarBusy.id, CalendarBusy.start, CalendarBusy.end).where(
            CalendarBusy.source_id == source.id
        )
    ).all()
    wanted = {(i.start, i.end): None for i in result.intervals}  # ordered, without repeats
    kept = {(start, end): row_id for row_id, start, end in stored if (start, end) in wanted}
    keep_ids = set(kept.values())
    gone = [row_id for row_id, *_ in stored if row_id not in keep_ids]
    if gone:
        session.execute(delete(CalendarBusy).where(CalendarBusy.id.in_(gone)))
    host_id = source.connection.host_id
    new = [
        {"source_id": source.id, "host_id": host_id, "start": start, "end": end}
        for start, end in wanted
        if (start, end) not in kept
    ]
    if new:
        session.execute(insert(CalendarBusy), new)


def hosts_busy(
    session: Session, host_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[Busy]]:
    """Stored external busy intervals of these hosts overlapping [start, end): the busy source
    the booking path reads (it never waits on a calendar server)."""
    query = (
        select(CalendarBusy.host_id, CalendarBusy.start, CalendarBusy.end)
        .where(
            CalendarBusy.host_id.in_(list(host_ids)),
            CalendarBusy.start < end,
            CalendarBusy.end > start,
        )
        .order_by(CalendarBusy.host_id, CalendarBusy.start)
    )
    found: dict[int, list[Busy]] = {}
    for host_id, busy_start, busy_end in session.execute(query):
        found.setdefault(host_id, []).append(Busy(busy_start, busy_end))
    return found


def hosts_busy_seconds(
    session: Session, host_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[tuple[int, int]]]:
    """The same intervals as (start, end) epoch seconds, computed by the database: the busy
    source the booking path reads. A host's calendars hold hundreds of intervals, and the slot
    engine works in seconds: no datetime is made (and parsed, on SQLite) for each of them."""
    dialect = session.get_bind().dialect.name
    query = (
        select(
            CalendarBusy.host_id,
            _epoch(CalendarBusy.start, dialect),
            _epoch(CalendarBusy.end, dialect),
        )
        .where(
            CalendarBusy.host_id.in_(list(host_ids)),
            CalendarBusy.start < end,
            CalendarBusy.end > start,
        )
        .order_by(CalendarBusy.host_id, CalendarBusy.start)
    )
    found: dict[int, list[tuple[int, int]]] = {}
    # Plain rows from the connection: the ORM's per-row work is not needed for three integers.
    for host_id, busy_start, busy_end in session.connection().execute(query).all():
        found.setdefault(host_id, []).append((busy_start, busy_end))
    return found


def _epoch(column, dialect: str):
    """Whole epoch seconds of a UTC datetime column (SQLite keeps naive UTC text)."""
    if dialect == "sqlite":
        if sqlite3.sqlite_version_info >= (3, 38):  # unixepoch(): an integer, no text between
            return func.unixepoch(column)
        return cast(func.strftime("%s", column), BigInteger)
    return cast(func.floor(extract("epoch", column)), BigInteger)


def stale_connections(
    session: Session, host_ids: Sequence[int], fresh_after: datetime
) -> list[int]:
    """Ids of these hosts' connections with a source not fetched since `fresh_after`."""
    query = (
        select(CalendarConnection.id)
        .join(CalendarSource, CalendarSource.connection_id == CalendarConnection.id)
        .where(CalendarConnection.host_id.in_(list(host_ids)))
        .where((CalendarSource.fetched_at.is_(None)) | (CalendarSource.fetched_at < fresh_after))
        .distinct()
    )
    return list(session.scalars(query))
