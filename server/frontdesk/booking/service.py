"""The booking service: create, reschedule and cancel bookings, never two in the same time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frontdesk import audit
from frontdesk.audit import Actor
from frontdesk.booking import tokens
from frontdesk.booking import validation as check
from frontdesk.booking.assignment import check_free, team_slots_between
from frontdesk.booking.change_hooks import ChangeHooks, NoHooks
from frontdesk.booking.errors import SlotTaken
from frontdesk.booking.lookups import (
    MAX_PUBLIC_ID,
    by_idempotency_key,
    changeable_booking,
    check_conversation,
    find_booking,
    require_site,
    site_and_service,
)
from frontdesk.booking.slots import Slot
from frontdesk.booking.team_slots import TeamSlot
from frontdesk.booking.writes import (
    move_booking,
    new_booking,
    span,
    violation,
    write_with_site_lock,
)
from frontdesk.db.models import Booking, Service, Site
from frontdesk.db.models.booking import CANCELLED
from frontdesk.db.types import utcnow

ID_RETRIES = 3


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
    host: str | None = None  # a host's public id or name; None: whoever is free


@dataclass(frozen=True)
class BookingResult:
    """A booking and its current manage token; `created` is False when nothing new was made."""

    booking: Booking
    manage_token: str
    created: bool


class Bookings:
    """Facade over booking rules and the database; one per app."""

    def __init__(self, db, *, secret_key: str, public_url: str, mailer=None, hooks=None) -> None:
        self.db = db
        self.secret_key = secret_key
        self.public_url = public_url.rstrip("/")
        self.mailer = mailer
        self.hooks: ChangeHooks = hooks or NoHooks()  # the calendars' say in each change

    # -- reading ---------------------------------------------------------------------------

    def services(self, site_id: int) -> list[Service]:
        """The site's active services in display order."""
        with self.db.session() as session:
            query = select(Service).where(Service.site_id == site_id, Service.active.is_(True))
            return list(session.scalars(query.order_by(Service.position, Service.id)))

    def free_slots(
        self, site_id: int, service_slug: str, start_date: date, end_date: date, **options
    ) -> list[Slot]:
        """Bookable slots of a service between two dates (inclusive); options as team_slots."""
        found = self.team_slots(site_id, service_slug, start_date, end_date, **options)
        return [item.slot for item in found]

    def team_slots(
        self,
        site_id: int,
        service_slug: str,
        start_date: date,
        end_date: date,
        *,
        tz: str | ZoneInfo | None = None,
        now: datetime | None = None,
        **options,
    ) -> list[TeamSlot]:
        """Bookable slots of a service between two dates (inclusive), each with the hosts free
        for it; options: `host` (public id or name) keeps one person's slots only,
        `exclude_booking_id` frees a booking's own time (a reschedule)."""
        check.check_date_range(start_date, end_date)
        if tz is not None:  # a zone name or a ZoneInfo; the slot engine takes the name
            tz = check.clean_timezone(getattr(tz, "key", tz), field="tz")
        now = now or utcnow()
        with self.db.session() as session:
            site, service = site_and_service(session, site_id, check.clean_slug(service_slug))
            return team_slots_between(
                session, site, service, start_date, end_date, now=now, tz=tz, **options
            )

    def get(self, public_id: str) -> Booking | None:
        """The booking with this public id, or None."""
        if not isinstance(public_id, str) or not 0 < len(public_id) <= MAX_PUBLIC_ID:
            return None
        with self.db.session() as session:
            return find_booking(session, Booking.public_id == public_id)

    def by_token(self, token: str) -> Booking | None:
        """The booking a manage link points to; None for unknown or superseded tokens."""
        if not tokens.is_plausible(token):
            return None
        with self.db.session() as session:
            booking = find_booking(session, Booking.manage_token_hash == tokens.token_hash(token))
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
        self,
        site_id: int,
        request: BookingRequest,
        actor: Actor,
        *,
        now: datetime | None = None,
        by_staff: bool = False,
    ) -> BookingResult:
        """Book a slot; an idempotent retry returns the first booking with created=False.
        `by_staff`: a booking staff took (by phone): any free future time, e-mail optional."""
        clean = check.clean_request(request, email_optional=by_staff)
        now = now or utcnow()
        key = clean.idempotency_key
        if key and (existing := self._by_key(site_id, key)):
            return self._result(existing, created=False)
        self.hooks.before_write(site_id, clean.service)

        def insert(session: Session) -> BookingResult:
            if key and (existing := by_idempotency_key(session, site_id, key)):
                return self._result(existing, created=False)
            site, service = site_and_service(session, site_id, clean.service)
            check_conversation(session, site_id, clean.conversation_id)
            chosen = check_free(
                session,
                site,
                service,
                clean.start,
                now,
                host=request.host,
                lock=True,
                by_staff=by_staff,
            )
            booking = new_booking(site_id, service, clean, chosen)
            token = self._set_token(booking)
            session.add(booking)
            # audit.record flushes: the insert (and any constraint refusal) happens here
            self._log_and_notify(session, site, booking, actor, "created", span(booking))
            return BookingResult(booking, token, created=True)

        for attempt in range(ID_RETRIES):
            try:
                result = write_with_site_lock(self.db, insert, site_id=site_id)
                break
            except (IntegrityError, SlotTaken) as exc:
                # A racing retry of the same request may have won: hand back its booking.
                if key and (existing := self._by_key(site_id, key)):
                    return self._result(existing, created=False)
                retry = isinstance(exc, IntegrityError) and violation(exc) == "duplicate_id"
                if not retry or attempt == ID_RETRIES - 1:
                    raise
        if result.created:
            self._wake_mailer()
        return result

    def reschedule(
        self, public_id: str, new_start: datetime, actor: Actor, *, now: datetime | None = None
    ) -> BookingResult:
        """Move a booking to a new slot (created=False); its manage link stays the same (links
        are revoked only on demand: booking.links.renew_link)."""
        new_start = check.clean_start(new_start).astimezone(UTC)
        now = now or utcnow()
        self.hooks.before_reschedule(public_id)

        def move(session: Session) -> BookingResult:
            booking = changeable_booking(session, public_id, now, verb="rescheduled")
            if booking.start == new_start:  # a retried request: already done
                return self._result(booking, created=False)
            site = require_site(session, booking.site_id)
            before = span(booking)
            kept = tuple(row.host_id for row in booking.hosts)
            chosen = check_free(
                session, site, booking.service, new_start, now, booking.id,
                keep_host_ids=kept, lock=True,
            )  # fmt: skip
            move_booking(booking, new_start, chosen)
            booking.ics_sequence += 1
            token = self.manage_token(booking)
            data = {"from": before, "to": span(booking)}
            self._log_and_notify(session, site, booking, actor, "rescheduled", data)
            return BookingResult(booking, token, created=False)

        result = write_with_site_lock(self.db, move, site_id=self._site_of(public_id))
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
            booking = changeable_booking(session, public_id, now, verb="cancelled")
            site = require_site(session, booking.site_id)
            booking.status = CANCELLED
            for row in booking.hosts:
                row.status = CANCELLED
            booking.cancel_reason = reason
            booking.ics_sequence += 1
            data = {**span(booking), "reason_given": bool(reason)}
            self._log_and_notify(session, site, booking, actor, "cancelled", data)
            return booking

        booking = write_with_site_lock(self.db, drop, site_id=self._site_of(public_id))
        self._wake_mailer()
        return booking

    # -- internals -------------------------------------------------------------------------

    def _result(self, booking: Booking, *, created: bool) -> BookingResult:
        return BookingResult(booking, self.manage_token(booking), created=created)

    def _by_key(self, site_id: int, key: str) -> Booking | None:
        with self.db.session() as session:
            return by_idempotency_key(session, site_id, key)

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
        self.hooks.booking_changed(session, booking, site, event)

    def _wake_mailer(self) -> None:
        if self.mailer:
            self.mailer.wake()
        self.hooks.wake()
