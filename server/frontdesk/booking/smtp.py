"""SMTP delivery: settings parsed from SMTP_URL and a connection reused for a sending round."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}


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


def describe_error(exc: Exception, settings: SmtpSettings | None = None) -> str:
    """A failed delivery in words for the delivery log: the server's own reply when it gave one
    ("550 5.1.1 No such mailbox"), else what went wrong with the connection."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = [f"{code} {_text(reply)}" for code, reply in exc.recipients.values()]
        return "The mail server refused the recipient: " + "; ".join(replies)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"The mail server refused the login: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"The mail server answered {exc.smtp_code} {_text(exc.smtp_error)}"
    where = f" {settings.host}:{settings.port}" if settings else ""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"The mail server{where} closed the connection ({exc or 'no reason given'})"
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"Cannot reach the mail server{where}: {reason}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def is_permanent(exc: Exception) -> bool:
    """A 5xx refusal of this message or recipient: retrying cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500
