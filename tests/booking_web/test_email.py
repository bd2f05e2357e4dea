"""Booking e-mail through the outbox to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import threading
from datetime import timedelta
from email import message_from_bytes

import pytest
from sqlalchemy import select

from frontdesk import create_app
from frontdesk.booking.email import Mailer
from frontdesk.booking.service import Bookings
from frontdesk.booking.smtp import SmtpSettings
from frontdesk.db.models import Booking, OutboxEmail
from frontdesk.db.types import utcnow
from tests.support.apps import app_config
from tests.support.bookings import VISITOR, book, make_bookings, upcoming_slots
from tests.support.factories import make_site
from tests.support.ical import parse_both
from tests.support.servers import free_port
from tests.support.smtp_servers import Inbox, SmtpServer, only_user


@pytest.fixture
def smtp_server():
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


def make_mailer(db, port: int, **config) -> Mailer:
    settings = {"SMTP_URL": f"smtp://127.0.0.1:{port}", "MAIL_FROM": "Studio <mail@studio.test>"}
    settings.update(config)
    return Mailer.from_config(db, settings)


def _services(db, port: int, **config) -> tuple[Mailer, Bookings]:
    mailer = make_mailer(db, port, **config)
    return mailer, make_bookings(db, mailer=mailer)


def _outbox(db) -> list[OutboxEmail]:
    with db.session() as session:
        return list(session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def _calendar_part(message):
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_booking_mails_the_visitor_and_the_business(db, smtp_server):
    mailer, bookings = _services(db, smtp_server.port)
    site = make_site(db, name="Test Studio", notification_email="owner@studio.test")
    result = book(bookings, site, name="Ana Visitor", email="ana@example.test")
    assert len(_outbox(db)) == 2 and all(r.sent_at is None for r in _outbox(db))

    assert mailer.send_due() == 2
    assert mailer.send_due() == 0  # nothing sent twice
    [visitor] = smtp_server.inbox.to("ana@example.test")
    [owner] = smtp_server.inbox.to("owner@studio.test")
    assert smtp_server.inbox.messages[0][0] == "mail@studio.test"

    assert subject(visitor).startswith("Booking confirmed: Consultation")
    # The visitor booked with the business: its name on the envelope, the server's address.
    assert visitor["From"] == "Test Studio <mail@studio.test>"
    assert owner["From"] == "Studio <mail@studio.test>"  # the team's note comes from the tool
    assert visitor["Reply-To"] == "owner@studio.test"
    body = _text(visitor)
    assert bookings.manage_url(result.booking) in body
    assert bookings.ics_url(result.booking) in body
    html = visitor.get_body(preferencelist=("html",)).get_content()
    assert f'<a href="{bookings.manage_url(result.booking)}">' in html
    for message in (visitor, owner):
        part = _calendar_part(message)
        assert part.get_param("method") == "REQUEST"
        assert part.get_filename() == "invite.ics"
        cal, vcal = parse_both(part.get_content().encode())
        assert str(cal["METHOD"]) == "REQUEST"
        assert vcal.vevent.uid.value == f"{result.booking.public_id}@frontdesk"
    assert subject(owner).startswith("New booking: Consultation")
    assert owner["Reply-To"] == "ana@example.test"
    assert "Ana Visitor" in _text(owner)
    assert all(r.sent_at is not None and r.attempts == 1 for r in _outbox(db))


def test_reschedule_and_cancel_send_updates(db, smtp_server):
    mailer, bookings = _services(db, smtp_server.port)
    site = make_site(db, notification_email=None)
    result = book(bookings, site, email="ana@example.test")
    moved = bookings.reschedule(result.booking.public_id, _later_slot(bookings, site), VISITOR)
    bookings.cancel(result.booking.public_id, VISITOR, reason="Sick")
    assert mailer.send_due() == 3  # no business address: the visitor only

    created, rescheduled, cancelled = smtp_server.inbox.to("ana@example.test")
    assert subject(rescheduled).startswith("Booking moved")
    raw = [data for _, _, data in smtp_server.inbox.messages if b"Booking moved" in data][0]
    unfolded = raw.replace(b"\r\n ", b" ")  # RFC 5322 unfolding: what clients read
    assert b"\nSubject: Booking moved: Consultation on " in unfolded
    assert moved.manage_token in _text(rescheduled)
    assert moved.manage_token == result.manage_token  # the same link as in the first e-mail
    cal, _ = parse_both(_calendar_part(rescheduled).get_content().encode())
    assert [e["SEQUENCE"] for e in cal.walk("VEVENT")] == [1]

    assert subject(cancelled).startswith("Booking cancelled")
    part = _calendar_part(cancelled)
    assert part.get_param("method") == "CANCEL"
    cal, vcal = parse_both(part.get_content().encode())
    assert str(cal["METHOD"]) == "CANCEL" and vcal.vevent.status.value == "CANCELLED"
    assert vcal.vevent.sequence.value == "2"


def _later_slot(bookings, site):
    return upcoming_slots(bookings, site)[3].start


def test_smtp_down_booking_kept_and_mail_retried_later(db):
    port = free_port()  # nobody listens here yet
    mailer, bookings = _services(db, port, MAIL_RETRY_SECONDS=60, MAIL_MAX_ATTEMPTS=5)
    site = make_site(db, notification_email="owner@studio.test")
    result = book(bookings, site, email="ana@example.test")

    now = utcnow()
    assert mailer.send_due(now=now) == 0
    assert bookings.get(result.booking.public_id).status == "confirmed"
    rows = _outbox(db)
    # The first failure stops the round: the server is down for every message.
    first = rows[0]
    assert first.attempts == 1 and first.sent_at is None and not first.failed
    assert "Connection" in first.last_error or "refused" in first.last_error.lower()
    assert first.next_attempt_at >= now + timedelta(seconds=60)

    server = SmtpServer(port).start()
    try:
        assert mailer.send_due(now=now) == 1  # only the untried row is due yet
        assert mailer.send_due(now=now + timedelta(seconds=61)) == 1  # the backed-off one
        assert len(server.inbox.messages) == 2
        assert {r for _s, rcpts, _d in server.inbox.messages for r in rcpts} == {
            "ana@example.test",
            "owner@studio.test",
        }
        assert all(r.sent_at is not None for r in _outbox(db))
    finally:
        server.stop()


def test_backoff_grows_and_gives_up_after_max_attempts(db):
    mailer, bookings = _services(db, free_port(), MAIL_RETRY_SECONDS=10, MAIL_MAX_ATTEMPTS=3)
    site = make_site(db, notification_email=None)
    book(bookings, site)
    now = utcnow()
    delays = []
    for _ in range(3):
        assert mailer.send_due(now=now) == 0
        [row] = _outbox(db)
        delays.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    [row] = _outbox(db)
    assert row.attempts == 3 and row.failed and row.sent_at is None
    assert delays[0] == timedelta(seconds=10) and delays[1] == timedelta(seconds=20)
    assert mailer.send_due(now=now + timedelta(days=30)) == 0
    assert _outbox(db)[0].attempts == 3  # a failed e-mail is not tried again


def test_racing_senders_never_send_twice(db, smtp_server):
    mailer, bookings = _services(db, smtp_server.port)
    site = make_site(db, notification_email="owner@studio.test")
    for slot in _slots(bookings, site, 4):
        book(bookings, site, slot.start)
    other = make_mailer(db, smtp_server.port)  # a second worker (another process, say)
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def run(worker: Mailer) -> None:
        barrier.wait()
        counts.append(worker.send_due())

    threads = [threading.Thread(target=run, args=(m,)) for m in (mailer, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sum(counts) == 8
    ids = [message_from_bytes(d)["Message-ID"] for _s, _r, d in smtp_server.inbox.messages]
    assert len(ids) == 8 and len(set(ids)) == 8
    assert all(r.attempts == 1 and r.sent_at for r in _outbox(db))


def test_a_row_being_sent_is_not_taken_by_another_worker(db):
    server = SmtpServer(free_port(), Inbox(hold_first=True)).start()
    try:
        first, bookings = _services(db, server.port)
        site = make_site(db, notification_email="owner@studio.test")
        for slot in _slots(bookings, site, 2):
            book(bookings, site, slot.start)
        counts: dict[str, int] = {}
        worker = threading.Thread(target=lambda: counts.update(first=first.send_due()))
        worker.start()
        assert server.inbox.holding.wait(20), "the first worker never reached the server"

        # The first worker is mid-delivery of e-mail 1; a second worker sends only the rest.
        second = make_mailer(db, server.port)
        assert second.send_due() == 3
        assert len(server.inbox.messages) == 3
        server.inbox.release.set()
        worker.join(30)
        assert counts["first"] == 1  # it finishes its e-mail and skips the ones already sent
        rows = _outbox(db)
        assert all(r.sent_at is not None and r.attempts == 1 for r in rows)
        message_ids = [message_from_bytes(d)["Message-ID"] for _s, _r, d in server.inbox.messages]
        assert len(message_ids) == 4 == len(set(message_ids))
    finally:
        server.inbox.release.set()
        server.stop()


def _slots(bookings, site, count: int):
    slots = upcoming_slots(bookings, site)
    return [slots[i * 2] for i in range(count)]


def test_worker_thread_sends_after_commit(database_url, tmp_path, smtp_server):
    config = app_config(
        database_url, tmp_path, SMTP_URL=f"smtp://127.0.0.1:{smtp_server.port}", MAIL_WORKER=True
    )
    app = create_app(config)
    mailer = app.extensions["frontdesk.mailer"]
    try:
        db = app.extensions["frontdesk.db"]
        site = make_site(db, notification_email=None)
        book(app.extensions["frontdesk.bookings"], site, email="ana@example.test")
        assert smtp_server.inbox.arrived.wait(20), "the worker did not send the e-mail"
        assert len(smtp_server.inbox.to("ana@example.test")) == 1
    finally:
        mailer.stop()
        app.extensions["frontdesk.db"].dispose()


def test_line_breaks_in_site_name_cannot_inject_headers(db, smtp_server):
    mailer, bookings = _services(db, smtp_server.port)
    site = make_site(
        db, name="Evil\r\nBcc: victim@example.test", notification_email="o@studio.test"
    )
    book(bookings, site, email="ana@example.test")
    assert mailer.send_due() == 2
    recipients = {r for _s, rcpts, _d in smtp_server.inbox.messages for r in rcpts}
    assert recipients == {"ana@example.test", "o@studio.test"}
    for message in smtp_server.inbox.to("o@studio.test") + smtp_server.inbox.to("ana@example.test"):
        assert message["Bcc"] is None


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_with_credentials_from_the_url(db):
    server = SmtpServer(
        free_port(),
        authenticator=only_user(b"mailer@studio.test", b"p@ss:word"),
        auth_required=True,
        auth_require_tls=False,  # loopback test server without a certificate
    ).start()
    try:
        url = f"smtp://mailer%40studio.test:p%40ss%3Aword@127.0.0.1:{server.port}"
        mailer, bookings = _services(db, server.port, SMTP_URL=url)
        book(bookings, make_site(db, notification_email=None))
        assert mailer.send_due() == 1  # the server refuses mail without a successful login
        assert len(server.inbox.messages) == 1
    finally:
        server.stop()


def test_mailer_is_off_without_smtp_url_and_parses_url_forms(db):
    assert Mailer.from_config(db, {"SMTP_URL": None}) is None
    plain = SmtpSettings.from_url("smtp://mail.test")
    assert (plain.host, plain.port, plain.security) == ("mail.test", 25, "plain")
    tls = SmtpSettings.from_url("smtps://u%40x:p%3Aw@mail.test:2465")
    assert (tls.port, tls.security, tls.username, tls.password) == (2465, "tls", "u@x", "p:w")
    assert "p:w" not in repr(tls)  # the password never reaches a log line
    assert SmtpSettings.from_url("smtp+starttls://mail.test").port == 587
    with pytest.raises(ValueError):
        SmtpSettings.from_url("http://mail.test")


def test_booking_survives_when_no_mail_is_sent(db):
    """The outbox rows commit with the booking; no SMTP server is needed to book."""
    _mailer, bookings = _services(db, free_port())
    site = make_site(db)
    result = book(bookings, site)
    with db.session() as session:
        assert session.get(Booking, result.booking.id).status == "confirmed"
    assert len(_outbox(db)) == 2


def subject(message) -> str:
    """The Subject as a mail client shows it.

    A subject that fits on a continuation line of its own is folded right after "Subject:"
    (valid RFC 5322; the day and month names decide whether it happens); clients drop the
    folding whitespace, Python's parser keeps it.
    """
    return str(message["Subject"]).strip()
