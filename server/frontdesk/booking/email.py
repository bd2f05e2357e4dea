"""The e-mail outbox: booking e-mails are queued in the booking's transaction, sent after commit."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from frontdesk.booking import mail_log
from frontdesk.booking.lookups import visitor_lang
from frontdesk.booking.mail_messages import booking_messages
from frontdesk.booking.smtp import (
    LOOPBACK,
    SmtpSettings,
    SmtpTransport,
    describe_error,
    is_permanent,
)
from frontdesk.db.models import OutboxEmail
from frontdesk.db.types import utcnow
from frontdesk.outbox import Background, Outbox, Worker

__all__ = ["Mailer"]

log = logging.getLogger("frontdesk.mail")


class Mailer(Background):
    """Queues booking e-mails in the outbox and sends them after commit, with retries."""

    def __init__(
        self,
        db,
        smtp: SmtpSettings,
        *,
        mail_from: str,
        retry_seconds: float = 60,
        max_attempts: int = 8,
    ) -> None:
        self.db = db
        self.smtp = smtp
        self.mail_from = mail_from
        self.envelope_from = parseaddr(mail_from)[1] or "no-reply@localhost"
        # A claimed row is invisible to other workers for this long: longer than any send.
        lease = timedelta(seconds=max(120.0, smtp.timeout * 4))
        self.outbox = Outbox(
            db,
            OutboxEmail,
            done="sent_at",
            lease=lease,
            retry_seconds=retry_seconds,
            max_attempts=max_attempts,
        )
        self.worker = Worker("frontdesk-mail", self.send_due, self.outbox.poll_interval, log)

    @classmethod
    def from_config(cls, db, config: Mapping[str, Any]) -> Mailer | None:
        """A mailer when SMTP_URL is configured, else None (e-mail disabled)."""
        url = config.get("SMTP_URL")
        if not url:
            return None
        smtp = SmtpSettings.from_url(url, timeout=float(config.get("SMTP_TIMEOUT", 20)))
        if smtp.username and smtp.security == "plain" and smtp.host not in LOOPBACK:
            log.warning("SMTP_URL sends a password without TLS; use smtps:// or smtp+starttls://")
        return cls(
            db,
            smtp,
            mail_from=config.get("MAIL_FROM") or "Frontdesk <no-reply@localhost>",
            retry_seconds=config.get("MAIL_RETRY_SECONDS", 60),
            max_attempts=config.get("MAIL_MAX_ATTEMPTS", 8),
        )

    def enqueue_booking_change(
        self, session, *, booking, site, event: str, manage_url: str, ics_url: str
    ) -> None:
        """Add the visitor's and the business's e-mails about this change to `session`'s outbox."""
        messages = booking_messages(
            booking=booking,
            site=site,
            event=event,
            manage_url=manage_url,
            ics_url=ics_url,
            mail_from=self.mail_from,
            lang=visitor_lang(session, booking),
        )
        for message in messages:
            self.queue(session, site.id, message.recipient, message.subject, message.data)

    @staticmethod
    def queue(session, site_id: int, recipient: str, subject: str, message: bytes) -> None:
        """Add one e-mail (a whole MIME message) to `session`'s outbox, due at once."""
        session.add(
            OutboxEmail(
                site_id=site_id,
                recipient=recipient,
                subject=subject,
                message=message,
                next_attempt_at=utcnow(),
            )
        )

    def send_due(self, *, now: datetime | None = None) -> int:
        """Send every due, unsent e-mail once; failures are logged and rescheduled. Returns sent."""
        now = now or utcnow()
        sent = 0
        with SmtpTransport(self.smtp) as transport:
            for row_id in self.outbox.claimed(now):
                with self.db.session() as session:
                    row = session.get(OutboxEmail, row_id)
                try:
                    transport.send(self.envelope_from, row.recipient, row.message)
                except Exception as exc:  # any SMTP or socket error means "retry later"
                    self._record_failure(row, exc, now)
                    if transport.broken:
                        break  # server unreachable: leave the rest for the next round
                    continue
                kept = mail_log.without_private_text(row.message)
                with self.db.transaction() as session:
                    if kept is None:
                        self.outbox.succeeded(session, row_id, now)
                    else:  # a private link is not kept once it has gone
                        self.outbox.succeeded(session, row_id, now, message=kept)
                sent += 1
        return sent

    def _record_failure(self, row: OutboxEmail, exc: Exception, now: datetime) -> None:
        """Back off; give up after max_attempts or on a permanent (5xx) refusal."""
        error = describe_error(exc, self.smtp)[:1000]
        give_up = self.outbox.failed(row.id, row.attempts, error, now, permanent=is_permanent(exc))
        log.warning(
            "e-mail %s to %s failed (attempt %d of %d%s): %s",
            row.id,
            row.recipient,
            row.attempts,
            self.outbox.max_attempts,
            ", giving up" if give_up else "",
            error,
        )
