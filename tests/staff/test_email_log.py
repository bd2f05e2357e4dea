"""The dashboard's E-mail page: every message the outbox holds, its state, what it said, its
attachments, and sending a failed one again; real deliveries to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from frontdesk import create_app
from frontdesk.db.models import AuditEvent, OutboxEmail
from frontdesk.db.types import utcnow
from tests.support.apps import QUEUE_ONLY_SMTP, app_config
from tests.support.bookings import book
from tests.support.factories import make_site
from tests.support.forms import csrf_from
from tests.support.servers import free_port
from tests.support.smtp_servers import Inbox, SmtpServer
from tests.support.staff_accounts import make_staff, sign_in

VISITOR = "ada@example.com"
OWNER = "owner@studio.test"  # make_site's notification address


def _page(client, site, path: str = "") -> str:
    response = client.get(f"/staff/{site.public_key}/email/{path}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _rows(db, site) -> list[OutboxEmail]:
    with db.session() as session:
        query = select(OutboxEmail).where(OutboxEmail.site_id == site.id).order_by(OutboxEmail.id)
        return list(session.scalars(query))


@pytest.mark.app_config(SMTP_URL=QUEUE_ONLY_SMTP)
def test_queued_e_mails_are_listed_and_readable(signed_in, app_bookings, db, site):
    book(app_bookings, site)
    visitor_mail, owner_mail = _rows(db, site)

    listing = _page(signed_in, site)
    assert VISITOR in listing and OWNER in listing
    assert "Booking confirmed: Consultation" in listing and "Queued" in listing
    assert 'id="mail-banner"' not in listing  # e-mail is set up: no banner

    detail = _page(signed_in, site, str(visitor_mail.id))
    assert "waiting for its first attempt" in detail
    assert "Hi Ada Lovelace," in detail and "Reschedule or cancel:" in detail
    assert "invite.ics" in detail and "text/calendar" in detail
    download = signed_in.get(f"/staff/{site.public_key}/email/{visitor_mail.id}/attachments/0")
    assert download.status_code == 200 and download.mimetype == "text/calendar"
    assert download.headers["Content-Disposition"] == 'attachment; filename="invite.ics"'
    assert b"BEGIN:VCALENDAR" in download.data
    missing = signed_in.get(f"/staff/{site.public_key}/email/{visitor_mail.id}/attachments/5")
    assert missing.status_code == 404
    assert owner_mail.recipient == OWNER


@pytest.mark.app_config(SMTP_URL=QUEUE_ONLY_SMTP)
def test_another_sites_e_mail_is_not_found(signed_in, app_bookings, db, site):
    other = make_site(db, name="Other Studio")
    book(app_bookings, other)
    foreign = _rows(db, other)[0]
    base = f"/staff/{site.public_key}/email/{foreign.id}"
    assert signed_in.get(base).status_code == 404
    assert signed_in.get(base + "/attachments/0").status_code == 404
    assert "Other Studio" not in _page(signed_in, site)
    # Nor can the staff of one site open the other's log at all.
    assert signed_in.get(f"/staff/{other.public_key}/email/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, site):
    response = client.get(f"/staff/{site.public_key}/email/")
    assert response.status_code == 302 and "/staff/signin" in response.headers["Location"]


def test_deliveries_to_a_real_smtp_server_and_a_refused_one(request, database_url, tmp_path):
    port = free_port()
    server = SmtpServer(port, Inbox(refuse=frozenset({OWNER}))).start()
    request.addfinalizer(server.stop)
    app = create_app(app_config(database_url, tmp_path, SMTP_URL=f"smtp://127.0.0.1:{port}"))
    db, mailer = app.extensions["frontdesk.db"], app.extensions["frontdesk.mailer"]
    request.addfinalizer(db.dispose)
    site = make_site(db)
    make_staff(db, site.id)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    book(app.extensions["frontdesk.bookings"], site)
    assert mailer.send_due() == 1

    assert [rcpts for _sender, rcpts, _data in server.inbox.messages] == [[VISITOR]]
    delivered, refused = _rows(db, site)
    assert delivered.sent_at is not None and refused.failed and "550" in refused.last_error
    listing = _page(client, site)
    assert "Sent" in listing and "Failed" in listing and "No such mailbox" in listing
    failed_only = _page(client, site, "?status=failed")
    assert OWNER in failed_only and VISITOR not in failed_only
    detail = _page(client, site, str(refused.id))
    assert "gave up after 1 attempt" in detail and "Send again" in detail

    # The owner fixes their mailbox; staff send it again.
    server.inbox.refuse = frozenset()
    retry = f"/staff/{site.public_key}/email/{refused.id}/retry"
    assert client.post(retry, data={"csrf_token": csrf_from(detail)}).status_code == 302
    assert "queued again" in _page(client, site, str(refused.id))
    assert mailer.send_due() == 1
    assert server.inbox.messages[-1][1] == [OWNER]
    assert _rows(db, site)[1].sent_at is not None
    with db.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "email.retried"))
    assert event.subject_id == str(refused.id)
    # Only a failed e-mail can be sent again.
    assert client.post(retry, data={"csrf_token": csrf_from(detail)}).status_code == 302
    assert "Only a failed e-mail" in _page(client, site, str(refused.id))


@pytest.mark.app_config(SMTP_URL=QUEUE_ONLY_SMTP)
def test_the_log_pages_fifty_at_a_time_newest_first(signed_in, db, site):
    now = utcnow()
    with db.transaction() as session:
        for n in range(60):
            session.add(
                OutboxEmail(
                    site_id=site.id, recipient=f"v{n}@example.com", subject=f"Message {n}",
                    message=b"Subject: x\r\n\r\nbody", created_at=now - timedelta(minutes=60 - n),
                )
            )  # fmt: skip
    first = _page(signed_in, site)
    assert "v59@example.com" in first and "v10@example.com" in first
    assert "v9@example.com" not in first and "Older e-mails" in first
    older = first.split('class="button button--secondary" href="')[1].split('"')[0]
    second = signed_in.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert "v9@example.com" in second and "v0@example.com" in second
    assert "v10@example.com" not in second and "Older e-mails" not in second


def test_without_smtp_the_dashboard_says_so_and_promises_nothing(signed_in, site, db):
    listing = _page(signed_in, site)
    assert 'id="mail-banner"' in listing and "E-mail is not set up" in listing
    assert "FRONTDESK_SMTP_URL" in listing
    overview = signed_in.get(f"/staff/{site.public_key}/").get_data(as_text=True)
    assert 'id="mail-banner"' in overview
    with db.session() as session:
        assert session.scalar(select(OutboxEmail.id)) is None  # nothing is queued either


@pytest.mark.app_config(MAIL_CATCHER="127.0.0.1:1025")
def test_the_demo_catcher_is_named_in_the_banner(signed_in, site):
    listing = _page(signed_in, site)
    assert "Demo e-mail:" in listing and "127.0.0.1:1025" in listing
    assert "never reach a real inbox" in listing


@pytest.mark.parametrize("mail", [False, True], ids=["no-smtp", "smtp"])
def test_the_booking_buttons_promise_e_mail_only_when_it_is_sent(
    request, mail, database_url, tmp_path
):
    extra = {"SMTP_URL": QUEUE_ONLY_SMTP} if mail else {}
    app = create_app(app_config(database_url, tmp_path, **extra))
    db = app.extensions["frontdesk.db"]
    request.addfinalizer(db.dispose)
    site = make_site(db)
    make_staff(db, site.id)
    client = app.test_client()
    sign_in(client)
    booking = book(app.extensions["frontdesk.bookings"], site).booking
    page = client.get(f"/staff/{site.public_key}/bookings/{booking.public_id}")
    text = page.get_data(as_text=True)
    assert ("Move the booking and e-mail the visitor" in text) is mail
    assert ("Ada Lovelace is e-mailed." in text) is mail
    new = client.get(f"/staff/{site.public_key}/bookings/new").get_data(as_text=True)
    assert ("E-mail is not set up on this server" in new) is not mail
