"""The delivery log: every e-mail the outbox holds for a site, its state, and what it said."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from frontdesk.db.models import OutboxEmail
from frontdesk.db.types import utcnow

PAGE_SIZE = 50
# State -> (label, badge kind). "sending": claimed by a worker, no answer from the server yet.
STATES = {
    "queued": ("Queued", "info"),
    "sending": ("Sending", "info"),
    "retrying": ("Will retry", "warning"),
    "sent": ("Sent", "success"),
    "failed": ("Failed", "danger"),
}
FILTERS = ("queued", "sent", "failed")  # queued covers sending and retrying: not yet sent


def state_of(row: OutboxEmail) -> str:
    """queued / sending / retrying / sent / failed."""
    if row.sent_at is not None:
        return "sent"
    if row.failed:
        return "failed"
    if row.attempts == 0:
        return "queued"
    return "retrying" if row.last_error else "sending"


def _filtered(query, status: str | None):
    if status == "sent":
        return query.where(OutboxEmail.sent_at.is_not(None))
    if status == "failed":
        return query.where(OutboxEmail.failed.is_(True))
    if status == "queued":
        return query.where(OutboxEmail.sent_at.is_(None), OutboxEmail.failed.is_(False))
    return query


def log_page(
    session: Session, site_id: int, *, status: str | None = None, before: int | None = None
) -> tuple[list[OutboxEmail], int | None]:
    """Newest first, PAGE_SIZE at a time (keyset on id); (rows, id to continue before or None).
    The stored messages themselves are not loaded: a page lists, the detail reads."""
    columns = [c for c in OutboxEmail.__table__.columns if c.key != "message"]
    query = _filtered(select(*columns).where(OutboxEmail.site_id == site_id), status)
    if before is not None:
        query = query.where(OutboxEmail.id < before)
    rows = session.execute(query.order_by(OutboxEmail.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (rows[-1].id if more else None)


def counts(session: Session, site_id: int) -> dict[str, int]:
    """How many e-mails are queued (not yet sent), sent and failed."""
    found = {name: 0 for name in FILTERS}
    for name in FILTERS:
        query = _filtered(
            select(func.count()).select_from(OutboxEmail).where(OutboxEmail.site_id == site_id),
            name,
        )
        found[name] = session.scalar(query) or 0
    return found


def one(session: Session, site_id: int, email_id: int) -> OutboxEmail | None:
    """One e-mail of the site (None for another site's)."""
    row = session.get(OutboxEmail, email_id)
    return row if row is not None and row.site_id == site_id else None


@dataclass(frozen=True)
class Attachment:
    """A file attached to a stored message."""

    index: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Reading:
    """What a stored message says: its headers, the plain text and the attachments."""

    headers: list[tuple[str, str]]
    text: str
    attachments: list[Attachment]


SHOWN_HEADERS = ("From", "To", "Reply-To", "Subject", "Date", "Message-ID")
# A message carrying a link that is a credential (a staff invitation) says so in this header:
# the log never shows its text, and once sent the stored copy keeps only its headers.
PRIVATE_HEADER = "X-Frontdesk-Private"
PRIVATE_NOTE = "This message carries a private link for its recipient only; its text is not kept."


def read(data: bytes) -> Reading:
    """Parse a stored MIME message for people: headers, text body (HTML only when there is no
    text, shown as source), attachments."""
    message: EmailMessage = message_from_bytes(data, policy=policy.default)  # type: ignore[assignment]
    headers = [(name, str(message[name])) for name in SHOWN_HEADERS if message[name]]
    if message[PRIVATE_HEADER]:
        return Reading(headers, PRIVATE_NOTE, [])
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    return Reading(headers, text, [_attachment(i, part) for i, part in _attachments(message)])


def _attachments(message: EmailMessage):
    return enumerate(message.iter_attachments())


def _attachment(index: int, part) -> Attachment:
    payload = part.get_payload(decode=True) or b""
    return Attachment(index, part.get_filename() or f"attachment-{index + 1}",
                      part.get_content_type(), len(payload))  # fmt: skip


def attachment_bytes(data: bytes, index: int) -> tuple[str, str, bytes] | None:
    """(filename, content type, bytes) of the index-th attachment, or None."""
    message = message_from_bytes(data, policy=policy.default)
    if message[PRIVATE_HEADER]:
        return None
    for i, part in _attachments(message):  # type: ignore[arg-type]
        if i == index:
            name = part.get_filename() or f"attachment-{index + 1}"
            return name, part.get_content_type(), part.get_payload(decode=True) or b""
    return None


def without_private_text(data: bytes) -> bytes | None:
    """A private message's headers with PRIVATE_NOTE for a body (what is kept once it is
    sent); None for any other message, which is kept whole."""
    message = message_from_bytes(data, policy=policy.SMTP)
    if not message[PRIVATE_HEADER]:
        return None
    kept = EmailMessage(policy=policy.SMTP)
    for name in (*SHOWN_HEADERS, PRIVATE_HEADER):
        if message[name]:
            kept[name] = str(message[name])
    kept.set_content(PRIVATE_NOTE)
    return kept.as_bytes()


def retry(session: Session, site_id: int, email_id: int, now: datetime | None = None) -> bool:
    """Queue a failed e-mail again with a fresh set of attempts; False when it is not failed."""
    changed = session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            OutboxEmail.site_id == site_id,
            OutboxEmail.failed.is_(True),
            OutboxEmail.sent_at.is_(None),
        )
        .values(failed=False, attempts=0, next_attempt_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return changed.rowcount == 1
