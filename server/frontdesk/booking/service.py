"""The booking service: create, reschedule and cancel bookings, never two in the same time."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload

from frontdesk import audit
from frontdesk.audit import Actor
from frontdesk.booking import tokens
from frontdesk.booking import validation as check
from frontdesk.booking.availability import availability_for, busy_blocks
from frontdesk.booking.slots import Slot, block_for, check_slot
from frontdesk.booking.slots import free_slots as compute_free_slots
from frontdesk.booking.validation import (
    SLOT_TAKEN_MESSAGE,
    BookingError,
    InvalidBooking,
    NotAllowed,
    NotFound,
    SlotTaken,
    TryAgain,
)
from frontdesk.db.models import Booking, Conversation, Service, Site
from frontdesk.db.models.booking import CANCELLED, CONFIRMED
from frontdesk.db.types import utcnow

__all__ = [
    "BookingError",
    "BookingRequest",
    "BookingResult",
    "Bookings",
    "InvalidBooking",
    "NotAllowed",
    "NotFound",
    "SlotTaken",
    "TryAgain",
]

T = TypeVar("T")
LOCK_RETRIES = 5
ID_RETRIES = 3
MAX_RANGE_DAYS = 366
ADVISORY_NAMESPACE = 0x626B  # "bk": keeps booking locks apart from other advisory locks
# free_slots fetches busy blocks this far around the asked dates: a day in the visitor's zone
# spans parts of neighbouring UTC days, and buffers reach across slot edges.
BUSY_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class BookingRequest:
    """What a visitor asks for; validated by Bookings.create."""

    service: str
    start: datetime
    name: str
    email: str
    phone: str = ""
    notes: str = ""
    visitor_tz: str = "UTC"
    visitor_id: str | None = None
    conversation_id: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class BookingResult:
    """A booking and its current manage token; `created` is False when nothing new was made."""

    booking: Booking
    manage_token: str
    created: bool


class Bookings:
    """Facade over booking rules and the database; one per app."""

    def __init__(self, db, *, secret_key: str, public_url: str, mailer=None) -> None:
        self.db = db
        self.secret_key = secret_key
        self.public_url = public_url.rstrip("/")
        self.mailer = mailer

    # -- reading ---------------------------------------------------------------------------

    def services(self, site_id: int) -> list[Service]:
        """The site's active services in display order."""
        with self.db.session() as session:
            query = select(Service).where(Service.site_id == site_id, Service.active.is_(True))
            return list(session.scalars(query.order_by(Service.position, Service.id)))

    def free_slots(
        self,
        site_id: int,
        service_slug: str,
        start_date: date,
        end_date: date,
        *,
        tz: str | ZoneInfo | None = None,
        now: datetime | None = None,
        exclude_booking_id: int | None = None,
    ) -> list[Slot]:
        """Bookable slots of a service between two dates (inclusive)."""
        if not (isinstance(start_date, date) and isinstance(end_date, date)):
            raise InvalidBooking("Dates must be calendar dates.", field="start_date")
        if start_date.year < 2 or end_date.year > 9998:
            raise InvalidBooking("That date is out of range.", field="start_date")
        if end_date < start_date:
            raise InvalidBooking("The end date is before the start date.", field="end_date")
        if (end_date - start_date).days > MAX_RANGE_DAYS:
            raise InvalidBooking("That date range is too long.", field="end_date")
        if tz is not None:  # a zone name or a ZoneInfo; the slot engine takes the name
            tz = check.clean_timezone(getattr(tz, "key", tz), field="tz")
        now = now or utcnow()
        with self.db.session() as session:
            site, service = _site_and_service(session, site_id, check.clean_slug(service_slug))
            lo = datetime.combine(start_date, datetime.min.time(), now.tzinfo) - BUSY_MARGIN
            hi = datetime.combine(end_date, datetime.min.time(), now.tzinfo) + 2 * BUSY_MARGIN
            busy = busy_blocks(session, site_id, lo, hi, exclude_booking_id=exclude_booking_id)
            return compute_free_slots(
                availability_for(site),
                timedelta(minutes=service.duration_min),
                start_date,
                end_date,
                now=now,
                busy=busy,
                tz=tz,
            )

    def get(self, public_id: str) -> Booking | None:
        """The booking with this public id, or None."""
        if not isinstance(public_id, str) or not 0 < len(public_id) <= 32:
            return None
        with self.db.session() as session:
            return _booking_query(session, Booking.public_id == public_id)

    def by_token(self, token: str) -> Booking | None:
        """The booking a manage link points to; None for unknown or superseded tokens."""
        if not tokens.is_plausible(token):
            return None
        with self.db.session() as session:
            booking = _booking_query(session, Booking.manage_token_hash == tokens.token_hash(token))
        if booking is None or not tokens.matches(token, self.manage_token(booking)):
            return None
        return booking

    def for_visitor(self, site_id: int, visitor_id: str) -> list[Booking]:
        """This visitor's bookings on this site, newest first."""
        if not isinstance(visitor_id, str) or not 0 < len(visitor_id) <= check.MAX_VISITOR_ID:
            return []
        with self.db.session() as session:
            query = (
                select(Booking)
                .where(Booking.site_id == site_id, Booking.visitor_id == visitor_id)
                .order_by(Booking.created_at.desc(), Booking.id.desc())
            )
            return list(session.scalars(query))

    def manage_token(self, booking: Booking) -> str:
        """The current manage token of a booking (changes on every reschedule)."""
        return tokens.manage_token(self.secret_key, booking.public_id, booking.token_version)

    def manage_url(self, booking: Booking) -> str:
        """The visitor's link to view, reschedule or cancel the booking."""
        return f"{self.public_url}/b/{self.manage_token(booking)}"

    def ics_url(self, booking: Booking) -> str:
        """The link to the booking's calendar file."""
        return f"{self.public_url}/b/{self.manage_token(booking)}.ics"

    # -- changing --------------------------------------------------------------------------

    def create(
        self, site_id: int, request: BookingRequest, actor: Actor, *, now: datetime | None = None
    ) -> BookingResult:
        """Book a slot; an idempotent retry returns the first booking with created=False."""
        clean = check.clean_request(request)
        now = now or utcnow()
        key = clean.idempotency_key
        if key and (existing := self._by_key(site_id, key)):
            return self._result(existing, created=False)

        def insert(session: Session) -> BookingResult:
            if key and (existing := _by_key(session, site_id, key)):
                return self._result(existing, created=False)
            site, service = _site_and_service(session, site_id, clean.service)
            _check_conversation(session, site_id, clean.conversation_id)
            block = _check_free(session, site, service, clean.start, now)
            booking = _new_booking(site_id, service, clean, block)
            token = self._set_token(booking)
            session.add(booking)
            # audit.record flushes: the insert (and any constraint refusal) happens here
            self._log_and_notify(session, site, booking, actor, "created", _span(booking))
            return BookingResult(booking, token, created=True)

        for attempt in range(ID_RETRIES):
            try:
                result = self._write(insert, site_id=site_id)
                break
            except (IntegrityError, SlotTaken) as exc:
                # A racing retry of the same request may have won: hand back its booking.
                if key and (existing := self._by_key(site_id, key)):
                    return self._result(existing, created=False)
                retry = isinstance(exc, IntegrityError) and _violation(exc) == "duplicate_id"
                if not retry or attempt == ID_RETRIES - 1:
                    raise
        if result.created:
            self._wake_mailer()
        return result

    def reschedule(
        self, public_id: str, new_start: datetime, actor: Actor, *, now: datetime | None = None
    ) -> BookingResult:
        """Move a booking to a new slot (created=False); the old manage link stops working."""
        new_start = check.clean_start(new_start).astimezone(UTC)
        now = now or utcnow()

        def move(session: Session) -> BookingResult:
            booking = _changeable(session, public_id, now, verb="rescheduled")
            if booking.start == new_start:  # a retried request: already done
                return self._result(booking, created=False)
            site = _site(session, booking.site_id)
            before = _span(booking)
            block = _check_free(session, site, booking.service, new_start, now, booking.id)
            booking.start = new_start
            booking.end = new_start + timedelta(minutes=booking.service.duration_min)
            booking.block_start, booking.block_end = block.start, block.end
            booking.token_version += 1
            booking.ics_sequence += 1
            token = self._set_token(booking)
            data = {"from": before, "to": _span(booking)}
            self._log_and_notify(session, site, booking, actor, "rescheduled", data)
            return BookingResult(booking, token, created=False)

        result = self._write(move, site_id=self._site_of(public_id))
        self._wake_mailer()
        return result

    def cancel(
        self, public_id: str, actor: Actor, *, reason: str = "", now: datetime | None = None
    ) -> Booking:
        """Cancel a future booking; its time becomes free again."""
        reason = check.clean_long_text(
            reason, field="reason", label="The reason", limit=check.MAX_REASON
        )
        now = now or utcnow()

        def drop(session: Session) -> Booking:
            booking = _changeable(session, public_id, now, verb="cancelled")
            site = _site(session, booking.site_id)
            booking.status = CANCELLED
            booking.cancel_reason = reason
            booking.ics_sequence += 1
            data = {**_span(booking), "reason_given": bool(reason)}
            self._log_and_notify(session, site, booking, actor, "cancelled", data)
            return booking

        booking = self._write(drop, site_id=self._site_of(public_id))
        self._wake_mailer()
        return booking

    # -- internals -------------------------------------------------------------------------

    def _result(self, booking: Booking, *, created: bool) -> BookingResult:
        return BookingResult(booking, self.manage_token(booking), created=created)

    def _by_key(self, site_id: int, key: str) -> Booking | None:
        with self.db.session() as session:
            return _by_key(session, site_id, key)

    def _site_of(self, public_id: str) -> int | None:
        booking = self.get(public_id)
        return booking.site_id if booking else None

    def _set_token(self, booking: Booking) -> str:
        token = self.manage_token(booking)
        booking.manage_token_hash = tokens.token_hash(token)
        return token

    def _log_and_notify(
        self, session: Session, site: Site, booking: Booking, actor: Actor, event: str, data
    ) -> None:
        """Audit event and queued e-mail, both inside the booking's own transaction."""
        audit.record(
            session,
            site_id=site.id,
            actor=actor,
            action=f"booking.{event}",
            subject_type="booking",
            subject_id=booking.public_id,
            data=data,
        )
        if self.mailer:
            self.mailer.enqueue_booking_change(
                session,
                booking=booking,
                site=site,
                event=event,
                manage_url=self.manage_url(booking),
                ics_url=self.ics_url(booking),
            )

    def _wake_mailer(self) -> None:
        if self.mailer:
            self.mailer.wake()

    def _write(self, work: Callable[[Session], T], *, site_id: int | None) -> T:
        """Run `work` in a write transaction holding the site's booking lock, retrying while
        the database is busy; a lost overlap race becomes SlotTaken."""
        for attempt in range(LOCK_RETRIES):
            try:
                with self.db.write_transaction() as session:
                    _lock_site(session, site_id)
                    return work(session)
            except OperationalError as exc:
                if not _is_transient(exc):
                    raise
                if attempt == LOCK_RETRIES - 1:
                    raise TryAgain("We're very busy right now. Please try again.") from None
                time.sleep(0.05 * (attempt + 1) + random.random() * 0.05)
            except IntegrityError as exc:
                if _violation(exc) == "overlap":
                    raise SlotTaken(SLOT_TAKEN_MESSAGE, field="start") from None
                raise
        raise AssertionError("unreachable")


def _lock_site(session: Session, site_id: int | None) -> None:
    """Serialise one site's booking writes (SQLite: BEGIN IMMEDIATE already serialises all).

    On PostgreSQL, concurrent inserts checked by the exclusion constraint can deadlock each
    other; a per-site advisory lock makes them queue instead, and the constraint stays the
    last word should anything bypass this code."""
    if site_id is None or session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(:namespace, :site_id)"),
        {"namespace": ADVISORY_NAMESPACE, "site_id": site_id},
    )


def _is_transient(exc: OperationalError) -> bool:
    """SQLite still locked after busy_timeout, or a PostgreSQL deadlock / serialisation failure."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in {"40P01", "40001"} or "database is locked" in str(exc.orig)


def _violation(exc: IntegrityError) -> str:
    """Which constraint refused a booking write: overlap, idempotency, duplicate_id or other."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or str(orig)
    if getattr(orig, "sqlstate", None) == "23P01" or "bookings_no_overlap" in name:
        return "overlap"
    if "idempotency_key" in name:
        return "idempotency"
    if "public_id" in name or "manage_token_hash" in name:
        return "duplicate_id"
    return "other"


def _new_booking(site_id: int, service: Service, clean: check.CleanRequest, block) -> Booking:
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


def _span(booking: Booking) -> dict[str, str]:
    return {"start": booking.start.isoformat(), "end": booking.end.isoformat()}


def _booking_query(session: Session, condition, *, lock: bool = False) -> Booking | None:
    query = select(Booking).where(condition)
    if lock:  # PostgreSQL: concurrent changes of one booking queue up; SQLite ignores it
        query = query.with_for_update(of=Booking)
    return session.scalars(query).first()


def _by_key(session: Session, site_id: int, key: str) -> Booking | None:
    return _booking_query(session, (Booking.site_id == site_id) & (Booking.idempotency_key == key))


def _site(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("Unknown site.", field="site")
    return site


def _site_and_service(session: Session, site_id: int, slug: str) -> tuple[Site, Service]:
    """The site (with its weekly hours) and its active service `slug`, in one query."""
    # The weekly hours come along too: every slot check needs them.
    query = select(Service).options(joinedload(Service.site).joinedload(Site.opening_hours))
    query = query.where(Service.site_id == site_id, Service.slug == slug)
    service = session.scalars(query).unique().first()
    if service is None or not service.active:
        _site(session, site_id)  # an unknown site is NotFound, not a bad service
        raise InvalidBooking(f"There is no consultation type {slug!r}.", field="service")
    return service.site, service


def _check_conversation(session: Session, site_id: int, conversation_id: int | None) -> None:
    if conversation_id is None:
        return
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.site_id != site_id:
        raise InvalidBooking("Unknown conversation.", field="conversation_id")


def _changeable(session: Session, public_id: str, now: datetime, *, verb: str) -> Booking:
    """The booking, locked for change; NotFound / NotAllowed when it can't be changed."""
    booking = None
    if isinstance(public_id, str) and 0 < len(public_id) <= 32:
        booking = _booking_query(session, Booking.public_id == public_id, lock=True)
    if booking is None:
        raise NotFound("There is no such booking.", field="booking")
    if booking.status == CANCELLED:
        raise NotAllowed(f"This booking was cancelled and can't be {verb}.", field="booking")
    if booking.start <= now:
        raise NotAllowed(f"This booking is in the past and can't be {verb}.", field="booking")
    return booking


def _check_free(
    session: Session,
    site: Site,
    service: Service,
    start: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
):
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
