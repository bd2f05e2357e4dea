"""Wiring the calendars into an app: the sync and the writer built from configuration, the
stored busy times given to the booking path as data, and the background workers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontdesk.calendars.store import hosts_busy_seconds
from frontdesk.calendars.sync import CalendarSync
from frontdesk.calendars.writeback import CalendarWriter


def init_calendars(db, config: Mapping[str, Any]) -> tuple[CalendarSync, CalendarWriter]:
    """The app's calendar sync and write-back outbox (workers started when CALENDAR_WORKER)."""
    from frontdesk.booking.hosts import register_busy_source

    sync = CalendarSync.from_config(db, config)
    writer = CalendarWriter(db, sync, retry_seconds=config.get("CALENDAR_RETRY_SECONDS", 60))
    # The slot engine reads what the sync stored; it never waits on a calendar server.
    register_busy_source(hosts_busy_seconds)
    if config.get("CALENDAR_WORKER"):
        sync.start_worker()
        writer.start_worker()
    return sync, writer
