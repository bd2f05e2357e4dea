"""Look-ups inside a booking transaction: the site, service, booking or conversation a change
is about, refused with a BookingError when it is missing or may not be changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from frontdesk.booking.errors import InvalidBooking, NotAllowed, NotFound
from frontdesk.db.models import Booking, Conversation, Service, Site
from frontdesk.db.models.booking import CANCELLED

MAX_PUBLIC_ID = 32


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


def visitor_lang(session: Session, booking: Booking) -> str:
    """The language the visitor chatted in (their e-mails' words, dates and clock), "en" when
    booked elsewhere."""
    return stored_lang(session, booking) or "en"


def stored_lang(session: Session, booking: Booking) -> str | None:
    """The `lang` of the conversation the booking was made in; None when booked elsewhere (by
    staff, or again from the manage page) or the widget sent none."""
    if booking.conversation_id is None:
        return None
    query = select(Conversation.lang).where(Conversation.id == booking.conversation_id)
    return session.scalar(query) or None


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
