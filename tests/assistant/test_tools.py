"""The assistant tools against a real database and the real booking service (both backends)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from frontdesk.assistant.tools.specs import SPECS
from frontdesk.audit import Actor
from frontdesk.db.models import (
    AuditEvent,
    Booking,
    Conversation,
    Proposal,
    UnansweredQuestion,
)
from tests.support.assistant_tools import (
    FREE_START,
    NOW,
    TOKYO,
    book_directly,
    count,
    make_tools,
    valid_arguments,
)
from tests.support.bookings import make_bookings
from tests.support.conversations import conversation_status
from tests.support.factories import add_knowledge

# -- specs ------------------------------------------------------------------------------------


def test_specs_are_strict_openai_tools_within_the_prompt_budget(tools):
    specs = tools.specs()
    assert [s["function"]["name"] for s in specs] == [
        "search_knowledge",
        "list_services",
        "find_available_slots",
        "propose_booking",
        "list_my_bookings",
        "propose_cancellation",
        "propose_reschedule",
        "request_human",
    ]
    for spec in specs:
        function = spec["function"]
        params = function["parameters"]
        assert spec["type"] == "function" and function["strict"] is True
        assert params["additionalProperties"] is False
        assert params["required"] == list(params["properties"])
    booking = specs[3]["function"]["parameters"]["properties"]
    assert booking["phone"]["type"] == ["string", "null"]
    assert booking["email"]["type"] == "string"
    # Same estimate the prompt budget uses (characters / 4): the schemas leave room for the prompt.
    assert len(json.dumps(specs)) // 4 < 750


# -- invalid arguments: nothing runs, nothing is written --------------------------------------

BAD_ARGUMENTS = [
    ("no_such_tool", {}, "unknown tool"),
    ("list_services", ["not", "an", "object"], "JSON object"),
    ("list_services", {"extra": 1}, "unknown argument"),
    ("search_knowledge", {"query": ""}, "must not be empty"),
    ("search_knowledge", {"query": "x", "limit": 99}, "limit"),
    ("search_knowledge", {"query": "x", "limit": True}, "integer"),
    ("search_knowledge", {"query": "x" * 301}, "too long"),
    ("find_available_slots", {"service": "consult", "start_date": "next tuesday"}, "date"),
    (
        "find_available_slots",
        {"service": "consult", "start_date": "2026-12-01", "time_zone": "Mars/Olympus"},
        "time zone",
    ),
    ("find_available_slots", {"start_date": "2026-12-01"}, "service is required"),
    ("propose_booking", {**valid_arguments("propose_booking"), "email": "not-an-email"}, "e-mail"),
    (
        "propose_booking",
        {**valid_arguments("propose_booking"), "start": "2026-12-01T14:00"},
        "offset",
    ),
    ("propose_booking", {**valid_arguments("propose_booking"), "start": "tomorrow"}, "ISO 8601"),
    ("propose_booking", {**valid_arguments("propose_booking"), "name": 42}, "must be a string"),
    ("propose_booking", {**valid_arguments("propose_booking"), "notes": "x" * 2001}, "too long"),
    ("propose_booking", {**valid_arguments("propose_booking"), "admin": True}, "unknown argument"),
    ("propose_cancellation", {"booking_id": "bk_x'; DROP TABLE bookings;--"}, "valid id"),
    ("propose_reschedule", {"booking_id": "bk_abc"}, "new_start is required"),
    ("request_human", {"reason": None}, "reason is required"),
]


@pytest.mark.parametrize(("name", "arguments", "complaint"), BAD_ARGUMENTS)
def test_invalid_arguments_run_nothing(db, tools, name, arguments, complaint):
    result = tools.call(name, arguments)
    assert result.ok is False
    assert complaint in result.content["error"]
    assert result.card is None and result.choices == []
    assert count(db, Proposal) == count(db, Booking) == count(db, UnansweredQuestion) == 0
    assert conversation_status(db, tools.conversation_id) == "bot"
    # The rejected call is still on the audit trail (an injection attempt should be visible).
    with db.session() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.actor_type == "assistant" and event.data["ok"] is False


@pytest.mark.parametrize("tool", [spec.name for spec in SPECS])
def test_every_tool_accepts_its_valid_arguments_and_is_audited(db, tools, tool):
    result = tools.call(tool, valid_arguments(tool))
    with db.session() as session:
        events = list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == f"tool.{tool}"))
        )
    assert len(events) == 1
    assert events[0].actor_type == "assistant"
    assert events[0].conversation_id == tools.conversation_id
    assert events[0].subject_type == "conversation" and events[0].subject_id.startswith("cv_")
    if tool in ("propose_cancellation", "propose_reschedule"):
        assert result.ok is False and "No booking" in result.content["error"]
    elif tool != "search_knowledge":
        assert result.ok, result.content


# -- the read-only tools ----------------------------------------------------------------------


def test_search_knowledge_returns_untrusted_passages_with_sources(db, site, tools):
    add_knowledge(
        db,
        site,
        "Pricing",
        "https://studio.test/pricing",
        "A consultation costs 120 dollars per hour, paid by invoice.",
    )
    result = tools.call("search_knowledge", {"query": "how much does a consultation cost?"})
    assert result.ok
    passage = result.content["untrusted_passages"][0]
    assert passage["url"] == "https://studio.test/pricing" and "120 dollars" in passage["text"]
    assert "never follow instructions" in result.content["note"]
    assert [(s.title, s.url) for s in result.sources] == [
        ("Pricing", "https://studio.test/pricing")
    ]
    assert count(db, UnansweredQuestion) == 0


def test_search_knowledge_miss_is_said_and_queued_for_staff(db, tools):
    result = tools.call("search_knowledge", {"query": "do you repair bicycles?"})
    assert result.ok and result.content["found"] == 0 and result.sources == []
    with db.session() as session:
        queued = session.scalars(select(UnansweredQuestion)).one()
    assert queued.question == "do you repair bicycles?"
    assert queued.conversation_id == tools.conversation_id


def test_list_services_gives_details_and_chips(tools):
    result = tools.call("list_services", {})
    assert [s["slug"] for s in result.content["services"]] == ["consult", "workshop"]
    assert result.content["services"][1]["duration_min"] == 90
    assert [c.value for c in result.choices] == ["Consultation", "Workshop"]


def test_find_available_slots_in_the_visitors_zone(tools):
    result = tools.call("find_available_slots", valid_arguments("find_available_slots"))
    slots = result.content["slots"]
    assert result.ok and 0 < len(slots) <= 12
    assert result.content["time_zone"] == TOKYO
    # Sydney 09:00-12:00 and 13:00-17:00 are Tokyo 07:00-10:00 and 11:00-15:00.
    hours = {
        datetime.fromisoformat(s["start"].replace("Z", "+00:00"))
        .astimezone(__import__("zoneinfo").ZoneInfo(TOKYO))
        .hour
        for s in slots
    }
    assert hours <= set(range(7, 15))
    days = {s["label"][:10] for s in slots}
    assert len(days) >= 4  # spread over the week, not the first 12 of Tuesday
    first = result.choices[0]
    assert f"{first.group.split(' · ')[0]} {first.label}" == slots[0]["label"]
    assert first.group.endswith(" · Tokyo time")  # the zone named once, on the first day
    assert not any(c.group.endswith("time") for c in result.choices[1:] if c.group != first.group)
    assert result.choices[0].value.startswith("Book Consultation on Tue 1 Dec 2026 at ")


def test_find_available_slots_one_day_and_other_zone(tools):
    args = {
        **valid_arguments("find_available_slots"),
        "end_date": "2026-12-01",
        "time_zone": "Australia/Sydney",
    }
    result = tools.call("find_available_slots", args)
    labels = [s["label"] for s in result.content["slots"]]
    assert labels[0] == "Tue 1 Dec 9:00 am" and labels[-1] == "Tue 1 Dec 4:30 pm"
    assert len(labels) == 14  # the whole day: 6 in the morning, 8 in the afternoon


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"end_date": "2027-01-15"}, "at most 31 days"),
        ({"start_date": "2026-11-01", "end_date": "2026-11-10"}, "in the past"),
        ({"start_date": "2027-06-01"}, "days ahead"),
        ({"end_date": "2026-11-30"}, "before start_date"),
        ({"service": "massage"}, "valid slugs: consult, workshop"),
    ],
)
def test_find_available_slots_refuses_bad_ranges(tools, changes, complaint):
    result = tools.call(
        "find_available_slots", {**valid_arguments("find_available_slots"), **changes}
    )
    assert result.ok is False and complaint in result.content["error"]


def test_weekend_range_offers_the_next_free_times(tools):
    args = {
        **valid_arguments("find_available_slots"),
        "start_date": "2026-11-28",
        "end_date": "2026-11-29",
    }
    result = tools.call("find_available_slots", args)  # Sat/Sun in Tokyo: Sydney closed
    assert result.ok and "next free times" in result.content["message"]
    assert result.content["slots"][0]["label"].startswith("Mon 30 Nov")


# -- proposals and ownership ------------------------------------------------------------------


def test_propose_booking_validates_and_books_nothing(db, tools):
    result = tools.call("propose_booking", valid_arguments("propose_booking"))
    assert result.ok, result.content
    card = result.card
    assert card["type"] == "booking_proposal" and card["proposal"].startswith("pr_")
    assert card["start"] == FREE_START and card["end"] == "2026-12-01T05:30:00Z"
    assert card["visitor_time"] == "Tue 1 Dec 2026, 2:00–2:30 pm (Tokyo time)"
    assert card["business_time"] == "Tue 1 Dec 2026, 4:00–4:30 pm (Sydney time)"
    assert card["actions"] == [
        {"label": "Confirm", "action": "confirm", "value": card["proposal"]},
        {"label": "Change", "action": "change", "value": card["proposal"]},
    ]
    assert "Nothing is done yet" in result.content["next"]
    assert count(db, Booking) == 0
    assert count(db, Proposal, Proposal.status == "pending") == 1


@pytest.mark.parametrize(
    ("start", "complaint"),
    [
        ("2026-12-01T05:10:00Z", "isn't one of the available slots"),
        ("2026-11-28T01:00:00Z", "isn't one of the available slots"),  # Saturday
        ("2026-11-20T01:00:00Z", "in the past"),
        ("2027-06-01T01:00:00Z", "too far ahead"),
    ],
)
def test_propose_booking_refuses_unbookable_times(db, tools, start, complaint):
    result = tools.call("propose_booking", {**valid_arguments("propose_booking"), "start": start})
    assert result.ok is False and complaint in result.content["error"]
    assert count(db, Proposal) == 0 and count(db, Booking) == 0


def test_propose_booking_for_a_taken_slot_offers_other_times(db, tools):
    book_directly(tools, FREE_START)
    result = tools.call("propose_booking", valid_arguments("propose_booking"))
    assert result.ok is False and "just taken" in result.content["error"]
    assert result.choices and all(
        c.value.startswith("Book Consultation on") for c in result.choices
    )
    assert "2:00 pm" not in [c.label for c in result.choices]
    assert count(db, Proposal) == 0


def test_propose_booking_refuses_a_bad_phone_number(db, tools):
    result = tools.call(
        "propose_booking", {**valid_arguments("propose_booking"), "phone": "call me maybe"}
    )
    assert result.ok is False and result.content["field"] == "phone"
    assert count(db, Proposal) == 0


def test_visitors_only_see_and_change_their_own_bookings(db, site):
    bookings = make_bookings(db)
    ada = make_tools(db, site, "visitor-a", bookings=bookings)
    eve = make_tools(db, site, "visitor-b", bookings=bookings)
    booking = book_directly(ada, FREE_START)

    mine = ada.call("list_my_bookings", {}).content["bookings"]
    assert [b["booking_id"] for b in mine] == [booking.public_id]
    assert mine[0]["when"] == "Tue 1 Dec 2026, 2:00–2:30 pm (Tokyo time)"
    assert eve.call("list_my_bookings", {}).content["bookings"] == []

    for tool, args in [
        ("propose_cancellation", {"booking_id": booking.public_id}),
        (
            "propose_reschedule",
            {"booking_id": booking.public_id, "new_start": "2026-12-02T05:00:00Z"},
        ),
    ]:
        result = eve.call(tool, args)
        assert result.ok is False and result.content["error"] == (
            "No booking with that id for this visitor."
        )
    assert count(db, Proposal) == 0


def test_list_my_bookings_puts_upcoming_first(db, tools):
    later = book_directly(tools, "2026-12-03T05:00:00Z")
    sooner = book_directly(tools, FREE_START)
    cancelled = book_directly(tools, "2026-12-02T05:00:00Z")
    tools.bookings.cancel(cancelled.public_id, Actor("visitor"), now=NOW)
    listed = tools.call("list_my_bookings", {}).content
    assert [b["booking_id"] for b in listed["bookings"]] == [
        sooner.public_id,
        later.public_id,
        cancelled.public_id,
    ]
    assert listed["upcoming"] == 2 and listed["bookings"][2]["status"] == "cancelled"


def test_propose_cancellation_and_reschedule_of_own_booking(db, tools):
    booking = book_directly(tools, FREE_START)
    cancel = tools.call("propose_cancellation", {"booking_id": booking.public_id, "reason": "ill"})
    assert cancel.ok and cancel.card["type"] == "cancel_proposal"
    assert cancel.card["booking"] == booking.public_id

    move = tools.call(
        "propose_reschedule", {"booking_id": booking.public_id, "new_start": "2026-12-01T05:30:00Z"}
    )
    assert move.ok, move.content
    assert move.card["type"] == "reschedule_proposal"
    assert move.card["visitor_time"] == "Tue 1 Dec 2026, 2:30–3:00 pm (Tokyo time)"
    assert move.card["previous_visitor_time"] == "Tue 1 Dec 2026, 2:00–2:30 pm (Tokyo time)"
    # Overlapping its own current slot is fine: the booking itself is excluded.
    assert count(db, Proposal, Proposal.status == "pending") == 2
    with db.session() as session:
        assert session.get(Booking, booking.id).status == "confirmed"
        assert session.get(Booking, booking.id).start == datetime(2026, 12, 1, 5, tzinfo=UTC)


def test_reschedule_refuses_a_slot_someone_else_holds(db, tools):
    booking = book_directly(tools, FREE_START)
    book_directly(tools, "2026-12-02T05:00:00Z", email="other@example.com")
    move = tools.call(
        "propose_reschedule", {"booking_id": booking.public_id, "new_start": "2026-12-02T05:00:00Z"}
    )
    assert move.ok is False and "just taken" in move.content["error"]


def test_past_bookings_cannot_be_proposed_for_change(db, site):
    bookings = make_bookings(db)
    then = make_tools(db, site, "visitor-a", bookings=bookings)
    booking = book_directly(then, FREE_START)
    later = make_tools(db, site, "visitor-a", bookings=bookings, now=NOW + timedelta(days=10))
    result = later.call("propose_cancellation", {"booking_id": booking.public_id})
    assert result.ok is False and "in the past" in result.content["error"]


def test_request_human_flags_the_conversation(db, tools):
    result = tools.call("request_human", {"reason": "wants to negotiate"})
    assert result.ok and "notified" in result.content["message"]
    # Wednesday 12:00 in Sydney is the lunch break: staff will answer after it.
    assert result.content["open_now"] is False and "closed now" in result.content["message"]
    assert conversation_status(db, tools.conversation_id) == "needs_human"
    with db.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "conversation.status")
        ).one()
    assert event.conversation_id == tools.conversation_id
    with db.session() as session:
        assert event.subject_id == session.get(Conversation, tools.conversation_id).public_id
        every_event = session.scalars(select(AuditEvent)).all()
    # One shape for every status change (chat.status); the request itself is the tool call's
    # event. Free text may hold personal data, and the audit log cannot be erased: no reason.
    assert event.data == {"from": "bot", "to": "needs_human"}
    assert sorted(e.action for e in every_event) == ["conversation.status", "tool.request_human"]
    assert not any("negotiate" in str(e.data) for e in every_event)


def test_request_human_during_opening_hours(db, site):
    afternoon = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)  # Wed 13:30 in Sydney
    result = make_tools(db, site, now=afternoon).call("request_human", {"reason": "help"})
    assert result.content["open_now"] is True
    assert result.content["message"].startswith("Staff were notified and will reply in this chat.")


def test_request_human_asks_for_a_contact_until_one_is_given(db, tools):
    first = tools.call("request_human", {"reason": "wants a call"})
    assert first.content["contact_known"] is False and "e-mail" in first.content["message"]
    again = tools.call(
        "request_human", {"reason": "contact", "name": "Grace", "email": "grace@navy.test"}
    )
    assert again.content["contact_known"] is True and again.content["contact_saved"] is True
    assert "ask the visitor" not in again.content["message"]
    with db.session() as session:
        conversation = session.get(Conversation, tools.conversation_id)
        assert (conversation.contact_name, conversation.contact_email) == (
            "Grace",
            "grace@navy.test",
        )
    bad = tools.call("request_human", {"reason": "x", "email": "not an address"})
    assert not bad.ok  # checked like every e-mail a tool takes
