"""E-mail to the business when a visitor asks for a person or moderation flags a message.

The e-mail is a row of the outbox (booking.email's `Mailer.queue`) added in the same transaction
as the change that calls for it, and sent by the mailer after commit, with its retries; the
chat never waits on SMTP. Without a mailer (no SMTP configured) or a notification address,
nothing is queued: the dashboard's own alerts still come.
"""

from __future__ import annotations

import html
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from frontdesk.db.models import Booking, Conversation, Message, Site
from frontdesk.db.types import utcnow

SUBJECTS = {
    "needs_human": "{who} asks for a person",
    "flagged": "A message was flagged in a chat with {who}",
}
LAST_MESSAGES = 3


def _mailer() -> Any:
    """The app's mailer, or None outside an app or without SMTP."""
    return current_app.extensions.get("frontdesk.mailer") if has_app_context() else None


def enqueue(session, conversation_id: int, kind: str) -> bool:
    """Queue the business's alert about this conversation in `session`; True when queued."""
    mailer = _mailer()
    if mailer is None:
        return False
    conversation = session.get(Conversation, conversation_id)
    site = session.get(Site, conversation.site_id) if conversation else None
    if site is None or not site.notification_email:
        return False
    name, email = contact_of(session, conversation)
    who = name or email or "a visitor"
    subject = f"{SUBJECTS[kind].format(who=who)} - {site.name}"[:300]
    link = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    link += f"/staff/{site.public_key}/conversations/{conversation.public_id}"
    text = _body(session, conversation, kind, who, email, link)
    message = _mime(mailer.mail_from, site, subject, text, email, link)
    mailer.queue(session, site.id, site.notification_email, subject, message.as_bytes())
    return True


def wake() -> None:
    """Tell the mailer there is something to send (after commit)."""
    mailer = _mailer()
    if mailer is not None:
        mailer.wake()


def contact_of(session, conversation: Conversation) -> tuple[str, str]:
    """How to reach the visitor: what they gave when asking for a person, else their latest
    booking in this conversation; ("", "") when unknown."""
    if conversation.contact_email or conversation.contact_name:
        return conversation.contact_name, conversation.contact_email
    row = session.execute(
        select(Booking.visitor_name, Booking.email)
        .where(Booking.conversation_id == conversation.id)
        .order_by(Booking.created_at.desc())
        .limit(1)
    ).first()
    return (row[0] or "", row[1] or "") if row else ("", "")


def _body(session, conversation, kind: str, who: str, email: str, link: str) -> str:
    said = session.scalars(
        select(Message.text)
        .where(Message.conversation_id == conversation.id, Message.role == "visitor")
        .order_by(Message.seq.desc())
        .limit(LAST_MESSAGES)
    ).all()
    lines = [
        f"{who[:1].upper() + who[1:]} asked for a person in the chat on your site."
        if kind == "needs_human"
        else f"A message from {who} was flagged by moderation.",
        "",
        f"Page: {conversation.page_title or conversation.page_url or 'unknown'}",
        f"How to reach them: {email or 'no e-mail yet - reply in the chat while they are there'}",
        "",
        "What they wrote last:",
        *[f"> {' '.join(text.split())[:500]}" for text in reversed(said)],
        "",
        f"Open the conversation: {link}",
    ]
    return "\n".join(lines)


def _mime(sender: str, site, subject: str, text: str, reply_to: str, link: str) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = site.notification_email
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=(parseaddr(sender)[1].rpartition("@")[2] or None))
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, cte="quoted-printable")
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    escaped = html.escape(link)
    body = body.replace(escaped, f'<a href="{escaped}">{escaped}</a>')  # our own link only
    msg.add_alternative(f"<!doctype html><html><body>{body}</body></html>", subtype="html")
    return msg
