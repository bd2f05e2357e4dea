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

from frontdesk.assistant.base import Choice, ToolResult
from frontdesk.assistant.tools import cards
from frontdesk.booking import validation as check
from frontdesk.booking.assignment import check_free
from frontdesk.booking.errors import BookingError, InvalidBooking, NotAllowed, NotFound
from frontdesk.booking.reschedule_picker import staying_host
from frontdesk.db.models import Proposal, Site
from frontdesk.db.models.booking import CONFIRMED

PENDING, DONE, DECLINED, FAILED = "pending", "confirmed", "declined", "failed"
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
        host: str | None = None,
    ) -> ToolResult:
        """Validate a booking completely and return a card naming whom the visitor will meet;
        books nothing. `host`: the person asked for (None: whoever is free)."""
        t = self.tools
        svc = t.service(service)
        name, email = check.clean_name(name), check.clean_email(email)
        phone = check.clean_phone(phone or "")
        notes = check.clean_long_text(notes or "", field="notes", label="The note", limit=2000)
        start = start.astimezone(UTC)
        problem, meeting = self._slot_problem(svc, start, host=host)
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
        if host:
            payload["host"] = host
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
            lang=t.lang,
        )
        card.update(meeting)
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
        kept = tuple(row.host_id for row in booking.hosts)
        problem, meeting = self._slot_problem(
            booking.service, new_start, exclude=booking.id, host=staying_host(booking), keep=kept
        )
        if problem:
            return problem
        payload = {"booking": booking.public_id, "new_start": cards.iso_utc(new_start)}
        proposal_id = self._save("reschedule", payload, booking.id)
        end = new_start + timedelta(minutes=booking.service.duration_min)
        card = self._booking_card("reschedule", proposal_id, booking, start=new_start, end=end)
        card.update(meeting)
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

    def _slot_problem(self, service, start: datetime, *, exclude=None, host=None, keep=()):
        """(None, whom the visitor would meet) when `start` is bookable for `service`, else
        (a failed result with alternatives, {})."""
        t = self.tools
        with t.db.session() as session:
            try:  # the booking service's own check, so a proposal never promises what it refuses
                site = session.get(Site, t.site_id)
                chosen = check_free(
                    session, site, service, start, t.now(), exclude, host=host, keep_host_ids=keep
                )
            except BookingError as exc:
                message, field = exc.message, exc.field or "start"
            else:
                return None, cards.meeting(
                    session, service, chosen.host_ids, asked=host, kept=keep, lang=t.lang
                )
        choices = self.alternatives(service.slug, start, host) if field == "start" else []
        return fail(message, field=field, choices=choices), {}

    def alternatives(self, slug: str, near: datetime, host: str | None = None) -> list[Choice]:
        """Fresh slot chips from the day of `near` (or today) onwards, for a failed attempt;
        the `host` asked for (or kept by a reschedule) is the one whose times are offered."""
        t = self.tools
        day = max(near, t.now()).astimezone(ZoneInfo(t.visitor_tz)).date()
        try:
            return t.find_available_slots(slug, day, None, None, host).choices[:ALTERNATIVES]
        except BookingError:
            return []

    def _save(self, kind: str, payload: dict[str, Any], booking_id: int | None = None) -> str:
        proposal_id = "pr_" + secrets.token_urlsafe(9)
        with self.tools.db.write_transaction() as session:
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
            lang=t.lang,
        )


def _proposed(card: dict[str, Any]) -> ToolResult:
    content = {
        "proposal": card["proposal"],
        "status": "awaiting_visitor_confirmation",
        "when": card["visitor_time"],
        "next": "Nothing is done yet. Ask the visitor to check the card and press Confirm.",
    }
    return ToolResult(content, card=card)
