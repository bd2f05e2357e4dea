"""Writing the append-only audit log: who did what to which thing, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from frontdesk.db.models import AuditEvent

ACTOR_TYPES = frozenset({"visitor", "staff", "assistant", "system"})


@dataclass(frozen=True)
class Actor:
    """Who caused a change; conversation/message ids tie assistant actions to the chat."""

    type: str
    id: str = ""
    conversation_id: int | None = None
    message_id: int | None = None

    def __post_init__(self) -> None:
        # A typo here would silently mislabel the log forever, so refuse it at once.
        if self.type not in ACTOR_TYPES:
            raise ValueError(f"unknown actor type {self.type!r}")


SYSTEM = Actor("system")


def record(
    session: Session,
    *,
    site_id: int,
    actor: Actor,
    action: str,
    subject_type: str = "",
    subject_id: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to `session`; it commits (or rolls back) with the change it describes."""
    event = AuditEvent(
        site_id=site_id,
        actor_type=actor.type,
        actor_id=str(actor.id or "")[:100],
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id)[:64],
        conversation_id=actor.conversation_id,
        message_id=actor.message_id,
        data=dict(data or {}),
    )
    session.add(event)
    session.flush()
    return event
