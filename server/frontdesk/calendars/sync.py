"""The background sync: each connection's busy calendars fetched on an interval and stored; and
the one place the booking path touches the network — a stale host refreshed with a short
timeout just before a booking commits, falling back to the last known data."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from frontdesk.calendars.base import CALDAV, BusyResult, CalendarError, Connection
from frontdesk.calendars.credentials import Credentials
from frontdesk.calendars.store import save_busy, stale_connections
from frontdesk.db.models import CalendarConnection, Host
from frontdesk.db.types import utcnow
from frontdesk.outbound.guard import OutboundPolicy
from frontdesk.outbox import Background, Worker

log = logging.getLogger("frontdesk.calendars")

PAST = timedelta(days=1)  # busy times are kept from a day back: bookings in progress


class CalendarSync(Background):
    """Fetches and stores busy times; one per app."""

    def __init__(
        self,
        db,
        credentials: Credentials,
        policy: OutboundPolicy,
        *,
        interval: float = 300.0,
        max_age: float = 900.0,
        refresh_timeout: float = 2.0,
        fetch_timeout: float = 15.0,
        horizon_days: int = 90,
    ) -> None:
        self.db = db
        self.credentials = credentials
        self.policy = policy
        self.interval = timedelta(seconds=max(5.0, float(interval)))
        self.max_age = timedelta(seconds=float(max_age))
        self.refresh_timeout = float(refresh_timeout)
        self.fetch_timeout = float(fetch_timeout)
        self.horizon = timedelta(days=int(horizon_days))
        self._locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        pause = min(30.0, self.interval.total_seconds())
        self.worker = Worker("frontdesk-calendars", self.refresh_due, pause, log)

    @classmethod
    def from_config(cls, db, config: Mapping[str, Any]) -> CalendarSync:
        """A sync built from CALENDAR_* settings (docs/configuration.md)."""
        hosts = [config.get("OUTBOUND_ALLOWED_HOSTS"), config.get("CALENDAR_ALLOWED_HOSTS")]
        hosts_text = ",".join(h if isinstance(h, str) else ",".join(h) for h in hosts if h)
        policy = OutboundPolicy.from_values(config.get("CALENDAR_ALLOW_PRIVATE_URLS"), hosts_text)
        return cls(
            db,
            Credentials.from_config(config),
            policy,
            interval=config.get("CALENDAR_SYNC_SECONDS", 300),
            max_age=config.get("CALENDAR_MAX_AGE_SECONDS", 900),
            refresh_timeout=config.get("CALENDAR_REFRESH_TIMEOUT", 2.0),
            fetch_timeout=config.get("CALENDAR_FETCH_TIMEOUT", 15.0),
            horizon_days=config.get("CALENDAR_HORIZON_DAYS", 90),
        )

    def open(self, kind: str, url: str, username: str = "", password: str = "", *, timeout=None):
        """A live connection to an account or feed (nothing stored)."""
        # Imported here: caldav, icalendar and recurring-ical-events cost a server start ~0.1 s
        # and are needed only once a host has a calendar (`frontdesk serve` warms them up).
        from frontdesk.calendars.caldav_account import CalDavConnection
        from frontdesk.calendars.ics_feed import IcsConnection

        timeout = timeout or self.fetch_timeout
        if kind == CALDAV:
            return CalDavConnection(url, username, password, policy=self.policy, timeout=timeout)
        return IcsConnection(url, policy=self.policy, timeout=timeout)

    def open_row(self, row: CalendarConnection, *, timeout=None) -> Connection:
        """The live connection a stored row describes (its password unsealed here only)."""
        password = self.credentials.open(row.secret)
        return self.open(row.kind, row.url, row.username, password, timeout=timeout)

    # -- refreshing ---------------------------------------------------------------------------

    def refresh(self, connection_id: int, *, timeout: float | None = None, now=None) -> str:
        """Fetch every busy calendar of a connection and store what answered; returns the error
        shown to staff ("" when all went well). Old data is kept for calendars that failed."""
        lock = self._lock_for(connection_id)
        with lock:
            return self._refresh(connection_id, timeout=timeout, now=now or utcnow())

    def _refresh(self, connection_id: int, *, timeout, now: datetime) -> str:
        with self.db.session() as session:
            row = session.get(
                CalendarConnection,
                connection_id,
                options=[selectinload(CalendarConnection.sources)],
            )
            if row is None:
                return ""
            zone = session.scalar(select(Host.timezone).where(Host.id == row.host_id)) or "UTC"
            sources = [(s.id, s.calendar_id, s.etag, s.last_modified) for s in row.sources]
            try:
                connection = self.open_row(row, timeout=timeout)
            except CalendarError as exc:
                connection, opening_error = None, str(exc)
        start, end = now - PAST, now + self.horizon
        results: dict[int, BusyResult | str] = {}
        for source_id, calendar_id, etag, last_modified in sources:
            if connection is None:
                results[source_id] = opening_error
                continue
            try:
                results[source_id] = connection.busy(
                    calendar_id, start, end, zone=zone, validators=(etag, last_modified)
                )
            except CalendarError as exc:
                results[source_id] = str(exc)
            except Exception as exc:  # a library bug must not stop the other calendars
                log.exception("calendar source %s failed", source_id)
                results[source_id] = f"Unexpected error ({type(exc).__name__})."
        return self._store(connection_id, results, now)

    def _store(self, connection_id: int, results: dict, now: datetime) -> str:
        errors = sorted({r for r in results.values() if isinstance(r, str)})
        # Read-then-write: take SQLite's write lock up front (a deferred transaction upgraded
        # while another writer holds it fails at once with "database is locked").
        with self.db.write_transaction() as session:
            row = session.get(CalendarConnection, connection_id)
            if row is None:  # removed while we fetched
                return ""
            for source in row.sources:
                result = results.get(source.id)
                if isinstance(result, BusyResult):
                    save_busy(session, source, result, now)
                elif isinstance(result, str):
                    source.last_error = result[:1000]
            row.last_attempt_at = now
            row.last_error = " ".join(errors)[:1000]
            if not errors:
                row.last_success_at = now
        if errors:
            log.warning("calendar connection %s: %s", connection_id, " ".join(errors))
        return " ".join(errors)

    def refresh_due(self, *, now: datetime | None = None) -> int:
        """Refresh every connection not tried for an interval; returns how many were tried."""
        now = now or utcnow()
        due_before = now - self.interval
        with self.db.session() as session:
            ids = list(
                session.scalars(
                    select(CalendarConnection.id).where(
                        CalendarConnection.last_attempt_at.is_(None)
                        | (CalendarConnection.last_attempt_at <= due_before)
                    )
                )
            )
        tried = 0
        for connection_id in ids:
            if self.worker.stopping.is_set():
                break
            if self._claim(connection_id, due_before, now):  # another process may have it
                self.refresh(connection_id, now=now)
                tried += 1
        return tried

    def _claim(self, connection_id: int, due_before: datetime, now: datetime) -> bool:
        """Mark a due connection as tried now; exactly one process (or thread) wins it, so
        several processes of a deployment never fetch the same calendar for one interval."""
        claim = (
            update(CalendarConnection)
            .where(
                CalendarConnection.id == connection_id,
                CalendarConnection.last_attempt_at.is_(None)
                | (CalendarConnection.last_attempt_at <= due_before),
            )
            .values(last_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        with self.db.write_transaction() as session:
            return session.execute(claim).rowcount == 1

    def refresh_stale(self, host_ids: Sequence[int], *, now: datetime | None = None) -> list[str]:
        """Before a booking commits: refresh these hosts' connections whose data is older than
        max_age, waiting at most refresh_timeout in all. Returns warnings (last known data used)."""
        now = now or utcnow()
        with self.db.session() as session:
            stale = stale_connections(session, host_ids, now - self.max_age)
        if not stale:
            return []
        threads = {
            cid: threading.Thread(target=self._refresh_quietly, args=(cid,), daemon=True)
            for cid in stale
        }
        for thread in threads.values():
            thread.start()
        deadline = now.timestamp() + self.refresh_timeout
        warnings = []
        for cid, thread in threads.items():
            thread.join(max(0.0, deadline - utcnow().timestamp()))
            if thread.is_alive():
                warnings.append(self._warn_slow(cid))
        return warnings

    def _refresh_quietly(self, connection_id: int) -> None:
        try:
            self.refresh(connection_id, timeout=self.refresh_timeout)
        except Exception:
            log.exception("refreshing calendar connection %s failed", connection_id)

    def _warn_slow(self, connection_id: int) -> str:
        message = (
            "The calendar did not answer within "
            f"{self.refresh_timeout:g} s before a booking; its last known busy times were used."
        )
        # Read-then-write, while the timed-out refresh may be storing its error: take SQLite's
        # write lock up front (a deferred one fails at once with "database is locked").
        with self.db.write_transaction() as session:
            row = session.get(CalendarConnection, connection_id)
            if row is not None:
                row.last_warning, row.warned_at = message, utcnow()
        return message

    def _lock_for(self, connection_id: int) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(connection_id, threading.Lock())
