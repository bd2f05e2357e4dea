"""The invitation e-mail: queued in the outbox in the invitation's transaction, sent by the
mailer after commit (with its retries, never twice). Its link is a credential, so the message is
marked private: the E-mail page does not show its text, and the sent copy keeps none."""

from __future__ import annotations

import html
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from flask import current_app, url_for

from frontdesk import audit
from frontdesk.booking.mail_log import PRIVATE_HEADER
from frontdesk.db.types import utcnow
from frontdesk.staff import invitations, roles
from frontdesk.staff.invitations import Issued

WHAT_ROLES_DO = {
    roles.OWNER: "manage everything, including who holds which role",
    roles.ADMIN: "manage settings, people, knowledge and the team",
    roles.MEMBER: "answer conversations and manage bookings",
}


def mailer() -> Any:
    """The app's mailer, or None when this server sends no e-mail."""
    return current_app.extensions.get("frontdesk.mailer")


def link(token: str) -> str:
    """The accept page's address for a link's token (absolute, on PUBLIC_URL)."""
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    return base + url_for("staff.invite.accept", token=token)


def queue(session, site, issued: Issued, inviter: str) -> bool:
    """Add the invitation e-mail to `session`'s outbox; False when e-mail is not set up."""
    sender = mailer()
    if sender is None:
        return False
    subject = f"{inviter} invited you to {site.name} on Frontdesk"[:300]
    text = body(site.name, issued, inviter, link(issued.token))
    message = _mime(sender.mail_from, issued.email, subject, text, link(issued.token))
    sender.queue(session, site.id, issued.email, subject, message.as_bytes())
    return True


def issue(
    session,
    site,
    email: str,
    role: str,
    *,
    by: tuple[int | None, str, str],
    actor,
    action: str,
    data: dict,
) -> tuple[Issued, bool]:
    """Make an invitation, queue its e-mail and audit it, all in `session`'s transaction, as
    the dashboard and `frontdesk staff invite` both do; `by` is the inviter's (id, role, name).
    Returns the invitation and whether its e-mail was queued."""
    config = current_app.config
    inviter_id, inviter_role, inviter = by
    issued = invitations.invite(
        session, site.id, email, role, inviter_id=inviter_id, inviter_role=inviter_role,
        now=utcnow(), days=config.get("STAFF_INVITE_DAYS", invitations.DEFAULT_DAYS),
        per_hour=config.get("STAFF_INVITES_PER_HOUR", invitations.DEFAULT_PER_HOUR),
    )  # fmt: skip
    mailed = queue(session, site, issued, inviter)
    audit.record(
        session, site_id=site.id, actor=actor, action=action, subject_type="invitation",
        subject_id=issued.email,
        data={"role": issued.role, "invitation": issued.id, "mailed": mailed, **data},
    )  # fmt: skip
    return issued, mailed


def wake() -> None:
    """Tell the mailer there is something to send (after commit)."""
    sender = mailer()
    if sender is not None:
        sender.wake()


def body(site_name: str, issued: Issued, inviter: str, url: str) -> str:
    """The e-mail's plain text."""
    role = roles.LABELS[issued.role].lower()
    return "\n".join(
        [
            f"{inviter} invited you to join {site_name} on Frontdesk as {_article(role)} {role}:",
            f"you will be able to {WHAT_ROLES_DO[issued.role]}.",
            "",
            f"Accept the invitation: {url}",
            "",
            f"The link works once, until {issued.expires_at:%-d %B %Y, %H:%M} UTC.",
            "If you did not expect this invitation, ignore this e-mail: nothing happens.",
        ]
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _mime(sender: str, to: str, subject: str, text: str, url: str) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=(parseaddr(sender)[1].rpartition("@")[2] or None))
    msg["Auto-Submitted"] = "auto-generated"
    msg[PRIVATE_HEADER] = "invitation"
    msg.set_content(text, cte="quoted-printable")
    paragraphs = "".join(
        f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n")
    )
    escaped = html.escape(url)
    paragraphs = paragraphs.replace(escaped, f'<a href="{escaped}">{escaped}</a>')
    msg.add_alternative(f"<!doctype html><html><body>{paragraphs}</body></html>", subtype="html")
    return msg
