"""The assistant's tools in tests: a fixed clock, ConversationTools for a fresh conversation on a
real database, valid arguments for each tool, and bookings made behind the tools' back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from frontdesk.assistant.tools.toolbox import ConversationTools
from frontdesk.audit import Actor
from frontdesk.booking.service import BookingRequest
from frontdesk.chat.hub import Hub
from frontdesk.chat.status import status_changer
from tests.support.bookings import make_bookings
from tests.support.conversations import make_conversation

# Wednesday 25 Nov 2026: 12:00 in Sydney (the business), 10:00 in Tokyo (the visitor).
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
TOKYO = "Asia/Tokyo"
# Tue 1 Dec 2026 14:00 Tokyo = 16:00 Sydney (open) = 05:00 UTC.
FREE_START = "2026-12-01T05:00:00Z"


def make_tools(db, site, visitor_id="visitor-a", tz=TOKYO, now=NOW, bookings=None):
    """ConversationTools for a fresh conversation of `visitor_id`, whose status changes go
    through the chat's status changer (as chat.turns builds it)."""
    conversation_id = make_conversation(db, site, visitor_id=visitor_id, visitor_tz=tz).id
    assistant = Actor("assistant", conversation_id=conversation_id)
    return ConversationTools(
        db,
        bookings or make_bookings(db),
        site,
        conversation_id=conversation_id,
        visitor_id=visitor_id,
        visitor_tz=tz,
        change_status=status_changer(db, Hub(), conversation_id, assistant),
        now=now,
    )


def valid_arguments(name: str) -> dict:
    """Arguments the tool `name` accepts (a free slot, a booking id that does not exist)."""
    return {
        "search_knowledge": {"query": "pricing", "limit": None},
        "list_services": {},
        "find_available_slots": {
            "service": "consult",
            "start_date": "2026-12-01",
            "end_date": None,
            "time_zone": None,
        },
        "propose_booking": {
            "service": "consult",
            "start": FREE_START,
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "phone": None,
            "notes": None,
        },
        "list_my_bookings": {},
        "propose_cancellation": {"booking_id": "bk_nothing", "reason": None},
        "propose_reschedule": {"booking_id": "bk_nothing", "new_start": FREE_START},
        "request_human": {"reason": "wants a person"},
    }[name]


def book_directly(tools: ConversationTools, start: str, **fields):
    """A booking made straight through the booking service for this tools' visitor."""
    request = BookingRequest(
        service=fields.pop("service", "consult"),
        start=datetime.fromisoformat(start.replace("Z", "+00:00")),
        name=fields.pop("name", "Ada Lovelace"),
        email=fields.pop("email", "ada@example.com"),
        visitor_tz=tools.visitor_tz,
        visitor_id=tools.visitor_id,
        conversation_id=tools.conversation_id,
        host=fields.pop("host", None),
    )
    return tools.bookings.create(tools.site_id, request, Actor("visitor"), now=NOW).booking


def count(db, model, *conditions) -> int:
    """Rows of a model (optionally filtered)."""
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*conditions))
