"""Host test data: people added to a site and named on its services, with hours and time off."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select

from frontdesk.booking.hosts import add_site_host, new_host
from frontdesk.db.models import Host, HostHours, HostTimeOff, Service, ServiceHost, Site


def add_hosts(
    db,
    site,
    names,
    *,
    service: str = "consult",
    assignment: str = "round_robin",
    timezone: str = "Australia/Sydney",
) -> dict[str, int]:
    """New hosts (by name) working for `site` and the only ones offering `service`; their ids."""
    ids = {}
    with db.transaction() as session:
        site_row = session.get(Site, site.id)
        offered = session.scalars(
            select(Service).where(Service.site_id == site.id, Service.slug == service)
        ).one()
        offered.assignment = assignment
        for position, name in enumerate(names):
            host = new_host(
                name, email=f"{name.lower().replace(' ', '.')}@studio.test", timezone=timezone
            )
            session.add(host)
            add_site_host(session, site_row, host)
            session.add(ServiceHost(service_id=offered.id, host_id=host.id, position=position))
            ids[name] = host.id
    return ids


def share_host(db, host_id: int, site, *, service: str = "consult") -> None:
    """Make an existing host (of another site) a host of `site` offering `service` there."""
    with db.transaction() as session:
        site_row = session.get(Site, site.id)
        add_site_host(session, site_row, session.get(Host, host_id))
        offered = session.scalars(
            select(Service).where(Service.site_id == site.id, Service.slug == service)
        ).one()
        session.add(ServiceHost(service_id=offered.id, host_id=host_id, position=0))


def set_hours(db, host_id: int, weekly: dict[int, list[tuple[time, time]]]) -> None:
    """Replace a host's weekly hours (in their own zone)."""
    with db.transaction() as session:
        host = session.get(Host, host_id)
        host.weekly_hours = [
            HostHours(weekday=day, start_time=start, end_time=end)
            for day, ranges in weekly.items()
            for start, end in ranges
        ]


def add_time_off(db, host_id: int, start: datetime, end: datetime, note: str = "") -> None:
    """A host's absence [start, end)."""
    with db.transaction() as session:
        session.add(HostTimeOff(host_id=host_id, start=start, end=end, note=note))
