"""Hosts as the booking rules see them: a site's default host, who offers a service, and each
host's schedule (hours, time off, bookings, external busy times) loaded for the slot engine.

External busy times (the hosts' own calendars) come from sources registered with
`register_busy_source`: the booking path only reads what a source has already stored, so it
never waits on a calendar server."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from frontdesk.booking.availability import override_ranges, weekly_ranges
from frontdesk.booking.errors import InvalidBooking
from frontdesk.booking.slots import Busy
from frontdesk.booking.team_slots import HostSchedule
from frontdesk.db.models import BookingHost, Host, HostTimeOff, Service, ServiceHost, Site, SiteHost
from frontdesk.db.models.booking import CONFIRMED

# source(session, host_ids, start, end) -> {host_id: busy intervals overlapping [start, end)},
# each a Busy or a half-open (start, end) pair of epoch seconds (cheaper for many intervals).
BusyItem = Busy | tuple[int, int]
BusySource = Callable[
    [Session, Sequence[int], datetime, datetime], Mapping[int, Iterable[BusyItem]]
]
_busy_sources: list[BusySource] = []
# Every slot check needs the hosts' hours: they come in the query that finds the hosts.
_HOURS = (joinedload(Host.weekly_hours), joinedload(Host.date_overrides))


def register_busy_source(source: BusySource) -> None:
    """Count the intervals `source` reports as the hosts' busy times (once per source)."""
    if source not in _busy_sources:
        _busy_sources.append(source)


def unregister_busy_source(source: BusySource) -> None:
    """Stop counting a source's busy times."""
    if source in _busy_sources:
        _busy_sources.remove(source)


def new_host(name: str, *, email: str = "", timezone: str = "UTC") -> Host:
    """A host with fresh identifiers; not yet added to a session."""
    return Host(
        public_id="hs_" + secrets.token_hex(8),
        name=name,
        email=email,
        timezone=timezone,
        feed_secret=secrets.token_urlsafe(24),
        active=True,
    )


def add_site_host(session: Session, site: Site, host: Host | None = None) -> Host:
    """Make `host` (default: a new one named after the site) one of the site's hosts."""
    if host is None:
        host = new_host(site.name, email=site.notification_email or "", timezone=site.timezone)
    session.add(host)
    session.flush()
    linked = session.scalars(select(SiteHost.host_id).where(SiteHost.site_id == site.id)).all()
    if host.id in linked:
        return host
    session.add(SiteHost(site_id=site.id, host_id=host.id, position=len(linked)))
    session.flush()
    return host


def site_hosts(session: Session, site_id: int, *, active_only: bool = True) -> list[Host]:
    """The site's hosts in their display order."""
    query = select(Host).join(SiteHost, SiteHost.host_id == Host.id).options(*_HOURS)
    query = query.where(SiteHost.site_id == site_id)
    if active_only:
        query = query.where(Host.active.is_(True))
    return list(session.scalars(query.order_by(SiteHost.position, Host.id)).unique())


def service_hosts(session: Session, service: Service) -> list[Host]:
    """The active hosts offering a service; a service naming nobody is offered by all the
    site's hosts (so a one-person site needs no set-up)."""
    query = select(Host).join(ServiceHost, ServiceHost.host_id == Host.id).options(*_HOURS)
    query = query.where(ServiceHost.service_id == service.id, Host.active.is_(True))
    named = list(session.scalars(query.order_by(ServiceHost.position, Host.id)).unique())
    return named or site_hosts(session, service.site_id)


def pick_host(hosts: Sequence[Host], wanted: str | None) -> list[Host]:
    """The hosts to consider: all of them, or the one the visitor asked for (by public id or a
    case-insensitive name); InvalidBooking naming who does offer it otherwise."""
    if not wanted:
        return list(hosts)
    key = " ".join(str(wanted).split()).casefold()
    for host in hosts:
        if key in (host.public_id.casefold(), host.name.casefold()):
            return [host]
    names = ", ".join(host.name for host in hosts) or "nobody yet"
    raise InvalidBooking(f"That person doesn't offer this consultation ({names} do).", field="host")


def host_schedules(
    session: Session,
    hosts: Sequence[Host],
    start: datetime,
    end: datetime,
    *,
    exclude_booking_id: int | None = None,
    site_busy: Sequence[Busy] = (),
    all_hours: bool = False,
) -> list[HostSchedule]:
    """Each host's schedule for the slot engine, with whatever overlaps [start, end) (the
    hosts as site_hosts / service_hosts load them, hours included).
    `site_busy` (time the site blocked out) counts as a booking of every host; `all_hours`
    leaves out the hosts' own hours (staff booking by phone)."""
    ids = [host.id for host in hosts]
    if not ids:
        return []
    loaded = {host.id: host for host in hosts}
    booked = _booked(session, ids, start, end, exclude_booking_id)
    away = _time_off(session, ids, start, end)
    for source in list(_busy_sources):
        for host_id, intervals in source(session, ids, start, end).items():
            away.setdefault(host_id, []).extend(intervals)
    return [
        HostSchedule(
            host_id=host_id,
            timezone=loaded[host_id].timezone,
            weekly={} if all_hours else weekly_ranges(loaded[host_id].weekly_hours),
            overrides={} if all_hours else override_ranges(loaded[host_id].date_overrides),
            bookings=[*booked.get(host_id, []), *site_busy],
            away=away.get(host_id, []),
        )
        for host_id in ids
    ]


def _booked(session, ids, start, end, exclude_booking_id) -> dict[int, list[Busy]]:
    query = select(BookingHost.host_id, BookingHost.block_start, BookingHost.block_end).where(
        BookingHost.host_id.in_(ids),
        BookingHost.status == CONFIRMED,
        BookingHost.block_start < end,
        BookingHost.block_end > start,
    )
    if exclude_booking_id is not None:
        # A reschedule must not collide with the booking it replaces.
        query = query.where(BookingHost.booking_id != exclude_booking_id)
    booked: dict[int, list[Busy]] = {}
    for host_id, block_start, block_end in session.execute(query):
        booked.setdefault(host_id, []).append(Busy(block_start, block_end))
    return booked


def _time_off(session, ids, start, end) -> dict[int, list[BusyItem]]:
    query = select(HostTimeOff.host_id, HostTimeOff.start, HostTimeOff.end).where(
        HostTimeOff.host_id.in_(ids), HostTimeOff.start < end, HostTimeOff.end > start
    )
    away: dict[int, list[BusyItem]] = {}
    for host_id, off_start, off_end in session.execute(query):
        if off_end > off_start:
            away.setdefault(host_id, []).append(Busy(off_start, off_end))
    return away


def remove_hosts_without_sites(session: Session) -> None:
    """Delete the hosts no site has any more (after a site is removed) and nothing refers to."""
    session.execute(
        delete(Host).where(
            ~select(SiteHost.id).where(SiteHost.host_id == Host.id).exists(),
            ~select(BookingHost.id).where(BookingHost.host_id == Host.id).exists(),
        )
    )


def offered_by(session: Session, site_id: int) -> dict[int, list[Host]]:
    """Each of the site's services (by id) with the active hosts offering it, in two queries."""
    named = session.execute(
        select(ServiceHost.service_id, Host)
        .join(Host, Host.id == ServiceHost.host_id)
        .join(Service, Service.id == ServiceHost.service_id)
        .where(Service.site_id == site_id, Host.active.is_(True))
        .order_by(ServiceHost.position, Host.id)
    ).all()
    everyone = site_hosts(session, site_id)
    services = session.scalars(select(Service.id).where(Service.site_id == site_id)).all()
    teams: dict[int, list[Host]] = {service_id: [] for service_id in services}
    for service_id, host in named:
        teams[service_id].append(host)
    return {service_id: hosts or everyone for service_id, hosts in teams.items()}
