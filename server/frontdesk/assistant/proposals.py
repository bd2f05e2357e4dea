"""Booking proposals: validated but uncommitted bookings, reschedules and cancellations.

The assistant may only *propose* (a Proposal row and a card); the visitor's Confirm commits it
through the booking service with the proposal id as idempotency key, so a double click, a
retried frame or a replayed confirm can never book twice.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from frontdesk.assistant import cards
from frontdesk.assistant.base import Choice, ToolResult
from frontdesk.booking import validation as check
from frontdesk.booking.availability import availability_for, busy_blocks
from frontdesk.booking.slots import block_for, check_slot
from frontdesk.booking.validation import (
    SLOT_TAKEN_MESSAGE,
    BookingError,
    InvalidBooking,
    NotAllowed,
    NotFound,
    SlotTaken,
)
from frontdesk.db.models import Proposal, Site
from frontdesk.db.models.booking import CONFIRMED

PENDING, DONE, DECLINED, FAILED = "pending", "confirmed", "declined", "failed"
MARGIN = timedelta(days=1)
ALTERNATIVES = 6


def fail(message: str, *, field: str | None = None, choices: list[Choice] | None = None):
    """A failed tool result: the model (and the log) see `error`, the widget the chips."""
    content: dict[str, Any] = {"error": message}
    if field:
        content["field"] = field
    return ToolResult(content, ok=False, choices=choices or [])


class ProposalDesk:
    """propose_booking / propose_cancellation / propose_reschedule, confirm and decline."""

    def __init__(self, tools) -> None:
        self.tools = tools  # the ConversationTools this desk belongs to

    # -- proposing ------------------------------------------------------------------------

    def propose_booking(
        self,
        service: str,
        start: datetime,
        name: str,
        email: str,
        phone: str | None,
        notes: str | None,
    ) -> ToolResult:
        """Validate a booking completely and return a card; books nothing."""
        t = self.tools
        svc = t.service(service)
        name, email = check.clean_name(name), check.clean_email(email)
        phone = check.clean_phone(phone or "")
        notes = check.clean_long_text(notes or "", field="notes", label="The note", limit=2000)
        start = start.astimezone(UTC)
        problem = self._slot_problem(svc, start)
        if problem:
            return problem
        payload = {
            "service": svc.slug,
            "start": cards.iso_utc(start),
            "name": name,
            "email": email,
            "phone": phone,
            "notes": notes,
            "visitor_tz": t.visitor_tz,
        }
        proposal_id = self._save("book", payload)
        end = start + timedelta(minutes=svc.duration_min)
        card = cards.proposal_card(
            "book",
            proposal_id,
            service=svc.name,
            start=start,
            end=end,
            name=name,
            email=email,
            visitor_tz=t.visitor_tz,
            business_tz=t.business_tz,
        )
        return _proposed(card)

    def propose_cancellation(self, booking_id: str, reason: str | None) -> ToolResult:
        """A card to cancel one of this visitor's future bookings; cancels nothing."""
        booking = self._own_booking(booking_id)
        reason = check.clean_long_text(reason or "", field="reason", label="The reason", limit=500)
        proposal_id = self._save(
            "cancel", {"booking": booking.public_id, "reason": reason}, booking.id
        )
        return _proposed(self._booking_card("cancel", proposal_id, booking))

    def propose_reschedule(self, booking_id: str, new_start: datetime) -> ToolResult:
        """A card to move one of this visitor's future bookings to a free slot; moves nothing."""
        booking = self._own_booking(booking_id)
        new_start = new_start.astimezone(UTC)
        if new_start == booking.start:
            raise InvalidBooking("The booking is already at that time.", field="new_start")
        problem = self._slot_problem(booking.service, new_start, exclude=booking.id)
        if problem:
            return problem
        payload = {"booking": booking.public_id, "new_start": cards.iso_utc(new_start)}
        proposal_id = self._save("reschedule", payload, booking.id)
        end = new_start + timedelta(minutes=booking.service.duration_min)
        card = self._booking_card("reschedule", proposal_id, booking, start=new_start, end=end)
        return _proposed(card)

    def _own_booking(self, booking_id: str):
        """A future confirmed booking of THIS visitor; anything else is simply 'not found'."""
        t = self.tools
        booking = t.bookings.get(booking_id)
        if (
            booking is None
            or booking.site_id != t.site_id
            or not t.visitor_id
            or booking.visitor_id != t.visitor_id
        ):
            raise NotFound("No booking with that id for this visitor.", field="booking_id")
        if booking.status != CONFIRMED:
            raise NotAllowed("That booking is already cancelled.", field="booking_id")
        if booking.start <= t.now():
            raise NotAllowed("That booking is in the past.", field="booking_id")
        return booking

    def _slot_problem(self, service, start: datetime, *, exclude: int | None = None):
        """None when `start` is bookable for `service`, else a failed result with alternatives."""
        t = self.tools
        with t.db.session() as session:
            site = session.get(Site, t.site_id)
            availability = availability_for(site)
            duration = timedelta(minutes=service.duration_min)
            block = block_for(availability, start, duration)
            busy = busy_blocks(
                session,
                t.site_id,
                block.start - MARGIN,
                block.end + MARGIN,
                exclude_booking_id=exclude,
            )
            reason = check_slot(availability, duration, start, now=t.now(), busy=busy)
            if reason is None:
                return None
            message = (
                SLOT_TAKEN_MESSAGE
                if reason == "taken"
                else check.slot_problem_message(
                    reason, min_notice_min=site.min_notice_min, max_days_ahead=site.max_days_ahead
                )
            )
        return fail(message, field="start", choices=self.alternatives(service.slug, start))

    def alternatives(self, slug: str, near: datetime) -> list[Choice]:
        """Fresh slot chips from the day of `near` (or today) onwards, for a failed attempt."""
        t = self.tools
        day = max(near, t.now()).astimezone(ZoneInfo(t.visitor_tz)).date()
        try:
            return t.find_available_slots(slug, day, None, None).choices[:ALTERNATIVES]
        except BookingError:
            return []

    def _save(self, kind: str, payload: dict[str, Any], booking_id: int | None = None) -> str:
        proposal_id = "pr_" + secrets.token_urlsafe(9)
        with self.tools.db.transaction() as session:
            session.add(
                Proposal(
                    public_id=proposal_id,
                    conversation_id=self.tools.conversation_id,
                    kind=kind,
                    payload=payload,
                    status=PENDING,
                    booking_id=booking_id,
                )
            )
        return proposal_id

    def _booking_card(self, kind: str, proposal_id: str, booking, *, start=None, end=None):
        t = self.tools
        previous = (booking.start, booking.end) if start is not None else None
        return cards.proposal_card(
            kind,
            proposal_id,
            booking_id=booking.public_id,
            service=booking.service.name,
            start=start or booking.start,
            end=end or booking.end,
            name=booking.visitor_name,
            email=booking.email,
            visitor_tz=t.visitor_tz,
            business_tz=t.business_tz,
            previous=previous,
        )

    # -- the visitor's answer -------------------------------------------------------------

    def confirm(self, proposal_id: str) -> ToolResult:
        """Commit a pending proposal of this conversation; a repeat returns the first result."""
        proposal = self._find(proposal_id)
        if proposal is None:
            return fail("That proposal doesn't exist in this conversation.")
        if proposal.status == DONE:
            return _stored(proposal)
        if proposal.status != PENDING:
            return fail("That proposal is no longer open. Please ask again.")
        try:
            booking = self._commit(proposal)
        except BookingError as exc:
            return self._failed(proposal, exc)
        result = self._result(proposal.kind, booking)
        stored = {"content": result.content, "card": result.card}
        with self.tools.db.transaction() as session:
            changed = session.execute(
                update(Proposal)
                .where(Proposal.id == proposal.id, Proposal.status == PENDING)
                .values(status=DONE, booking_id=booking.id, result=stored)
            ).rowcount
        if not changed:  # a concurrent confirm won the race: answer with its result
            again = self._find(proposal_id)
            if again is not None and again.status == DONE:
                return _stored(again)
        self.tools.audit(
            "proposal.confirmed", {"proposal": proposal.public_id}, actor_type="visitor"
        )
        return result

    def decline(self, proposal_id: str) -> ToolResult:
        """Drop a pending proposal (the visitor pressed Change)."""
        proposal = self._find(proposal_id)
        if proposal is None:
            return fail("That proposal doesn't exist in this conversation.")
        if proposal.status != PENDING:
            return fail(f"That proposal is already {proposal.status}.")
        self._set_status(proposal.id, DECLINED)
        self.tools.audit(
            "proposal.declined", {"proposal": proposal.public_id}, actor_type="visitor"
        )
        return ToolResult({"declined": proposal.public_id})

    def _find(self, proposal_id: Any) -> Proposal | None:
        if not isinstance(proposal_id, str) or not 0 < len(proposal_id) <= 32:
            return None
        with self.tools.db.session() as session:
            query = select(Proposal).where(
                Proposal.public_id == proposal_id,
                Proposal.conversation_id == self.tools.conversation_id,
            )
            return session.scalars(query).first()

    def _commit(self, proposal: Proposal):
        """Carry the proposal out through the booking service, as the visitor."""
        from frontdesk.booking.service import BookingRequest

        t, p = self.tools, proposal.payload
        actor, now = t.actor("visitor"), t.now()
        if proposal.kind == "book":
            request = BookingRequest(
                service=p["service"],
                start=_instant(p["start"]),
                name=p["name"],
                email=p["email"],
                phone=p.get("phone", ""),
                notes=p.get("notes", ""),
                visitor_tz=p.get("visitor_tz", t.visitor_tz),
                visitor_id=t.visitor_id,
                conversation_id=t.conversation_id,
                idempotency_key=proposal.public_id,
            )
            return t.bookings.create(t.site_id, request, actor, now=now).booking
        self._own_booking_again(p["booking"])
        if proposal.kind == "reschedule":
            return t.bookings.reschedule(
                p["booking"], _instant(p["new_start"]), actor, now=now
            ).booking
        return t.bookings.cancel(p["booking"], actor, reason=p.get("reason", ""), now=now)

    def _own_booking_again(self, public_id: str) -> None:
        booking = self.tools.bookings.get(public_id)
        if booking is None or booking.visitor_id != self.tools.visitor_id:
            raise NotFound("No booking with that id for this visitor.", field="booking_id")

    def _failed(self, proposal: Proposal, exc: BookingError) -> ToolResult:
        again = self._find(proposal.public_id)  # a concurrent confirm may have done it already
        if again is not None and again.status == DONE:
            return _stored(again)
        self._set_status(proposal.id, FAILED, {"error": exc.message})
        choices: list[Choice] = []
        if isinstance(exc, SlotTaken | InvalidBooking) and proposal.kind != "cancel":
            slug, start = self._what_and_when(proposal)
            if slug:
                choices = self.alternatives(slug, start)
        message = exc.message
        if choices:
            message += " Here are other free times."
        return fail(message, field=exc.field, choices=choices)

    def _what_and_when(self, proposal: Proposal) -> tuple[str | None, datetime]:
        p = proposal.payload
        if proposal.kind == "book":
            return p["service"], _instant(p["start"])
        booking = self.tools.bookings.get(p["booking"])
        return (booking.service.slug if booking else None), _instant(p["new_start"])

    def _set_status(self, row_id: int, status: str, result: dict | None = None) -> None:
        with self.tools.db.transaction() as session:
            values: dict[str, Any] = {"status": status}
            if result is not None:
                values["result"] = result
            session.execute(
                update(Proposal)
                .where(Proposal.id == row_id, Proposal.status == PENDING)
                .values(**values)
            )

    def _result(self, kind: str, booking) -> ToolResult:
        t = self.tools
        card = cards.result_card(
            kind,
            booking,
            visitor_tz=t.visitor_tz,
            business_tz=t.business_tz,
            ics_url=t.bookings.ics_url(booking),
            manage_url=t.bookings.manage_url(booking),
        )
        status = {"book": "booked", "reschedule": "rescheduled", "cancel": "cancelled"}[kind]
        content = {"status": status, "booking_id": booking.public_id, "when": card["visitor_time"]}
        return ToolResult(content, card=card)


def _proposed(card: dict[str, Any]) -> ToolResult:
    content = {
        "proposal": card["proposal"],
        "status": "awaiting_visitor_confirmation",
        "when": card["visitor_time"],
        "next": "Nothing is done yet. Ask the visitor to check the card and press Confirm.",
    }
    return ToolResult(content, card=card)


def _stored(proposal: Proposal) -> ToolResult:
    stored = proposal.result or {}
    return ToolResult(dict(stored.get("content") or {}), card=stored.get("card"))


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
