"""STUB — to be implemented: the booking service (create / reschedule / cancel)."""

from __future__ import annotations


class Bookings:
    """Facade over booking rules and the database; one per app."""

    def __init__(self, db, *, secret_key: str, public_url: str, mailer=None) -> None:
        self.db = db
        self.secret_key = secret_key
        self.public_url = public_url.rstrip("/")
        self.mailer = mailer
