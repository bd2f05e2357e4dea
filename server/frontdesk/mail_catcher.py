"""The demo's local SMTP server (aiosmtpd): it accepts every message, delivers none, and keeps a
copy on disk, so booking e-mails can be tried without reaching anybody's inbox."""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class CatcherError(ValueError):
    """The catcher cannot run at the address given (message says why)."""


def parse_address(address: str) -> tuple[str, int]:
    """("127.0.0.1", 1025) from "127.0.0.1:1025"; only loopback hosts (it is for the demo)."""
    host, _, port = address.strip().rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if host not in LOOPBACK:
        raise CatcherError(f"the mail catcher listens on loopback only, not on {host!r}")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CatcherError(f"{address!r} needs a port, like 127.0.0.1:1025")
    return host, int(port)


class _Keeper:
    """aiosmtpd handler: each message is written to `folder` as an .eml file and announced."""

    def __init__(self, folder: Path, announce: Callable[[str], None]) -> None:
        self.folder = folder
        self.announce = announce
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        data = envelope.original_content or envelope.content
        data = data if isinstance(data, bytes) else data.encode()
        with self.lock:
            self.count += 1
            name = f"{self.count:05d}-{secrets.token_hex(4)}.eml"
        (self.folder / name).write_bytes(data)
        subject = message_from_bytes(data, policy=policy.default).get("Subject", "(no subject)")
        to = ", ".join(envelope.rcpt_tos)
        self.announce(f"Mail catcher: kept {subject!r} to {to} ({self.folder / name})")
        return "250 Kept by the Frontdesk demo's mail catcher (not delivered)"


class MailCatcher:
    """A running catcher; `stop()` closes it."""

    def __init__(self, controller: Controller, folder: Path) -> None:
        self.controller = controller
        self.folder = folder

    @property
    def address(self) -> str:
        """host:port it listens on."""
        return f"{self.controller.hostname}:{self.controller.port}"

    def stop(self) -> None:
        """Stop listening."""
        self.controller.stop()


def start_catcher(
    address: str, folder: Path, announce: Callable[[str], None] = print
) -> MailCatcher:
    """Listen on `address` (loopback) in a background thread; CatcherError when it cannot."""
    host, port = parse_address(address)
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(_Keeper(folder, announce), hostname=host, port=port)
    try:
        _try_binding(host, port)
        controller.start()
    except (OSError, RuntimeError) as exc:  # aiosmtpd wraps a busy port in a RuntimeError
        raise CatcherError(f"the mail catcher cannot listen on {host}:{port}: {exc}") from exc
    return MailCatcher(controller, folder)


def _try_binding(host: str, port: int) -> None:
    """OSError now when the port is taken: aiosmtpd says so only after its whole start-up
    timeout (5 s), which `make run` would spend before its error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
        probe.bind((host, port))
