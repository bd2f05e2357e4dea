"""STUB — to be implemented: the e-mail outbox and its sender."""

from __future__ import annotations


class Mailer:
    """Queues booking e-mails in the outbox and sends them after commit, with retries."""

    @classmethod
    def from_config(cls, db, config) -> Mailer | None:
        """A mailer when SMTP_URL is configured, else None (e-mail disabled)."""
        return None
