"""A real SMTP server for tests (aiosmtpd on loopback) that keeps what it was sent."""

from __future__ import annotations

import asyncio
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Inbox:
    """An aiosmtpd handler that keeps every delivered message.

    With `hold_first`, the first message's DATA is not answered until `release` is set, so a
    sender can be caught in the middle of a delivery.
    """

    def __init__(self, *, hold_first: bool = False, refuse: frozenset[str] = frozenset()) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse = refuse  # recipients answered "550 no such mailbox" (a permanent refusal)
        self.arrived = threading.Event()
        self.holding = threading.Event()
        self.release = threading.Event()
        self._hold = hold_first

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self._hold:
            self._hold = False
            self.holding.set()
            while not self.release.is_set():  # other connections are served meanwhile
                await asyncio.sleep(0.01)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.arrived.set()
        return "250 OK"

    def to(self, address: str) -> list:
        """Parsed messages delivered to `address`."""
        return [
            message_from_bytes(data, policy=policy.default)
            for _sender, rcpts, data in self.messages
            if address in rcpts
        ]


def only_user(user: bytes, password: bytes):
    """An aiosmtpd authenticator accepting exactly one login."""

    def check(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            user,
            password,
        )
        return AuthResult(success=ok)

    return check


class SmtpServer:
    """A real SMTP server on a loopback port that can be stopped and started again."""

    def __init__(self, port: int, inbox: Inbox | None = None, **smtp_options) -> None:
        self.port = port
        self.inbox = inbox or Inbox()
        self.options = smtp_options
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, **self.options
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
