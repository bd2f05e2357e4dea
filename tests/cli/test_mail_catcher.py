"""The demo's mail catcher: a real SMTP server (aiosmtpd) on loopback that keeps every message on
disk and delivers none; `frontdesk serve` with MAIL_CATCHER sends the outbox to it."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from frontdesk.booking.email import Mailer
from frontdesk.mail_catcher import CatcherError, parse_address, start_catcher
from tests.support.bookings import book, make_bookings
from tests.support.chat_server_process import ChatServer
from tests.support.factories import make_site
from tests.support.servers import free_port


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@b.test", to, "Hello there"
    message.set_content("Body text")
    return message


def test_the_catcher_keeps_each_message_and_says_so(tmp_path: Path):
    said: list[str] = []
    catcher = start_catcher(f"127.0.0.1:{free_port()}", tmp_path / "caught", said.append)
    try:
        host, port = catcher.address.split(":")
        with smtplib.SMTP(host, int(port), timeout=10) as smtp:
            refused = smtp.send_message(_message("ada@example.com"))
    finally:
        catcher.stop()
    assert refused == {}
    [kept] = list((tmp_path / "caught").glob("*.eml"))
    assert b"Subject: Hello there" in kept.read_bytes() and b"Body text" in kept.read_bytes()
    assert said == [f"Mail catcher: kept 'Hello there' to ada@example.com ({kept})"]


def test_the_catcher_is_for_loopback_and_a_free_port_only(tmp_path: Path):
    with pytest.raises(CatcherError, match="loopback only"):
        parse_address("0.0.0.0:1025")
    with pytest.raises(CatcherError, match="needs a port"):
        parse_address("127.0.0.1")
    assert parse_address("localhost:2525") == ("localhost", 2525)
    first = start_catcher(f"127.0.0.1:{free_port()}", tmp_path)
    try:
        with pytest.raises(CatcherError, match="cannot listen"):
            start_catcher(first.address, tmp_path)
    finally:
        first.stop()


def test_serve_with_the_catcher_delivers_the_outbox_to_it(sqlite_url: str, tmp_path: Path):
    catcher = f"127.0.0.1:{free_port()}"
    server = ChatServer(
        sqlite_url,
        tmp_path / "instance",
        {"FRONTDESK_MAIL_CATCHER": catcher, "FRONTDESK_MAIL_RETRY_SECONDS": "1"},
    )
    db = server.prepare()
    site = make_site(db)
    server.start()
    try:
        # A booking made by another process of the deployment: queued in the shared outbox.
        queue_only = Mailer.from_config(db, {"SMTP_URL": f"smtp://{catcher}"})
        book(make_bookings(db, mailer=queue_only), site)
        folder = tmp_path / "instance" / "caught-mail"
        deadline = time.monotonic() + 30
        while len(list(folder.glob("*.eml"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        kept = sorted(path.read_bytes() for path in folder.glob("*.eml"))
    finally:
        server.kill()
        db.dispose()
    log = server.log.read_text()
    assert f"Mail catcher on {catcher}: e-mail is kept, never delivered" in log
    assert len(kept) == 2, log[-2000:]
    assert any(b"To: Ada Lovelace <ada@example.com>" in data for data in kept)
    assert all(b"invite.ics" in data for data in kept)
