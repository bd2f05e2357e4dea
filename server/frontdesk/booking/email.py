"""The e-mail outbox: booking e-mails are queued in the booking's transaction, sent after commit."""

from __future__ import annotations

import html
import logging
import smtplib
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from frontdesk.booking.ics import booking_ics, one_line
from frontdesk.db.models import OutboxEmail
from frontdesk.db.types import utcnow

log = logging.getLogger("frontdesk.mail")

BATCH_SIZE = 50
MAX_BACKOFF = timedelta(hours=6)
IDLE_POLL_SECONDS = 60.0
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
VISITOR_SUBJECTS = {
    "created": "Booking confirmed",
    "rescheduled": "Booking moved",
    "cancelled": "Booking cancelled",
}
STAFF_SUBJECTS = {"created": "New booking", "rescheduled": "Rescheduled", "cancelled": "Cancelled"}


# -- SMTP -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to deliver: parsed from smtp://, smtp+starttls:// or smtps:// URLs."""

    host: str
    port: int
    security: str  # "plain", "starttls" or "tls"
    username: str = ""
    password: str = field(default="", repr=False)  # never in logs or tracebacks
    timeout: float = 20.0

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 20.0) -> SmtpSettings:
        """Parse `smtp[s|+starttls]://[user:pass@]host[:port]`; raises ValueError when malformed."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError(
                "SMTP_URL must look like smtp://host:port, smtp+starttls:// or smtps://"
            )
        security, default_port = SCHEMES[parts.scheme]
        return cls(
            host=parts.hostname,
            port=parts.port or default_port,
            security=security,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            timeout=timeout,
        )


class SmtpTransport:
    """One lazily opened SMTP connection for a sending round; `broken` once the server is gone."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.broken = False
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        """Deliver one stored message; marks the transport broken on connection-level errors."""
        try:
            smtp = self._smtp or self._connect()
            smtp.sendmail(sender, [recipient], data)
        except Exception as exc:
            self.broken = _is_connection_error(exc)
            self.close()
            raise

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security == "starttls":
            smtp.starttls(context=context)
        if s.username:
            smtp.login(s.username, s.password)
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        """Say goodbye politely; a dead connection is simply dropped."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()
        self._smtp = None


def _is_connection_error(exc: Exception) -> bool:
    """Errors after which no other message can get through this round either."""
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused):
        return True  # configuration problems: the same for every message
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def is_permanent(exc: Exception) -> bool:
    """A 5xx refusal of this message or recipient: retrying cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


# -- messages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingMessage:
    """A fully built MIME message for one recipient."""

    recipient: str
    subject: str
    data: bytes


def _when(moment: datetime, tz_name: str) -> str:
    try:
        zone = ZoneInfo(tz_name)
    except (KeyError, ValueError):
        zone, tz_name = ZoneInfo("UTC"), "UTC"
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M} ({tz_name})"


def _visitor_text(booking, site, event: str, manage_url: str, ics_url: str) -> str:
    service, business = booking.service.name, site.name
    when = _when(booking.start, booking.visitor_tz)
    status = {
        "created": f"your {service} with {business} is booked for {when}.",
        "rescheduled": f"your {service} with {business} has moved to {when}.",
        "cancelled": f"your {service} with {business} on {when} has been cancelled.",
    }[event]
    lines = [f"Hi {one_line(booking.visitor_name)},", "", status[0].upper() + status[1:]]
    if site.timezone != booking.visitor_tz:
        lines.append(f"That is {_when(booking.start, site.timezone)} for {business}.")
    if event != "cancelled":
        lines += ["", f"Reschedule or cancel: {manage_url}", f"Add to your calendar: {ics_url}"]
    lines += ["", f"Reference: {booking.public_id}", "", f"-- {business}"]
    return "\n".join(lines)


def _staff_text(booking, site, event: str) -> str:
    verb = {"created": "New booking", "rescheduled": "Booking moved", "cancelled": "Cancelled"}
    lines = [
        f"{verb[event]}: {booking.service.name}, {_when(booking.start, site.timezone)}",
        "",
        f"Visitor: {one_line(booking.visitor_name)} <{booking.email}>",
    ]
    if booking.phone:
        lines.append(f"Phone: {one_line(booking.phone)}")
    if booking.visitor_tz != site.timezone:
        lines.append(f"Visitor's time: {_when(booking.start, booking.visitor_tz)}")
    if booking.notes:
        lines += ["", "Notes:", booking.notes[:2000]]
    if event == "cancelled" and booking.cancel_reason:
        lines += ["", f"Reason: {booking.cancel_reason[:1000]}"]
    lines += ["", f"Reference: {booking.public_id}"]
    return "\n".join(lines)


def _as_html(text: str, links: tuple[str, ...] = ()) -> str:
    """A simple HTML alternative: the text, escaped, in paragraphs; our own links made clickable."""
    paragraphs = [html.escape(block).replace("\n", "<br>\n") for block in text.split("\n\n")]
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    for link in links:  # only URLs we built ourselves, never visitor text
        escaped = html.escape(link)
        body = body.replace(escaped, f'<a href="{escaped}">{escaped}</a>')
    return f'<!doctype html>\n<html><body style="font-family:sans-serif">\n{body}\n</body></html>\n'


def _mime(
    *,
    sender: str,
    to: Address,
    reply_to: str | None,
    subject: str,
    text: str,
    ics: bytes,
    method: str,
    links: tuple[str, ...] = (),
) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = to
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = one_line(subject, 250)
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=(parseaddr(sender)[1].rpartition("@")[2] or None))
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(_as_html(text, links), subtype="html", cte="quoted-printable")
    msg.add_attachment(
        ics,
        maintype="text",
        subtype="calendar",
        filename="invite.ics",
        params={"method": method, "charset": "utf-8"},
    )
    return msg


def booking_messages(
    *, booking, site, event: str, manage_url: str, ics_url: str, mail_from: str
) -> list[OutgoingMessage]:
    """The visitor's e-mail and, when the site has a notification address, the business's."""
    ics = booking_ics(booking, site, manage_url=manage_url)
    method = "CANCEL" if booking.status == "cancelled" else "REQUEST"
    service = booking.service.name
    plans = [
        (
            booking.visitor_name,
            booking.email,
            site.notification_email,
            f"{VISITOR_SUBJECTS[event]}: {service} on {_when(booking.start, booking.visitor_tz)}",
            _visitor_text(booking, site, event, manage_url, ics_url),
        )
    ]
    if site.notification_email:
        when = _when(booking.start, site.timezone)
        plans.append(
            (
                site.name,
                site.notification_email,
                booking.email,
                f"{STAFF_SUBJECTS[event]}: {service}, {when} - {booking.visitor_name}",
                _staff_text(booking, site, event),
            )
        )
    out = []
    for name, address, reply_to, subject, text in plans:
        try:
            to = Address(one_line(name), addr_spec=address)
            msg = _mime(
                sender=mail_from,
                to=to,
                reply_to=reply_to,
                subject=subject,
                text=text,
                ics=ics,
                method=method,
                links=(manage_url, ics_url),
            )
            out.append(OutgoingMessage(address, one_line(subject, 300), msg.as_bytes()))
        except (ValueError, TypeError) as exc:  # a malformed address must never block the booking
            log.error(
                "cannot build e-mail for booking %s to %r: %s", booking.public_id, address, exc
            )
    return out


# -- the outbox -----------------------------------------------------------------------------------


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
        error = f"{type(exc).__name__}: {exc}"[:1000]
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
