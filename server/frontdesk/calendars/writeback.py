"""The write-back outbox: a booking's create, reschedule or cancel queues a row per calendar to
write, in the booking's own transaction; after commit a worker writes the event (PUT by UID, so
a retry replaces rather than duplicates), retrying with backoff while the calendar is down."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk import audit
from frontdesk.audit import Actor
from frontdesk.booking.event_text import booking_uid
from frontdesk.calendars.base import CalendarError
from frontdesk.calendars.sync import CalendarSync
from frontdesk.db.models import Booking, BookingHost, CalendarConnection, CalendarWrite, Site
from frontdesk.db.models.booking import CANCELLED
from frontdesk.db.types import utcnow
from frontdesk.outbox import Background, Outbox, Worker

log = logging.getLogger("frontdesk.calendars")

LEASE = timedelta(minutes=5)  # longer than any write: a claimed row is left to its worker
CONFLICT = (
    "The calendar already had another event at this time when the booking was written. "
    "The booking is kept (it was confirmed to the visitor); move it or the other event."
)


class CalendarWriter(Background):
    """Queues and writes bookings to hosts' calendars; one per app."""

    def __init__(self, db, sync: CalendarSync, *, retry_seconds=60, max_attempts=12) -> None:
        self.db = db
        self.sync = sync
        self.outbox = Outbox(
            db,
            CalendarWrite,
            done="done_at",
            lease=LEASE,
            retry_seconds=retry_seconds,
            max_attempts=max_attempts,
        )
        self.worker = Worker("frontdesk-cal-writes", self.send_due, self.outbox.poll_interval, log)

    def booking_changed(self, session: Session, booking: Booking, site: Site, event: str) -> None:
        """In the booking's transaction: queue a write to every calendar that should show it
        (its hosts' write calendars, and those it was written to before: a host who no longer
        holds it gets it cancelled)."""
        session.flush()
        host_ids = select(BookingHost.host_id).where(BookingHost.booking_id == booking.id)
        written = select(CalendarWrite.connection_id).where(CalendarWrite.booking_id == booking.id)
        targets = session.scalars(
            select(CalendarConnection.id).where(
                CalendarConnection.write_calendar_id.is_not(None),
                CalendarConnection.host_id.in_(host_ids) | CalendarConnection.id.in_(written),
            )
        ).all()
        now = utcnow()
        for connection_id in targets:
            session.add(
                CalendarWrite(
                    booking_id=booking.id,
                    connection_id=connection_id,
                    event=event,
                    next_attempt_at=now,
                    last_error="",
                    conflict="",
                )
            )

    def send_due(self, *, now: datetime | None = None) -> int:
        """Write every due row once; failures are rescheduled with backoff. Returns written."""
        now = now or utcnow()
        # A stopping worker ends its round after the write it is doing.
        claimed = self.outbox.claimed(now, self.worker.stopping)
        return sum(self._write(row_id, now) for row_id in claimed)

    def _write(self, row_id: int, now: datetime) -> int:
        """Write the booking as it is now (whichever change queued the row)."""
        # Imported here: icalendar is ~0.1 s of a server start, and most servers never write.
        from frontdesk.calendars.events import host_event

        with self.db.session() as session:
            row = session.get(CalendarWrite, row_id)
            booking = session.get(Booking, row.booking_id)
            connection_row = session.get(CalendarConnection, row.connection_id)
            site = session.get(Site, booking.site_id)
            holds = session.scalar(
                select(BookingHost.id).where(
                    BookingHost.booking_id == booking.id,
                    BookingHost.host_id == connection_row.host_id,
                )
            )
            # A host who no longer holds the booking (reassigned) gets it cancelled.
            cancel = booking.status == CANCELLED or holds is None
            attempts, calendar_id = row.attempts, connection_row.write_calendar_id
            site_id, public_id, uid = booking.site_id, booking.public_id, booking_uid(booking)
            data = host_event(booking, site, now=now, cancelled=cancel)
            span = (booking.start, booking.end)
            try:
                connection = self.sync.open_row(connection_row)
            except CalendarError as exc:
                connection, opening_error = None, exc
        try:
            if connection is None:
                raise opening_error
            if calendar_id is None:
                raise CalendarError("No calendar is chosen to write bookings to.")
            conflict = ""
            if cancel:
                connection.cancel_event(calendar_id, uid, data)
            else:
                others = connection.others_busy(calendar_id, *span, zone="UTC", except_uid=uid)
                conflict = CONFLICT if others else ""
                connection.put_event(calendar_id, uid, data)
        except Exception as exc:  # CalendarError, or a library bug: retry later either way
            self._failed(row_id, attempts, exc, now)
            return 0
        self._succeeded(row_id, site_id, public_id, conflict, now)
        return 1

    def _succeeded(self, row_id, site_id, public_id, conflict: str, now: datetime) -> None:
        with self.db.transaction() as session:
            self.outbox.succeeded(session, row_id, now, conflict=conflict)
            if conflict:
                log.warning("booking %s written over a busy time: %s", public_id, conflict)
                audit.record(
                    session,
                    site_id=site_id,
                    actor=Actor("system", "calendars"),
                    action="calendar.conflict",
                    subject_type="booking",
                    subject_id=public_id,
                    data={"write": row_id},
                )

    def _failed(self, row_id: int, attempts: int, exc: Exception, now: datetime) -> None:
        error = str(exc) if isinstance(exc, CalendarError) else f"{type(exc).__name__}: {exc}"
        log.warning("calendar write %s failed (attempt %d): %s", row_id, attempts, error)
        self.outbox.failed(row_id, attempts, error, now)
