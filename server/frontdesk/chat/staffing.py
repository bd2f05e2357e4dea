"""Hand-over between the assistant and people: staff messages, status changes, "human" requests.

Used by the chat socket (visitor presses "Talk to a person") and by the staff dashboard.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from flask import Flask

from frontdesk import audit, i18n
from frontdesk.chat import conversation_store, transcript
from frontdesk.chat.hub import hub_for
from frontdesk.chat.output import ChatOutput
from frontdesk.chat.protocol import message_frame
from frontdesk.chat.render import render_markdown
from frontdesk.chat.runner import runner_for
from frontdesk.chat.status import change_status

MAX_STAFF_MESSAGE_CHARS = 4000
# What the visitor reads when the status changes, in their language (frontdesk.i18n strings).
STATUS_TEXT = {
    "staff": "statusStaff",
    "bot": "statusBot",
    "closed": "statusClosed",
    "needs_human": "statusNeedsHuman",
}


def display_name(staff_user: Any) -> str:
    """How the visitor sees a staff member: their name, else their e-mail's name part
    ("ana@studio.test" is "Ana"); the address itself is never shown."""
    name = (getattr(staff_user, "name", "") or "").strip()
    if name:
        return name
    local = (getattr(staff_user, "email", "") or "").split("@", 1)[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)


def _actor(actor: Any, conversation_id: int) -> audit.Actor:
    if isinstance(actor, audit.Actor):
        return actor
    if actor is None:
        return audit.Actor("system", conversation_id=conversation_id)
    return audit.Actor("staff", id=str(getattr(actor, "id", "")), conversation_id=conversation_id)


def _conversation(app: Flask, public_id: str) -> Any:
    conversation = conversation_store.find_conversation(app.extensions["frontdesk.db"], public_id)
    if conversation is None:
        raise LookupError("no such conversation")
    return conversation


def _output(app: Flask, conversation: Any) -> ChatOutput:
    return ChatOutput(
        app.extensions["frontdesk.db"], hub_for(app),
        site_id=conversation.site_id, conversation_id=conversation.id,
    )  # fmt: skip


def set_status(
    app: Flask,
    conversation_public_id: str,
    status: str,
    actor: Any = None,
    *,
    only_from: Collection[str] | None = None,
) -> str:
    """Change a conversation's status (chat.status) and tell the visitor; returns the old one.

    `actor` is a StaffUser, an audit.Actor or None (system); `only_from` as in change_status.
    The system note ("… has joined the chat") is posted only when the status changed. Handed
    back with the visitor's last message unanswered, the assistant answers it after the note.
    Raises LookupError / ValueError.
    """
    conversation = _conversation(app, conversation_public_id)
    db = app.extensions["frontdesk.db"]
    change = change_status(
        db, hub_for(app), conversation.id, status,
        actor=_actor(actor, conversation.id), only_from=only_from,
    )  # fmt: skip
    if change.changed:
        name = display_name(actor) or "Someone"
        said = i18n.text(getattr(conversation, "lang", None), STATUS_TEXT[status], name=name)
        _output(app, conversation).post("system", said)
    if change.rearmed:
        _answer_after_running_work(app, conversation.id)
    return change.previous


def _answer_after_running_work(app: Flask, conversation_id: int) -> None:
    """Resume the conversation's pending work (the re-armed message) behind the job of it
    that may be running: that job, silent, leaves the message pending once handed back."""
    from frontdesk.chat import work  # work -> turns -> assistant: loaded on first hand-back

    runner_for(app).submit(conversation_id, lambda: work.resume_conversation(app, conversation_id))


def post_staff_message(app: Flask, conversation_public_id: str, staff_user: Any, text: str):
    """A staff member writes in the chat; the assistant goes silent (status "staff").

    Returns the stored entry. Raises LookupError for an unknown conversation and ValueError for
    empty or too long text. The caller checks that `staff_user` may access the site.
    """
    text = (text or "").strip()
    if not text:
        raise ValueError("message is empty")
    if len(text) > MAX_STAFF_MESSAGE_CHARS:
        raise ValueError(f"messages are limited to {MAX_STAFF_MESSAGE_CHARS} characters")
    conversation = _conversation(app, conversation_public_id)
    set_status(app, conversation_public_id, "staff", staff_user, only_from=("bot", "needs_human"))
    author = {"id": getattr(staff_user, "id", None), "name": display_name(staff_user)}
    return _output(app, conversation).post("staff", text, {"author": author})


def request_human(
    app: Flask,
    conversation: Any,
    *,
    action_id: str,
    is_open: bool | None,
    ack: Callable[[transcript.Entry], None],
) -> None:
    """The visitor asked for a person: note it in the chat, flag the conversation for staff.

    Idempotent per action id; `ack(entry)` is called once the note is stored, before anything
    is published (the visitor's socket gets its ack first).
    """
    db = app.extensions["frontdesk.db"]
    text = i18n.text(getattr(conversation, "lang", None), STATUS_TEXT["needs_human"])
    if is_open is False:
        text += " " + i18n.text(getattr(conversation, "lang", None), "closedNote")
    with conversation_store.conversation_lock(conversation.id):
        entry, created = transcript.append(
            db, conversation.id, "system", text, html=render_markdown(text), client_id=action_id,
            payload={"action": "human"},
        )  # fmt: skip
        ack(entry)
        if created:
            hub_for(app).publish(conversation.id, message_frame(entry))
    if not created:
        return
    visitor = audit.Actor("visitor", id=conversation.visitor_id, conversation_id=conversation.id)
    # Only from "bot": a conversation staff already handle (or closed) stays as it is.
    change_status(
        db, hub_for(app), conversation.id, "needs_human", actor=visitor, only_from=("bot",)
    )
