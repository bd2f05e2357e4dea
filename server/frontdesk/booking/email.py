"""The e-mail outbox: booking e-mails are queued in the booking's transaction, sent after commit."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select, update

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

__all__ = ["Mailer"]

log = logging.getLogger("frontdesk.mail")

BATCH_SIZE = 50
MAX_BACKOFF = timedelta(hours=6)
IDLE_POLL_SECONDS = 60.0


class Mailer:
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
        self.retry = timedelta(seconds=max(1.0, float(retry_seconds)))
        self.max_attempts = max(1, int(max_attempts))
        # A claimed row is invisible to other workers for this long: longer than any send.
        self.lease = timedelta(seconds=max(120.0, smtp.timeout * 4))
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

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
        now = utcnow()
        for message in messages:
            session.add(
                OutboxEmail(
                    site_id=site.id,
                    recipient=message.recipient,
                    subject=message.subject,
                    message=message.data,
                    next_attempt_at=now,
                )
            )

    def send_due(self, *, now: datetime | None = None) -> int:
        """Send every due, unsent e-mail once; failures are logged and rescheduled. Returns sent."""
        now = now or utcnow()
        sent = 0
        with SmtpTransport(self.smtp) as transport:
            for row_id in self._due_ids(now):
                if not self._claim(row_id, now):
                    continue  # another worker got it first
                row = self._load(row_id)
                try:
                    transport.send(self.envelope_from, row.recipient, row.message)
                except Exception as exc:  # any SMTP or socket error means "retry later"
                    self._record_failure(row, exc, now)
                    if transport.broken:
                        break  # server unreachable: leave the rest for the next round
                    continue
                self._record_success(row_id, now)
                sent += 1
        return sent

    def _due_ids(self, now: datetime) -> list[int]:
        query = (
            select(OutboxEmail.id)
            .where(
                OutboxEmail.sent_at.is_(None),
                OutboxEmail.failed.is_(False),
                OutboxEmail.next_attempt_at <= now,
            )
            .order_by(OutboxEmail.id)
            .limit(BATCH_SIZE)
        )
        with self.db.session() as session:
            return list(session.scalars(query))

    def _claim(self, row_id: int, now: datetime) -> bool:
        """Lease one row by pushing its next attempt past `now`; exactly one worker wins."""
        claim = (
            update(OutboxEmail)
            .where(
                OutboxEmail.id == row_id,
                OutboxEmail.sent_at.is_(None),
                OutboxEmail.failed.is_(False),
                OutboxEmail.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + self.lease, attempts=OutboxEmail.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        with self.db.write_transaction() as session:
            return session.execute(claim).rowcount == 1

    def _load(self, row_id: int) -> OutboxEmail:
        with self.db.session() as session:
            return session.get(OutboxEmail, row_id)

    def _set(self, row_id: int, **values: Any) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id == row_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    def _record_success(self, row_id: int, now: datetime) -> None:
        self._set(row_id, sent_at=now, last_error="")

    def _record_failure(self, row: OutboxEmail, exc: Exception, now: datetime) -> None:
        """Back off exponentially; give up after max_attempts or on a permanent (5xx) refusal."""
        give_up = row.attempts >= self.max_attempts or is_permanent(exc)
        delay = min(self.retry * (2 ** max(0, row.attempts - 1)), MAX_BACKOFF)
        error = describe_error(exc, self.smtp)[:1000]
        log.warning(
            "e-mail %s to %s failed (attempt %d of %d%s): %s",
            row.id,
            row.recipient,
            row.attempts,
            self.max_attempts,
            ", giving up" if give_up else "",
            error,
        )
        self._set(row.id, failed=give_up, next_attempt_at=now + delay, last_error=error)

    def wake(self) -> None:
        """Nudge the worker to send now (called after a commit that queued e-mail)."""
        self._wake.set()

    def start_worker(self) -> None:
        """Start the daemon thread that sends due e-mail on wake-ups and every retry interval."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="frontdesk-mail", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker thread after the message it is sending, if any."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        interval = min(self.retry.total_seconds(), IDLE_POLL_SECONDS)
        while not self._stopping.is_set():
            # Clear before sending: a wake-up that arrives mid-round starts the next one at once.
            self._wake.clear()
            try:
                self.send_due()
            except Exception:  # e.g. the database briefly down: keep the worker alive
                log.exception("mail worker round failed")
            self._wake.wait(interval)
