"""Many conversations and bookings on one site, inserted in bulk (bench/dashboard.py and the
query-count test): visitor and assistant messages (half the conversations ending with the
assistant's), a mix of statuses, flags and contacts, and bookings every half hour from 100 days
ago or a given time (a fifth of them cancelled), some from chats."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import insert, select

from frontdesk.chat.render import render_markdown
from frontdesk.db.models import Booking, Conversation, Message, Service
from frontdesk.db.types import utcnow

STATUSES = ["bot"] * 12 + ["needs_human", "staff", "closed", "closed"]
BATCH = 1000


def seed(
    db,
    site_id: int,
    *,
    conversations: int,
    bookings: int,
    seed_value: int = 15,
    bookings_from: datetime | None = None,
) -> None:
    """Insert `conversations` conversations (3 messages each) and `bookings` bookings, back to
    back from `bookings_from` (the hour 100 days ago unless given)."""
    rng = random.Random(seed_value)
    now = utcnow()
    ids = _conversations(db, site_id, conversations, rng, now)
    start0 = bookings_from or now - timedelta(days=100)
    _bookings(db, site_id, bookings, ids, start0.replace(minute=0, second=0, microsecond=0))


def _conversations(db, site_id, count, rng, now) -> list[int]:
    ids: list[int] = []
    for first in range(0, count, BATCH):
        rows = []
        for n in range(first, min(count, first + BATCH)):
            at = now - timedelta(minutes=n * 7 + rng.randint(0, 6))
            rows.append({
                "public_id": f"cv_seed_{site_id}_{n}", "site_id": site_id,
                "visitor_id": f"v_seed_{n}", "status": rng.choice(STATUSES),
                "last_seq": 3 + n % 2, "page_url": f"https://bench.example/page/{n % 40}",
                "page_title": f"Page {n % 40}", "flagged": n % 97 == 0,
                "contact_name": f"Visitor {n}" if n % 5 == 0 else "",
                "contact_email": f"visitor{n}@bench.example" if n % 5 == 0 else "",
                "staff_seen_seq": rng.choice([0, 1, 3]), "created_at": at, "updated_at": at,
            })  # fmt: skip
        with db.transaction() as session:
            session.execute(insert(Conversation), rows)
            new = session.execute(
                select(Conversation.id)
                .where(Conversation.public_id.in_([r["public_id"] for r in rows]))
                .order_by(Conversation.id)
            ).scalars()
            batch_ids = list(new)
            messages = []
            for cid, row in zip(batch_ids, rows, strict=True):
                for seq in range(1, row["last_seq"] + 1):
                    messages.append(_message(cid, seq, row))
            session.execute(insert(Message), messages)
        ids.extend(batch_ids)
    return ids


def _message(conversation_id: int, seq: int, conversation: dict) -> dict:
    """Visitor and assistant by turns (half the conversations end with the assistant's reply),
    the assistant's with its HTML stored as the chat stores it."""
    role = "visitor" if seq % 2 else "assistant"
    page = conversation["page_title"]
    if role == "visitor":
        text, html = f"Message {seq} about **{page}** and prices", ""
    else:
        text = f"**{page}** costs $80. See [prices](https://bench.example/prices) or book:\n\n- Mon"
        html = _rendered(text)
    return {
        "conversation_id": conversation_id, "seq": seq, "role": role, "text": text, "html": html,
        "created_at": conversation["created_at"] - timedelta(minutes=4 - seq),
    }  # fmt: skip


@cache
def _rendered(text: str) -> str:
    return render_markdown(text)


def _bookings(db, site_id, count, conversation_ids, start0) -> None:
    with db.session() as session:
        service_id = session.scalar(select(Service.id).where(Service.site_id == site_id))
    for first in range(0, count, BATCH):
        rows = []
        for n in range(first, min(count, first + BATCH)):
            start = start0 + timedelta(minutes=30 * n)  # back to back: never overlapping
            end = start + timedelta(minutes=30)
            linked = conversation_ids[n] if conversation_ids and n % 3 == 0 else None
            rows.append({
                "public_id": f"bk_seed_{site_id}_{n}", "site_id": site_id,
                "service_id": service_id, "start": start, "end": end, "block_start": start,
                "block_end": end, "visitor_name": f"Guest {n}", "email": f"guest{n}@bench.example",
                "phone": "", "notes": "", "visitor_tz": "UTC",
                "status": "cancelled" if n % 5 == 4 else "confirmed", "cancel_reason": "",
                "staff_notes": "",
                "manage_token_hash": hashlib.sha256(f"{site_id}-{n}".encode()).hexdigest(),
                "token_version": 1, "ics_sequence": 0, "conversation_id": linked,
                "visitor_id": f"v_seed_{n}", "created_at": start - timedelta(days=3),
                "updated_at": start - timedelta(days=3),
            })  # fmt: skip
        with db.transaction() as session:
            session.execute(insert(Booking), rows)
