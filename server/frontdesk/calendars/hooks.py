"""The calendars' say in a booking change, handed to the booking service as `hooks`: refresh
stale busy times just before the write, queue the write-backs in its transaction, wake the
writer after commit. The booking service never imports this package."""

from __future__ import annotations

from frontdesk.calendars.sync import CalendarSync
from frontdesk.calendars.writeback import CalendarWriter


class CalendarHooks:
    """Bookings' hooks object (booking/service.py) backed by the sync and the writer."""

    def __init__(self, sync: CalendarSync, writer: CalendarWriter) -> None:
        self.sync = sync
        self.writer = writer

    def before_write(self, site_id: int, service_slug: str) -> list[str]:
        """Refresh the stale busy times of the service's hosts (short time limit); warnings."""
        from frontdesk.booking.hosts import service_hosts
        from frontdesk.booking.lookups import site_and_service

        with self.sync.db.session() as session:
            try:
                _site, service = site_and_service(session, site_id, service_slug)
            except Exception:  # unknown service: the booking itself reports it properly
                return []
            host_ids = [host.id for host in service_hosts(session, service)]
        return self.sync.refresh_stale(host_ids)

    def before_reschedule(self, public_id: str) -> list[str]:
        """Refresh before a reschedule: the booking's own service decides the hosts."""
        from frontdesk.booking.lookups import find_booking
        from frontdesk.db.models import Booking

        with self.sync.db.session() as session:
            booking = find_booking(session, Booking.public_id == public_id)
            if booking is None:
                return []
            site_id, slug = booking.site_id, booking.service.slug
        return self.before_write(site_id, slug)

    def booking_changed(self, session, booking, site, event: str) -> None:
        """Queue the write-backs in the change's own transaction."""
        self.writer.booking_changed(session, booking, site, event)

    def wake(self) -> None:
        """After commit: let the writer send now."""
        self.writer.wake()
