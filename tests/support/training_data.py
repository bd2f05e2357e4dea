"""Training test data: the site's two knowledge pages, and a stored conversation with a price
question answered from a page and a booking proposal naming a visitor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frontdesk.db.models import Conversation, Message

PAGES = {
    "Pricing": "# Pricing\n\nA consultation costs €90 for 30 minutes. Workshops cost €240.",
    "Parking and directions": "# Parking and directions\n\nPark behind the studio on Quay "
    "Street; the entrance is the blue door.",
}


def make_training_conversation(db, site_id: int, n: int, *, started=None):
    """A stored conversation: a price question answered from a page, then a booking proposal
    for Maria Lopez <maria.lopez@mail.test> (phone +44 7700 900123). Returns (conversation,
    {role-seq: Message})."""
    started = started or datetime(2026, 11, 2, 9, 0, tzinfo=UTC) + timedelta(hours=n)
    args = {
        "service": "consult",
        "start": "2026-11-10T10:00:00+00:00",
        "name": "Maria Lopez",
        "email": "maria.lopez@mail.test",
        "phone": "+44 7700 900123",
        "notes": None,
    }
    card = {
        "type": "proposal",
        "proposal": f"pr_{n}",
        "name": "Maria Lopez",
        "email": "maria.lopez@mail.test",
    }
    rows = [
        ("visitor", "What does a consultation cost?", {}),
        (
            "tool_call",
            "search_knowledge",
            {
                "call_id": f"c{n}a",
                "name": "search_knowledge",
                "arguments": {"query": "consultation price"},
                "by": "assistant",
            },
        ),
        (
            "tool_result",
            "search_knowledge",
            {
                "call_id": f"c{n}a",
                "name": "search_knowledge",
                "ok": True,
                "content": {"found": 1},
                "card": None,
                "error": "",
            },
        ),
        (
            "assistant",
            "A consultation costs €90 for 30 minutes.",
            {"sources": [{"title": "Pricing", "url": ""}], "choices": [], "card": None},
        ),
        (
            "visitor",
            "Book me on the 10th at 10, I'm Maria Lopez, maria.lopez@mail.test, "
            "phone +44 7700 900123",
            {},
        ),
        (
            "tool_call",
            "propose_booking",
            {"call_id": f"c{n}b", "name": "propose_booking", "arguments": args, "by": "assistant"},
        ),
        (
            "tool_result",
            "propose_booking",
            {
                "call_id": f"c{n}b",
                "name": "propose_booking",
                "ok": True,
                "content": {"proposal": f"pr_{n}"},
                "card": card,
                "error": "",
            },
        ),
        (
            "assistant",
            "Thanks Maria! Please check the card and press Confirm.",
            {"sources": [], "choices": [], "card": card},
        ),
    ]
    with db.transaction() as session:
        conversation = Conversation(
            public_id=f"cv_test_{n}",
            site_id=site_id,
            visitor_id=f"visitor-{n}",
            visitor_tz="Europe/London",
            last_seq=len(rows),
            created_at=started,
            updated_at=started,
        )
        session.add(conversation)
        session.flush()
        stored = {}
        for seq, (role, text, payload) in enumerate(rows, start=1):
            message = Message(
                conversation_id=conversation.id,
                seq=seq,
                role=role,
                text=text,
                payload=payload,
                created_at=started + timedelta(seconds=seq),
            )
            session.add(message)
            stored[seq] = message
    return conversation, stored
