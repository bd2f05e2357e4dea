"""Committing proposals: the visitor's Confirm (idempotent) and Change (decline).

Only these commit anything, as the visitor (who pressed the button), through the booking
service; the proposal's public id is the idempotency key, so a repeated Confirm returns the
first result instead of booking twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from frontdesk.assistant.base import Choice, ToolResult
from frontdesk.assistant.tools import cards
from frontdesk.assistant.tools.proposals import DECLINED, DONE, FAILED, PENDING, fail
from frontdesk.booking.errors import BookingError, InvalidBooking, NotFound, SlotTaken
from frontdesk.db.models import Proposal


class Confirmations:
    """confirm / decline for one conversation's proposals."""

    def __init__(self, desk) -> None:
        self.desk = desk  # the ProposalDesk (for fresh alternatives)
        self.tools = desk.tools

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
        with self.tools.db.write_transaction() as session:
            changed = session.execute(
                update(Proposal)
                .where(Proposal.id == proposal.id, Proposal.status == PENDING)
                .values(status=DONE, booking_id=booking.id, result=stored)
            ).rowcount
            if changed:  # recorded with the change it records: both or neither
                self.tools.audit(
                    session, "proposal.confirmed", {"proposal": proposal.public_id},
                    actor_type="visitor",
                )  # fmt: skip
        if not changed:  # a concurrent confirm won the race: answer with its result
            again = self._find(proposal_id)
            if again is not None and again.status == DONE:
                return _stored(again)
        return result

    def decline(self, proposal_id: str) -> ToolResult:
        """Drop a pending proposal (the visitor pressed Change)."""
        proposal = self._find(proposal_id)
        if proposal is None:
            return fail("That proposal doesn't exist in this conversation.")
        if proposal.status != PENDING:
            return fail(f"That proposal is already {proposal.status}.")
        self._set_status(proposal.id, DECLINED, audited=("proposal.declined", proposal.public_id))
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
                host=p.get("host"),
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
        if exc.code == "busy":  # the database was locked: nothing happened, Confirm may retry
            return fail(exc.message)
        self._set_status(proposal.id, FAILED, {"error": exc.message})
        choices: list[Choice] = []
        if isinstance(exc, SlotTaken | InvalidBooking) and proposal.kind != "cancel":
            slug, start = self._what_and_when(proposal)
            if slug:
                choices = self.desk.alternatives(slug, start)
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

    def _set_status(
        self, row_id: int, status: str, result: dict | None = None, *, audited=None
    ) -> None:
        """Move a pending proposal on; `audited` (action, proposal id): the visitor's event,
        written in the same transaction when the proposal did change."""
        with self.tools.db.write_transaction() as session:
            values: dict[str, Any] = {"status": status}
            if result is not None:
                values["result"] = result
            changed = session.execute(
                update(Proposal)
                .where(Proposal.id == row_id, Proposal.status == PENDING)
                .values(**values)
            ).rowcount
            if changed and audited:
                action, public_id = audited
                self.tools.audit(session, action, {"proposal": public_id}, actor_type="visitor")

    def _result(self, kind: str, booking) -> ToolResult:
        t = self.tools
        card = cards.result_card(
            kind,
            booking,
            visitor_tz=t.visitor_tz,
            business_tz=t.business_tz,
            ics_url=t.bookings.ics_url(booking),
            manage_url=t.bookings.manage_url(booking),
            lang=t.lang,
        )
        if kind != "cancel":
            with t.db.session() as session:
                ids = [row.host_id for row in booking.hosts]
                card.update(cards.meeting(session, booking.service, ids, settled=True, lang=t.lang))
        status = {"book": "booked", "reschedule": "rescheduled", "cancel": "cancelled"}[kind]
        content = {
            "status": status,
            "booking_id": booking.public_id,
            "when": card["visitor_time"],
            "emailed": bool(t.sends_email and booking.email),  # the visitor gets an e-mail
        }
        return ToolResult(content, card=card)


def _stored(proposal: Proposal) -> ToolResult:
    stored = proposal.result or {}
    return ToolResult(dict(stored.get("content") or {}), card=stored.get("card"))


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
