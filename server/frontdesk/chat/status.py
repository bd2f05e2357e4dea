"""A conversation's status (bot, needs_human, staff, closed) and the one way to change it.

Whoever changes a status (staff taking over, handing back or closing; the visitor's "Talk to a
person" button; the assistant's request_human tool) calls `change_status`: the new status and
its audit event are written in one transaction, and the sockets and the site's dashboards hear
of it after the commit. Handing back (staff -> bot) also gives the visitor's last message its
answer back to do (work_pending, chat.work) when no one answered it while staff had the chat,
in the same transaction: the caller queues it (chat.staffing), and a crash leaves it pending.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from frontdesk import audit
from frontdesk.chat import alerts
from frontdesk.chat.conversation_store import conversation_lock
from frontdesk.chat.hub import Hub
from frontdesk.chat.protocol import status_event, status_frame
from frontdesk.db import Database, raw
from frontdesk.db.models import Conversation, Message

STATUSES = ("bot", "needs_human", "staff", "closed")
SILENT = ("staff", "closed")  # the assistant answers no visitor message (chat.turns)
REPLIES = ("staff", "assistant")  # what answers a visitor's message
AUDIT_ACTION = "conversation.status"


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What `change_status` found and left: `previous` and `status` differ when it changed."""

    conversation_id: int
    public_id: str
    site_id: int
    previous: str
    status: str
    # Handed back with the visitor's last message unanswered: its answer is pending again.
    rearmed: bool = False

    @property
    def changed(self) -> bool:
        """True when this call changed the status."""
        return self.previous != self.status


def change_status(
    db: Database,
    hub: Hub,
    conversation_id: int,
    status: str,
    *,
    actor: audit.Actor,
    only_from: Collection[str] | None = None,
) -> StatusChange:
    """Set a conversation's status, audit it in the same transaction, publish it after commit.

    `only_from`: the statuses it may change from (None: any). When the status is already
    `status`, or not one of `only_from`, nothing is written, audited or published. Audit data is
    always {"from": previous, "to": status}. Raises ValueError for an unknown status and
    LookupError for an unknown conversation.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    # The conversation's lock orders this process's changes and their publications alike.
    with conversation_lock(conversation_id):
        with raw.sqlite_writer(db), db.write_transaction() as session:
            change = _write(session, conversation_id, status, actor, only_from)
            # The business's e-mail is queued with the change it is about, or not at all.
            alerted = change.changed and status == "needs_human"
            alerted = alerted and alerts.enqueue(session, conversation_id, "needs_human")
        if alerted:
            alerts.wake()
        if change.changed:
            hub.publish(conversation_id, status_frame(status))
            hub.publish_site(change.site_id, status_event(change.public_id, status))
    return change


def _write(
    session: Session,
    conversation_id: int,
    status: str,
    actor: audit.Actor,
    only_from: Collection[str] | None,
) -> StatusChange:
    """The conditional update and its audit event, in the caller's transaction."""
    # Row lock on PostgreSQL; on SQLite the write transaction already holds the write lock.
    row = session.execute(
        select(Conversation.status, Conversation.public_id, Conversation.site_id)
        .where(Conversation.id == conversation_id)
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise LookupError("no such conversation")
    previous, public_id, site_id = row
    unchanged = StatusChange(conversation_id, public_id, site_id, previous, previous)
    if previous == status or (only_from is not None and previous not in only_from):
        return unchanged
    # Conditional on the status just read, so no concurrent change is ever overwritten.
    written = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.status == previous)
        .values(status=status)
    ).rowcount
    if written != 1:
        return unchanged
    audit.record(
        session, site_id=site_id, actor=actor, action=AUDIT_ACTION, subject_type="conversation",
        subject_id=public_id, data={"from": previous, "to": status},
    )  # fmt: skip
    rearmed = (
        previous == "staff" and status == "bot" and _rearm_unanswered(session, conversation_id)
    )
    return StatusChange(conversation_id, public_id, site_id, previous, status, rearmed)


def _rearm_unanswered(session: Session, conversation_id: int) -> bool:
    """Mark the visitor's last message's answer pending again when no staff or assistant
    message came after it (asked while staff handled the chat, and left unanswered)."""
    last = session.execute(
        select(Message.id, Message.seq)
        .where(Message.conversation_id == conversation_id, Message.role == "visitor")
        .order_by(Message.seq.desc())
        .limit(1)
    ).one_or_none()
    if last is None:
        return False
    replied = session.scalar(
        select(func.max(Message.seq)).where(
            Message.conversation_id == conversation_id, Message.role.in_(REPLIES)
        )
    )
    if replied is not None and replied > last.seq:
        return False
    session.execute(update(Message).where(Message.id == last.id).values(work_pending=True))
    return True


def complete_silently(db: Database, message_id: int, conversation_id: int) -> bool:
    """Mark a visitor message's work done without an answer, only while the conversation is
    still silent (staff or closed); False when it was handed back meanwhile, so the work stays
    pending for the hand-back's own resume (chat.staffing) instead of being lost."""
    with raw.sqlite_writer(db), db.write_transaction() as session:
        # The row lock orders this against a hand-back's change (which takes it too).
        status = session.scalar(
            select(Conversation.status).where(Conversation.id == conversation_id).with_for_update()
        )
        if status not in SILENT:
            return False
        session.execute(
            update(Message)
            .where(Message.id == message_id, Message.work_pending.is_(True))
            .values(work_pending=False)
        )
    return True


def status_changer(
    db: Database, hub: Hub, conversation_id: int, actor: audit.Actor
) -> Callable[..., str]:
    """`change_status` bound to one conversation and actor (assistant.base.StatusChanger)."""

    def change(status: str, *, only_from: Collection[str] | None = None) -> str:
        return change_status(
            db, hub, conversation_id, status, actor=actor, only_from=only_from
        ).status

    return change
