"""Booking lookups and rules inside one transaction: what may be booked, moved or cancelled."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from frontdesk.booking import tokens
from frontdesk.booking import validation as check
from frontdesk.booking.availability import availability_for, busy_blocks
from frontdesk.booking.slots import Busy, block_for, check_slot
from frontdesk.booking.validation import (
    SLOT_TAKEN_MESSAGE,
    InvalidBooking,
    NotAllowed,
    NotFound,
    SlotTaken,
)
from frontdesk.db.models import Booking, Conversation, Service, Site
from frontdesk.db.models.booking import CANCELLED, CONFIRMED

MAX_PUBLIC_ID = 32
MAX_RANGE_DAYS = 366


def check_date_range(start_date: date, end_date: date) -> None:
    """Refuse anything but an ordered range of calendar dates at most MAX_RANGE_DAYS long."""
    if not (isinstance(start_date, date) and isinstance(end_date, date)):
        raise InvalidBooking("Dates must be calendar dates.", field="start_date")
    if start_date.year < 2 or end_date.year > 9998:
        raise InvalidBooking("That date is out of range.", field="start_date")
    if end_date < start_date:
        raise InvalidBooking("The end date is before the start date.", field="end_date")
    if (end_date - start_date).days > MAX_RANGE_DAYS:
        raise InvalidBooking("That date range is too long.", field="end_date")


def find_booking(session: Session, condition, *, lock: bool = False) -> Booking | None:
    """The first booking matching `condition`, optionally locked for change."""
    query = select(Booking).where(condition)
    if lock:  # PostgreSQL: concurrent changes of one booking queue up; SQLite ignores it
        query = query.with_for_update(of=Booking)
    return session.scalars(query).first()


def by_idempotency_key(session: Session, site_id: int, key: str) -> Booking | None:
    """The site's booking made with this idempotency key, or None."""
    return find_booking(session, (Booking.site_id == site_id) & (Booking.idempotency_key == key))


def require_site(session: Session, site_id: int) -> Site:
    """The site; NotFound when there is none."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("Unknown site.", field="site")
    return site


def site_and_service(session: Session, site_id: int, slug: str) -> tuple[Site, Service]:
    """The site (with its weekly hours) and its active service `slug`, in one query."""
    # The weekly hours come along too: every slot check needs them.
    query = select(Service).options(joinedload(Service.site).joinedload(Site.opening_hours))
    query = query.where(Service.site_id == site_id, Service.slug == slug)
    service = session.scalars(query).unique().first()
    if service is None or not service.active:
        require_site(session, site_id)  # an unknown site is NotFound, not a bad service
        raise InvalidBooking(f"There is no consultation type {slug!r}.", field="service")
    return service.site, service


def check_conversation(session: Session, site_id: int, conversation_id: int | None) -> None:
    """Refuse a conversation id that is unknown or belongs to another site."""
    if conversation_id is None:
        return
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.site_id != site_id:
        raise InvalidBooking("Unknown conversation.", field="conversation_id")


def changeable_booking(session: Session, public_id: str, now: datetime, *, verb: str) -> Booking:
    """The booking, locked for change; NotFound / NotAllowed when it can't be changed."""
    booking = None
    if isinstance(public_id, str) and 0 < len(public_id) <= MAX_PUBLIC_ID:
        booking = find_booking(session, Booking.public_id == public_id, lock=True)
    if booking is None:
        raise NotFound("There is no such booking.", field="booking")
    if booking.status == CANCELLED:
        raise NotAllowed(f"This booking was cancelled and can't be {verb}.", field="booking")
    if booking.start <= now:
        raise NotAllowed(f"This booking is in the past and can't be {verb}.", field="booking")
    return booking


def check_free(
    session: Session,
    site: Site,
    service: Service,
    start: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
) -> Busy:
    """The busy block the booking would occupy; raises when the slot can't be booked."""
    availability = availability_for(site)
    duration = timedelta(minutes=service.duration_min)
    block = block_for(availability, start, duration)
    # Only blocks overlapping this one can make it "taken".
    busy = busy_blocks(
        session, site.id, block.start, block.end, exclude_booking_id=exclude_booking_id
    )
    reason = check_slot(availability, duration, start, now=now, busy=busy)
    if reason == "taken":
        raise SlotTaken(SLOT_TAKEN_MESSAGE, field="start")
    if reason is not None:
        message = check.slot_problem_message(
            reason, min_notice_min=site.min_notice_min, max_days_ahead=site.max_days_ahead
        )
        raise InvalidBooking(message, field="start")
    return block


def new_booking(site_id: int, service: Service, clean: check.CleanRequest, block: Busy) -> Booking:
    """A confirmed booking of a cleaned request, occupying `block`; not yet added to a session."""
    return Booking(
        public_id=tokens.new_public_id(),
        site_id=site_id,
        service=service,
        start=clean.start,
        end=clean.start + timedelta(minutes=service.duration_min),
        block_start=block.start,
        block_end=block.end,
        visitor_name=clean.name,
        email=clean.email,
        phone=clean.phone,
        notes=clean.notes,
        visitor_tz=clean.visitor_tz,
        status=CONFIRMED,
        token_version=1,
        ics_sequence=0,
        conversation_id=clean.conversation_id,
        visitor_id=clean.visitor_id,
        idempotency_key=clean.idempotency_key,
    )


def span(booking: Booking) -> dict[str, str]:
    """The booking's start and end as ISO strings, for audit events."""
    return {"start": booking.start.isoformat(), "end": booking.end.isoformat()}
