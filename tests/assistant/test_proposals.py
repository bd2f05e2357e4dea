"""Confirming and declining proposals: only the visitor's action commits, exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import select

from frontdesk.assistant.tools.toolbox import ConversationTools
from frontdesk.db.models import AuditEvent, Booking, Proposal
from tests.support.assistant_tools import (
    FREE_START,
    NOW,
    book_directly,
    count,
    make_tools,
    valid_arguments,
)
from tests.support.bookings import make_bookings


def propose(tools: ConversationTools, **changes) -> str:
    result = tools.call("propose_booking", {**valid_arguments("propose_booking"), **changes})
    assert result.ok, result.content
    return result.card["proposal"]


def proposal_row(db, proposal_id: str) -> Proposal:
    with db.session() as session:
        return session.scalars(select(Proposal).where(Proposal.public_id == proposal_id)).one()


def test_confirm_books_exactly_once(db, tools):
    proposal_id = propose(tools)
    assert count(db, Booking) == 0

    first = tools.confirm(proposal_id)
    assert first.ok, first.content
    card = first.card
    assert card["type"] == "booking_confirmed"
    assert card["booking"].startswith("bk_") and "proposal" not in card
    assert card["manage_url"].startswith("http://frontdesk.test/b/")
    assert card["ics_url"] == card["manage_url"] + ".ics"
    assert card["visitor_time"] == "Tue 1 Dec 2026, 2:00–2:30 pm (Tokyo time)"
    assert card["business_time"] == "Tue 1 Dec 2026, 4:00–4:30 pm (Sydney time)"

    second = tools.confirm(proposal_id)
    assert second.ok and second.card == card and second.content == first.content
    assert count(db, Booking) == 1

    with db.session() as session:
        booking = session.scalars(select(Booking)).one()
        created = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "booking.created")
        ).one()
    assert booking.visitor_id == tools.visitor_id
    assert booking.conversation_id == tools.conversation_id
    assert booking.idempotency_key == proposal_id
    assert booking.visitor_tz == "Asia/Tokyo"
    assert created.actor_type == "visitor" and created.conversation_id == tools.conversation_id
    row = proposal_row(db, proposal_id)
    assert row.status == "confirmed" and row.booking_id == booking.id


def test_a_second_tools_instance_confirming_the_same_proposal_books_once(db, site, tools):
    proposal_id = propose(tools)
    twin = ConversationTools(
        db,
        make_bookings(db),
        site,
        conversation_id=tools.conversation_id,
        visitor_id=tools.visitor_id,
        visitor_tz=tools.visitor_tz,
        change_status=tools.change_status,
        now=NOW,
    )
    assert tools.confirm(proposal_id).ok and twin.confirm(proposal_id).ok
    assert count(db, Booking) == 1


def test_only_this_conversations_proposals_can_be_confirmed(db, site, tools):
    proposal_id = propose(tools)
    stranger = make_tools(db, site, "visitor-b")
    for attempt in (stranger.confirm(proposal_id), stranger.decline(proposal_id)):
        assert attempt.ok is False and "doesn't exist" in attempt.content["error"]
    assert tools.confirm("pr_unknown").ok is False
    assert tools.confirm(None).ok is False  # type: ignore[arg-type]
    assert tools.confirm("x" * 500).ok is False
    assert count(db, Booking) == 0
    assert proposal_row(db, proposal_id).status == "pending"


def test_slot_taken_meanwhile_gives_a_clear_error_and_fresh_choices(db, site, tools):
    proposal_id = propose(tools)
    rival = make_tools(db, site, "visitor-b", bookings=tools.bookings)
    book_directly(rival, FREE_START, email="rival@example.com")

    result = tools.confirm(proposal_id)
    assert result.ok is False
    assert "That time was just taken" in result.content["error"]
    assert result.choices and "2:00 pm" not in [c.label for c in result.choices]
    assert proposal_row(db, proposal_id).status == "failed"
    assert count(db, Booking, Booking.visitor_id == tools.visitor_id) == 0
    again = tools.confirm(proposal_id)
    assert again.ok is False and "no longer open" in again.content["error"]


def test_decline_drops_the_proposal(db, tools):
    proposal_id = propose(tools)
    declined = tools.decline(proposal_id)
    assert declined.ok and declined.content == {"declined": proposal_id}
    assert proposal_row(db, proposal_id).status == "declined"
    assert tools.confirm(proposal_id).ok is False
    assert tools.decline(proposal_id).ok is False
    assert count(db, Booking) == 0


def test_confirmed_reschedule_moves_the_booking(db, tools):
    booking = book_directly(tools, FREE_START)
    old_token = tools.bookings.manage_token(booking)
    move = tools.call(
        "propose_reschedule", {"booking_id": booking.public_id, "new_start": "2026-12-02T00:00:00Z"}
    )
    result = tools.confirm(move.card["proposal"])
    assert result.ok, result.content
    assert result.card["type"] == "booking_rescheduled"
    assert result.card["visitor_time"] == "Wed 2 Dec 2026, 9:00–9:30 am (Tokyo time)"
    # The manage link a business sent keeps working after a reschedule (issue 13, item 12).
    assert old_token in result.card["manage_url"]
    with db.session() as session:
        moved = session.get(Booking, booking.id)
    assert moved.start == datetime(2026, 12, 2, 0, tzinfo=UTC) and moved.status == "confirmed"
    assert tools.confirm(move.card["proposal"]).card == result.card


def test_confirmed_cancellation_cancels_the_booking(db, tools):
    booking = book_directly(tools, FREE_START)
    proposal = tools.call(
        "propose_cancellation", {"booking_id": booking.public_id, "reason": "ill"}
    )
    result = tools.confirm(proposal.card["proposal"])
    assert result.ok and result.card["type"] == "booking_cancelled"
    assert "manage_url" not in result.card
    with db.session() as session:
        cancelled = session.get(Booking, booking.id)
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "ill"
    assert tools.confirm(proposal.card["proposal"]).ok  # the same answer again, no error


def test_a_cancel_proposal_for_an_already_cancelled_booking_fails_cleanly(db, tools):
    booking = book_directly(tools, FREE_START)
    first = tools.call("propose_cancellation", {"booking_id": booking.public_id})
    second = tools.call("propose_cancellation", {"booking_id": booking.public_id})
    assert tools.confirm(first.card["proposal"]).ok
    late = tools.confirm(second.card["proposal"])
    assert late.ok is False and "cancelled" in late.content["error"]


def test_simultaneous_confirms_book_once(db, tools):
    proposal_id = propose(tools)
    barrier = threading.Barrier(4)
    results = []

    def press_confirm() -> None:
        barrier.wait()
        results.append(tools.confirm(proposal_id))

    threads = [threading.Thread(target=press_confirm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 4 and all(r.ok for r in results), [r.content for r in results]
    assert len({r.card["booking"] for r in results}) == 1
    assert count(db, Booking) == 1
    assert proposal_row(db, proposal_id).status == "confirmed"
