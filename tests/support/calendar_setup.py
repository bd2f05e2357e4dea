"""Calendar wiring for tests: the sync and writer on a database (loopback allowed explicitly),
a booking service that uses them, and connecting a host's calendar as the dashboard does."""

from __future__ import annotations

from sqlalchemy import select

from frontdesk.booking.service import Bookings
from frontdesk.calendars.base import CALDAV, ICS
from frontdesk.calendars.credentials import Credentials
from frontdesk.calendars.hooks import CalendarHooks
from frontdesk.calendars.store import add_connection, choose_calendars
from frontdesk.calendars.sync import CalendarSync
from frontdesk.calendars.writeback import CalendarWriter
from frontdesk.db.models import SiteHost
from frontdesk.outbound.guard import OutboundPolicy
from tests.support.apps import PUBLIC_URL, TEST_SECRET

LOOPBACK = OutboundPolicy(allow_private=True)


def calendar_services(db, **options) -> tuple[CalendarSync, CalendarWriter, Bookings]:
    """A sync, a writer and a booking service wired to them, as create_app wires them."""
    from frontdesk.booking.hosts import register_busy_source
    from frontdesk.calendars.store import hosts_busy_seconds

    credentials = Credentials.from_config({"SECRET_KEY": TEST_SECRET})
    sync = CalendarSync(db, credentials, LOOPBACK, **options)
    writer = CalendarWriter(db, sync, retry_seconds=1)
    register_busy_source(hosts_busy_seconds)
    bookings = Bookings(
        db,
        secret_key=TEST_SECRET,
        public_url=PUBLIC_URL,
        hooks=CalendarHooks(sync, writer),
    )
    return sync, writer, bookings


def site_host_id(db, site) -> int:
    """The id of the site's (first) host."""
    with db.session() as session:
        return session.scalar(
            select(SiteHost.host_id).where(SiteHost.site_id == site.id).order_by(SiteHost.id)
        )


def connect(
    db, sync: CalendarSync, host_id: int, kind: str, url: str, user="", password="", write=True
) -> int:
    """Connect an account or feed and choose every calendar as busy (and the first to write to,
    for CalDAV); returns the connection's id."""
    live = sync.open(kind, url, user, password)
    offered = live.list_calendars()
    with db.transaction() as session:
        row = add_connection(
            session,
            sync.credentials,
            host_id=host_id,
            kind=kind,
            url=url,
            username=user,
            password=password,
        )
        write_id = offered[0].id if kind == CALDAV and write else None
        choose_calendars(session, row, offered, [info.id for info in offered], write_id)
        return row.id


__all__ = ["CALDAV", "ICS", "LOOPBACK", "calendar_services", "connect", "site_host_id"]
