"""Who takes a booking: the one slot check (site rules, then each host) and round-robin.

Round-robin gives a booking to the free host with the fewest confirmed bookings of the service
in the slot's week (Monday to Sunday in the site's zone); among equals, the one whose last
booking of the service was made longest ago (never first), so equals take turns. Called inside
the booking's write transaction, after the hosts are locked: choice and insert are atomic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from frontdesk.booking.availability import availability_for, blocked_time
from frontdesk.booking.errors import (
    SLOT_TAKEN_MESSAGE,
    InvalidBooking,
    SlotTaken,
    slot_problem_message,
)
from frontdesk.booking.hosts import host_schedules, pick_host, service_hosts
from frontdesk.booking.slots import Busy, block_for, check_slot
from frontdesk.booking.team_slots import TeamSlot, free_hosts_at, team_free_slots
from frontdesk.booking.zones import zone_named
from frontdesk.db.models import Booking, BookingHost, Host, Service, Site
from frontdesk.db.models.booking import CONFIRMED
from frontdesk.db.models.host import CHOSEN, COLLECTIVE, ROUND_ROBIN

HOST_LOCKS = 0x686F  # "ho": advisory locks of hosts, apart from the sites' booking locks
# Busy times are fetched this far around the asked dates: a day in the visitor's zone spans
# parts of neighbouring UTC days, and buffers reach across slot edges.
BUSY_MARGIN = timedelta(days=1)
# check_slot's reasons a booking made by staff overrides (the past and taken time stay refused).
STAFF_MAY_OVERRIDE = frozenset({"too_soon", "too_far", "outside_hours"})


@dataclass(frozen=True)
class Assignment:
    """The block a booking would occupy and the hosts who would attend it."""

    block: Busy
    host_ids: tuple[int, ...]


def check_free(
    session: Session,
    site: Site,
    service: Service,
    start: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
    *,
    host: str | None = None,
    keep_host_ids: tuple[int, ...] = (),
    lock: bool = False,
    by_staff: bool = False,
) -> Assignment:
    """The block and hosts of a booking of `service` at `start`; SlotTaken or InvalidBooking
    (with the sentence for the visitor) when it can't be booked now. The one slot check: the
    booking service commits with it (lock=True, in its write transaction) and the assistant's
    proposals ask it first. `keep_host_ids`: a reschedule's hosts, kept when they are free.
    Staff (`by_staff`, a booking taken by phone) may book outside the offered slots, notice
    and horizon, and outside the hosts' own hours: only the past and taken time are refused."""
    availability = availability_for(site)
    duration = timedelta(minutes=service.duration_min)
    reason = check_slot(availability, duration, start, now=now, busy=())
    if by_staff and reason in STAFF_MAY_OVERRIDE:
        reason = None
    if reason is not None:
        message = slot_problem_message(
            reason, min_notice_min=site.min_notice_min, max_days_ahead=site.max_days_ahead
        )
        raise InvalidBooking(message, field="start")
    offered = service_hosts(session, service)
    hosts = pick_host(offered, host)
    if not hosts:
        raise InvalidBooking("Nobody takes this consultation at the moment.", field="service")
    if service.assignment == CHOSEN and not host and not keep_host_ids and len(hosts) > 1:
        names = ", ".join(h.name for h in hosts)
        raise InvalidBooking(f"Please choose who you'd like to meet: {names}.", field="host")
    if lock:
        lock_hosts(session, [h.id for h in hosts])
    block = block_for(availability, start, duration)
    schedules = host_schedules(
        session,
        hosts,
        block.start,
        block.end,
        exclude_booking_id=exclude_booking_id,
        site_busy=blocked_time(session, site.id, block.start, block.end),
        all_hours=by_staff,
    )
    start_utc = start.astimezone(UTC)
    free = free_hosts_at(availability, duration, [start_utc], schedules)[0]
    if service.assignment == COLLECTIVE and not host:
        if len(free) < len(hosts):
            raise SlotTaken(SLOT_TAKEN_MESSAGE, field="start")
        return Assignment(block, free)
    if not free:
        raise SlotTaken(SLOT_TAKEN_MESSAGE, field="start")
    if keep_host_ids:
        if set(keep_host_ids) <= set(free):
            return Assignment(block, keep_host_ids)
        if service.assignment != ROUND_ROBIN or host:
            raise SlotTaken(SLOT_TAKEN_MESSAGE, field="start")
    if len(free) == 1:
        return Assignment(block, free)
    return Assignment(block, (least_busy(session, site, service, free, start_utc),))


def team_slots_between(
    session: Session,
    site: Site,
    service: Service,
    start_date: date,
    end_date: date,
    *,
    now: datetime,
    tz: str | None = None,
    exclude_booking_id: int | None = None,
    host: str | None = None,
) -> list[TeamSlot]:
    """Free slots of a service on start_date..end_date (in `tz`), each with its free hosts;
    `host` keeps one person's slots, whatever the service's assignment."""
    hosts = pick_host(service_hosts(session, service), host)
    lo = datetime.combine(start_date, datetime.min.time(), UTC) - BUSY_MARGIN
    hi = datetime.combine(end_date, datetime.min.time(), UTC) + 2 * BUSY_MARGIN
    schedules = host_schedules(
        session,
        hosts,
        lo,
        hi,
        exclude_booking_id=exclude_booking_id,
        site_busy=blocked_time(session, site.id, lo, hi),
    )
    return team_free_slots(
        availability_for(site),
        timedelta(minutes=service.duration_min),
        start_date,
        end_date,
        now=now,
        hosts=schedules,
        collective=service.assignment == COLLECTIVE and not host,
        tz=tz,
    )


def least_busy(
    session: Session, site: Site, service: Service, free: tuple[int, ...], start: datetime
) -> int:
    """Round-robin: of the free hosts, the one with the fewest bookings of the service in the
    slot's week, then the one whose last booking of it is oldest, then the first listed."""
    zone = zone_named(site.timezone)
    local_day = start.astimezone(zone).date()
    monday = local_day - timedelta(days=local_day.weekday())
    week_start = datetime.combine(monday, datetime.min.time(), zone).astimezone(UTC)
    week_end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), zone)
    mine = (
        select(BookingHost.host_id, func.count(), func.max(Booking.created_at))
        .join(Booking, Booking.id == BookingHost.booking_id)
        .where(Booking.service_id == service.id, BookingHost.host_id.in_(free))
        .where(BookingHost.status == CONFIRMED)
        .group_by(BookingHost.host_id)
    )
    week = {
        host_id: count
        for host_id, count, _ in session.execute(
            mine.where(Booking.start >= week_start, Booking.start < week_end.astimezone(UTC))
        )
    }
    latest = {host_id: last for host_id, _, last in session.execute(mine)}
    never = datetime.min.replace(tzinfo=UTC)

    def rank(item: tuple[int, int]) -> tuple[int, datetime, int]:
        position, host_id = item
        last = latest.get(host_id) or never
        last = last if last.tzinfo else last.replace(tzinfo=UTC)
        return (week.get(host_id, 0), last, position)

    return min(enumerate(free), key=rank)[1]


def lock_hosts(session: Session, host_ids: list[int]) -> None:
    """PostgreSQL: queue the writes of transactions booking the same people, whichever site
    they come from (in id order, so two of them never wait for each other); SQLite's
    BEGIN IMMEDIATE already serialises every write."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for host_id in sorted(set(host_ids)):
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :host_id)"),
            {"namespace": HOST_LOCKS, "host_id": host_id},
        )


def host_names(session: Session, host_ids) -> dict[int, str]:
    """The names of these hosts, by id."""
    query = select(Host.id, Host.name).where(Host.id.in_(list(host_ids)))
    return {host_id: name for host_id, name in session.execute(query)}
